#pragma once
// The durable sink: hands the sequencer's batches to the journal writer (io_uring group
// commit, or the pwrite fallback) and reports its durable watermark. Errors become the
// one-line messages the CLI prints; the writer is poisoned by then and nothing after the
// failure is ever acknowledged.
//
// Thread: the sequencer thread; lifecycle: opened at the recovered position before the
// sequencer starts, destroyed after it stopped.

#include <memory>

#include "engine/batch_sink.h"
#include "base/assert.h"
#include "journal/writer.h"

namespace ordo::engine {

class journal_sink final : public batch_sink {
public:
    explicit journal_sink(std::unique_ptr<journal::writer> writer) : writer_(std::move(writer)) {
        ORDO_ASSERT(writer_ != nullptr);
    }

    std::expected<std::span<std::byte>, std::string> claim() override {
        auto body = writer_->claim();
        if (!body) return std::unexpected(body.error().message());
        return *body;
    }
    std::expected<std::uint64_t, std::string> publish(std::uint32_t record_bytes,
                                                      std::uint32_t record_count,
                                                      std::uint64_t time_ms) override {
        auto batch = writer_->publish(record_bytes, record_count, time_ms);
        if (!batch) return std::unexpected(batch.error().message());
        return *batch;
    }
    std::expected<std::uint64_t, std::string> poll() override {
        auto durable = writer_->poll();
        if (!durable) return std::unexpected(durable.error().message());
        return *durable;
    }
    std::expected<std::uint64_t, std::string> wait_durable(std::uint64_t batch_count) override {
        auto durable = writer_->wait_durable(batch_count);
        if (!durable) return std::unexpected(durable.error().message());
        return *durable;
    }
    std::uint64_t next_batch_number() const noexcept override {
        return writer_->position().next_batch_number;
    }

    std::optional<journal::journal_position> position() const noexcept override {
        return writer_->position();
    }

    journal::writer& writer() noexcept { return *writer_; }

private:
    std::unique_ptr<journal::writer> writer_;
};

}  // namespace ordo::engine
