#pragma once
// One reader attached to the writer of this process through a reader_gate: it takes the
// durable batches in order straight from the writer's buffers and checks each as a reader
// of the segment files would (the header's checksum, then the batch number, first sequence
// and hash chain against where it stands, then the body's checksum and the record
// framing), so a batch it hands out is exactly what the journal holds durably.
//
// Thread: one thread (the reader's). Lifecycle: built before its thread starts, next() /
// release() in turn until at_end(); detach() when it stops early.

#include <cstdint>
#include <expected>
#include <optional>

#include "journal/durable_batch.h"
#include "journal/errc.h"
#include "journal/position.h"
#include "journal/reader_gate.h"

namespace ordo::journal {

struct gated_batch {
    durable_batch batch;
    std::uint64_t durable_ns = 0;  // base::monotonic_ns() when the writer's watermark passed it
};

class gated_reader {
public:
    // Reader `index` of `gate`; it starts where the writer started (gate.start()).
    gated_reader(reader_gate& gate, std::uint32_t index) noexcept;

    // The next durable batch, checked, or nullopt when none is durable yet (or at_end()).
    // The batch stays valid until release(); a failed check is `damaged` (a bug: the
    // writer's own memory) and the reader detaches.
    std::expected<std::optional<gated_batch>, journal_error> next();
    // Returns once a batch after position() is durable or the gate closed: a short spin,
    // then parked until the writer publishes (no CPU taken meanwhile).
    void wait() noexcept;
    // Done with the batch next() returned: the writer may reuse its buffer.
    void release() noexcept;
    // The gate closed and every durable batch was read.
    bool at_end() const noexcept;
    void detach() noexcept;

    // After the last batch taken.
    const journal_position& position() const noexcept { return position_; }
    reader_gate& gate() const noexcept { return gate_; }

private:
    bool ready() const noexcept;

    reader_gate& gate_;
    std::uint32_t index_;
    journal_position position_;
    bool holding_ = false;  // a batch taken, not yet released
    bool detached_ = false;
};

}  // namespace ordo::journal
