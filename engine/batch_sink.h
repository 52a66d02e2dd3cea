#pragma once
// Where the sequencer's batches go. The journal writer (durable) and memory_sink (no
// journal) implement it; the sequencer never knows which. Batches are numbered by the sink
// and become durable in order: poll() returns n when batches [0, n) are durable.
//
// Thread: every call comes from the sequencer thread. An error is final: the sink is
// poisoned, the sequencer stops acknowledging and the process exits (never retry a sync).

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>

#include "journal/writer.h"

namespace ordo::engine {

class batch_sink {
public:
    virtual ~batch_sink() = default;
    // Body of the next batch; waits only while every buffer is in flight.
    virtual std::expected<std::span<std::byte>, std::string> claim() = 0;
    // Seals the claimed body (its first record_bytes hold record_count records) and hands
    // it over for writing; returns the batch's number.
    virtual std::expected<std::uint64_t, std::string> publish(std::uint32_t record_bytes,
                                                              std::uint32_t record_count,
                                                              std::uint64_t time_ms) = 0;
    // Reaps completions without blocking: batches [0, result) are durable.
    virtual std::expected<std::uint64_t, std::string> poll() = 0;
    // Blocks until batches [0, batch_count) are durable.
    virtual std::expected<std::uint64_t, std::string> wait_durable(std::uint64_t batch_count) = 0;
    // The number the next published batch will get.
    virtual std::uint64_t next_batch_number() const noexcept = 0;
    // Where the journal continues (snapshots record it); nullopt without a journal.
    virtual std::optional<journal::journal_position> position() const noexcept {
        return std::nullopt;
    }
};

}  // namespace ordo::engine
