#include "projections/inprocess_source.h"

#include "base/assert.h"
#include "base/clock.h"

namespace ordo::projections {

std::expected<std::optional<durable_batch>, std::string> inprocess_source::next() {
    ORDO_ASSERT(durable_ns_ == 0);
    for (;;) {
        // The end is checked before the batches: once the gate is closed, no batch comes
        // that next() would not find now.
        const bool ended = reader_.at_end();
        auto taken = reader_.next();
        if (!taken) return std::unexpected(taken.error().message());
        if (taken->has_value()) {
            const journal::gated_batch& got = **taken;
            ORDO_ASSERT(got.durable_ns != 0);
            durable_ns_ = got.durable_ns;
            batches_++;
            records_ += got.batch.record_count;
            return got.batch;
        }
        if (ended) return std::nullopt;
        reader_.wait();
    }
}

void inprocess_source::applied() {
    ORDO_ASSERT(durable_ns_ != 0);
    const std::uint64_t now_ns = base::monotonic_ns();
    ORDO_ASSERT(now_ns >= durable_ns_);
    lag_.us.add((now_ns - durable_ns_) / 1000);
    const std::uint64_t durable_sequence = reader_.gate().durable_sequence();
    const std::uint64_t applied_sequence = reader_.position().next_sequence;
    lag_.records.add(durable_sequence > applied_sequence ? durable_sequence - applied_sequence
                                                         : 0);
    durable_ns_ = 0;
    reader_.release();
}

}  // namespace ordo::projections
