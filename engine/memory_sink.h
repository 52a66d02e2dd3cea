#pragma once
// The sink of `--durability none`: batches are durable the moment they are published and
// their bytes are dropped (or kept for tests that replay them).
//
// Thread: the sequencer thread; lifecycle: created before the sequencer starts.

#include <cstring>
#include <vector>

#include "engine/batch_sink.h"
#include "base/assert.h"

namespace ordo::engine {

class memory_sink final : public batch_sink {
public:
    explicit memory_sink(std::uint32_t batch_bytes, bool keep_records = false)
        : body_(batch_bytes), keep_(keep_records) {
        ORDO_ASSERT(batch_bytes >= 4096);
    }

    std::expected<std::span<std::byte>, std::string> claim() override {
        return std::span<std::byte>(body_);
    }
    std::expected<std::uint64_t, std::string> publish(std::uint32_t record_bytes,
                                                      std::uint32_t record_count,
                                                      std::uint64_t /*time_ms*/) override {
        ORDO_ASSERT(record_bytes <= body_.size());
        ORDO_ASSERT(record_count > 0);
        if (keep_) kept_.insert(kept_.end(), body_.begin(), body_.begin() + record_bytes);
        records_ += record_count;
        bytes_ += record_bytes;
        return batches_++;
    }
    std::expected<std::uint64_t, std::string> poll() override { return batches_; }
    std::expected<std::uint64_t, std::string> wait_durable(std::uint64_t batch_count) override {
        ORDO_ASSERT(batch_count <= batches_);
        return batches_;
    }
    std::uint64_t next_batch_number() const noexcept override { return batches_; }

    std::uint64_t records() const noexcept { return records_; }
    std::uint64_t bytes() const noexcept { return bytes_; }
    // Every record published so far, back to back (only with keep_records).
    const std::vector<std::byte>& kept_records() const noexcept { return kept_; }

private:
    std::vector<std::byte> body_;
    bool keep_;
    std::vector<std::byte> kept_;
    std::uint64_t batches_ = 0;
    std::uint64_t records_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace ordo::engine
