#pragma once
// A projection's state as bytes for its checkpoint: little-endian u64 words written in a
// fixed order (append-only arrays in history order, small maps in ascending key order), so
// equal states give equal bytes and the checkpoint's checksum says whether two states are
// equal. Reading is bounds-checked:
// a checkpoint that does not decode is dropped and the projection rebuilt from the journal.
//
// Value types, one thread.

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "projections/big_vector.h"

namespace ordo::projections {

// The words are stored as the host lays them out: little-endian hosts only.
static_assert(std::endian::native == std::endian::little);

class state_writer {
  public:
    // Keeps every word: bytes() is the whole state.
    state_writer() = default;
    // Hands the words on to `sink` a piece of piece_words at a time, as each fills and at
    // finish(), holding one piece in memory: a checkpoint of a view of hundreds of MB is
    // checksummed and written without building it whole first (that buffer's fresh pages and
    // a second pass over it were most of a checkpoint's time, bench/RESULTS.md).
    using piece_sink = std::function<void(std::span<const std::byte>)>;
    explicit state_writer(piece_sink sink) : sink_(std::move(sink)) {
        ORDO_ASSERT(sink_);
        words_.reserve(piece_words);
    }
    static constexpr std::size_t piece_words = std::size_t{1} << 19;  // 4 MiB

    // Words, not bytes: a push_back per word (a checkpoint of a large view writes hundreds
    // of millions of them).
    void u64(std::uint64_t value) {
        words_.push_back(value);
        if (sink_ && words_.size() == piece_words) hand_on();
    }
    void reserve_words(std::size_t more) {
        if (!sink_) words_.reserve(words_.size() + more);
    }
    // The whole state (a writer without a sink).
    std::span<const std::byte> bytes() const noexcept {
        ORDO_ASSERT(!sink_);
        return std::as_bytes(std::span(words_));
    }
    // A writer with a sink: hands on the words still held; returns the state's length.
    std::uint64_t finish() {
        ORDO_ASSERT(sink_);
        if (!words_.empty()) hand_on();
        return handed_bytes_;
    }

  private:
    void hand_on() {
        const auto piece = std::as_bytes(std::span(words_));
        sink_(piece);
        handed_bytes_ += piece.size();
        words_.clear();  // keeps its capacity: the next piece reuses the pages
    }

    big_vector<std::uint64_t> words_;
    piece_sink sink_;
    std::uint64_t handed_bytes_ = 0;
};

class state_reader {
  public:
    explicit state_reader(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}
    // False (and 0) once the bytes ran out; the reader stays failed.
    bool u64(std::uint64_t& value) noexcept {
        if (failed_ || bytes_.size() - offset_ < sizeof(value)) {
            failed_ = true;
            value = 0;
            return false;
        }
        std::memcpy(&value, bytes_.data() + offset_, sizeof(value));
        offset_ += sizeof(value);
        return true;
    }
    // A count of items of at least `item_words` words each that the rest could hold.
    bool count(std::uint64_t& value, std::uint64_t item_words) noexcept {
        if (!u64(value)) return false;
        if (value > (bytes_.size() - offset_) / (8 * item_words)) failed_ = true;
        return !failed_;
    }
    // Passes over `words` words; false (failed) when the bytes do not hold them.
    bool skip_words(std::uint64_t words) noexcept {
        if (failed_ || words > (bytes_.size() - offset_) / sizeof(std::uint64_t)) {
            failed_ = true;
            return false;
        }
        offset_ += words * sizeof(std::uint64_t);
        return true;
    }
    bool ok() const noexcept { return !failed_; }
    bool at_end() const noexcept { return offset_ == bytes_.size(); }
    // The word `words_ahead` words past the next one, 0 when the bytes do not reach it: a
    // hint to prefetch what a later item names, never a substitute for u64().
    std::uint64_t peek_u64(std::size_t words_ahead) const noexcept {
        const std::size_t at = offset_ + words_ahead * sizeof(std::uint64_t);
        if (failed_ || at > bytes_.size() || bytes_.size() - at < sizeof(std::uint64_t)) return 0;
        std::uint64_t value = 0;
        std::memcpy(&value, bytes_.data() + at, sizeof(value));
        return value;
    }

  private:
    std::span<const std::byte> bytes_;
    std::size_t offset_ = 0;
    bool failed_ = false;
};

}  // namespace ordo::projections
