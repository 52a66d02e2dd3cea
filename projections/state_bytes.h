#pragma once
// A projection's state as bytes for its checkpoint: little-endian u64 words written in a
// fixed order (maps in ascending key order, so equal states give equal bytes and the
// checkpoint's checksum says whether two states are equal). Reading is bounds-checked:
// a checkpoint that does not decode is dropped and the projection rebuilt from the journal.
//
// Value types, one thread.

#include <cstdint>
#include <cstring>
#include <algorithm>
#include <span>
#include <utility>
#include <vector>

namespace ordo::projections {

class state_writer {
  public:
    void u64(std::uint64_t value) {
        const std::size_t at = bytes_.size();
        bytes_.resize(at + sizeof(value));
        std::memcpy(bytes_.data() + at, &value, sizeof(value));
    }
    std::span<const std::byte> bytes() const noexcept { return bytes_; }

  private:
    std::vector<std::byte> bytes_;
};

// A map's keys in ascending order: a checkpoint writes its maps in this order.
template <typename Map>
std::vector<std::uint64_t> sorted_keys(const Map& map) {
    std::vector<std::uint64_t> keys;
    keys.reserve(map.size());
    for (const auto& entry : map) keys.push_back(entry.first);
    std::sort(keys.begin(), keys.end());
    return keys;
}

// A map of one id to another, as its count then its pairs in ascending order.
template <typename Map>
void write_sorted_pairs(state_writer& out, const Map& map) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs(map.begin(), map.end());
    std::sort(pairs.begin(), pairs.end());
    out.u64(pairs.size());
    for (const auto& [key, value] : pairs) {
        out.u64(key);
        out.u64(value);
    }
}

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
    bool ok() const noexcept { return !failed_; }
    bool at_end() const noexcept { return offset_ == bytes_.size(); }

  private:
    std::span<const std::byte> bytes_;
    std::size_t offset_ = 0;
    bool failed_ = false;
};

}  // namespace ordo::projections
