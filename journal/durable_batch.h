#pragma once
// What every reader is fed: one durable batch of the journal, its bytes and its place.
// The same value comes from the journal's segment files (projections/journal_source.h),
// from the writer of this process (gated_reader.h), or later from a network transport: a
// transport carries the batch body and these numbers, and the reader needs nothing else.
// It lives in the journal (it knows records only as bytes) so that the writer's in-process
// readers and the projections share it; projections/batch.h forwards to it.
//
// Value type; `body` is borrowed from the source and valid until the source's next call
// (for a gated reader: until it releases the batch).

#include <cstdint>
#include <span>

#include "journal/position.h"

namespace ordo::journal {

struct durable_batch {
    std::uint64_t batch_number = 0;
    std::uint64_t first_sequence = 0;  // the sequence of its first record
    std::uint32_t record_count = 0;
    std::span<const std::byte> body;  // the records (framing validated by the source)
    journal_position end;             // where the next batch starts (and its chain value)
};

}  // namespace ordo::journal
