#include "journal/gated_reader.h"

#include <string>

#include "base/assert.h"
#include "base/cpu.h"
#include "journal/checksum.h"
#include "journal/format.h"
#include "journal/record.h"
#include "journal/writer.h"

namespace ordo::journal {
namespace {

journal_error damaged(std::uint64_t batch, const char* what) {
    return journal_error{.code = journal_errc::damaged,
                         .detail = "in-process batch " + std::to_string(batch) + ": " + what};
}

}  // namespace

gated_reader::gated_reader(reader_gate& gate, std::uint32_t index) noexcept
    : gate_(gate), index_(index), position_(gate.start()) {
    ORDO_ASSERT(index < gate.readers());
}

std::expected<std::optional<gated_batch>, journal_error> gated_reader::next() {
    ORDO_ASSERT(!holding_);
    ORDO_ASSERT(!detached_);
    const std::uint64_t wanted = position_.next_batch_number;
    if (wanted >= gate_.durable_batches()) return std::nullopt;  // acquire: the slot is ready
    const reader_gate::slot_record& slot = gate_.slot_of(wanted);
    const durable_batch& batch = slot.batch;
    ORDO_ASSERT(batch.batch_number == wanted);  // never overrun: the writer waited for us
    ORDO_ASSERT(batch.end.next_batch_number == wanted + 1);
    // The header the writer sealed lies right before the body in its buffer.
    const batch_header header =
        load_batch_header({batch.body.data() - batch_header_bytes, batch_header_bytes});
    if (!header_self_consistent(header)) {
        detach();
        return std::unexpected(damaged(wanted, "header checksum"));
    }
    if (const char* mismatch = successor_mismatch(header, batch.end.segment_index, position_)) {
        detach();
        return std::unexpected(damaged(wanted, mismatch));
    }
    if (header.record_count != batch.record_count || header.body_bytes != batch.body.size()) {
        detach();
        return std::unexpected(damaged(wanted, "header and descriptor differ"));
    }
    if (checksum(batch.body) != header.body_checksum) {
        detach();
        return std::unexpected(damaged(wanted, "body checksum"));
    }
    if (const char* framing = validate_records(batch.body, batch.record_count)) {
        detach();
        return std::unexpected(damaged(wanted, framing));
    }
    ORDO_ASSERT(batch.end.previous_header_checksum == header.header_checksum);
    ORDO_ASSERT(batch.end.next_sequence == position_.next_sequence + batch.record_count);
    position_ = batch.end;
    holding_ = true;
    return gated_batch{.batch = batch, .durable_ns = slot.durable_ns};
}

bool gated_reader::ready() const noexcept {
    return gate_.closed() || gate_.durable_batches() > position_.next_batch_number;
}

void gated_reader::wait() noexcept {
    ORDO_ASSERT(!holding_);
    // ~5 us: a batch that is about to become durable is taken without a sleep.
    constexpr std::uint32_t spin_iterations = 200;
    for (std::uint32_t i = 0; i < spin_iterations; ++i) {
        if (ready()) return;
        base::cpu_relax();
    }
    base::parker& parker = gate_.parker_of(index_);
    parker.prepare_park();
    // Re-checked after the announcement: a publish racing with it either sees the reader
    // parked and wakes it, or is seen here (base/wait/parker.h, the Dekker argument).
    if (ready()) {
        parker.cancel_park();
        return;
    }
    parker.park();
}

void gated_reader::release() noexcept {
    ORDO_ASSERT(holding_);
    holding_ = false;
    gate_.release(index_, position_.next_batch_number);
}

bool gated_reader::at_end() const noexcept {
    if (!gate_.closed()) return false;  // acquire first: the durable count is final after it
    return position_.next_batch_number >= gate_.durable_batches();
}

void gated_reader::detach() noexcept {
    holding_ = false;
    detached_ = true;
    gate_.detach(index_);
}

}  // namespace ordo::journal
