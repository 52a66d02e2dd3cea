#pragma once
// What every reader is fed: one durable batch of the journal, its bytes and its place.
// The same value comes from the journal's segment files (journal_source.h), from an engine
// in the same process, or later from a network transport: a transport carries the batch
// body and these numbers, and the reader needs nothing else.
//
// Value type; `body` is borrowed from the source and valid until the source's next call.

#include <cstdint>
#include <span>

#include "journal/position.h"

namespace ordo::projections {

struct durable_batch {
    std::uint64_t batch_number = 0;
    std::uint64_t first_sequence = 0;  // the sequence of its first record
    std::uint32_t record_count = 0;
    std::span<const std::byte> body;  // the records (framing validated by the source)
    journal::journal_position end;    // where the next batch starts (and its chain value)
};

}  // namespace ordo::projections
