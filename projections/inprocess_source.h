#pragma once
// Durable batches from the journal writer of this process (journal/gated_reader.h): the
// in-process transport of a reader, beside journal_source.h (the segment files). It waits
// for the next durable batch (gated_reader::wait(): a short spin, then parked until the
// writer publishes, so a waiting reader takes no CPU), hands it out in the writer's own
// buffer, and once the caller has applied it, records the lag (lag.h) and releases the
// buffer to the writer.
//
// Thread: one thread (the reader's). Lifecycle: built before its thread starts; next() and
// applied() in turn until next() returns nullopt (the writer closed and everything durable
// was read); detach() when the reader stops early (an error), so the writer never waits
// for it.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "journal/gated_reader.h"
#include "projections/batch.h"
#include "projections/lag.h"

namespace ordo::projections {

class inprocess_source {
public:
    inprocess_source(journal::reader_gate& gate, std::uint32_t index) noexcept
        : reader_(gate, index) {}

    // Waits for the next durable batch; nullopt at the end; an error when a check failed
    // (the reader is detached then).
    std::expected<std::optional<durable_batch>, std::string> next();
    // The batch from next() is applied: lag sampled, buffer released to the writer.
    void applied();
    void detach() noexcept { reader_.detach(); }

    const reader_lag& lag() const noexcept { return lag_; }
    std::uint64_t batches() const noexcept { return batches_; }
    std::uint64_t records() const noexcept { return records_; }
    const journal::journal_position& position() const noexcept { return reader_.position(); }

private:
    journal::gated_reader reader_;
    std::uint64_t durable_ns_ = 0;  // of the batch held, 0: none held
    reader_lag lag_;
    std::uint64_t batches_ = 0;
    std::uint64_t records_ = 0;
};

}  // namespace ordo::projections
