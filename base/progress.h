#pragma once
// Progress of a long pass (a journal check, a replay) for the person waiting on it: the
// caller's hook, called from the working thread about once an interval, never for a pass
// that ends sooner. A pass without a hook reads no clock.
//
// Thread: the one doing the work; the hook runs there.

#include <cstdint>
#include <functional>

#include "base/clock.h"

namespace ordo::base {

template <class Report>
struct progress_hook {
    // The report so far and the seconds since the pass began. Empty: no progress wanted.
    std::function<void(const Report&, double seconds)> call;
    std::uint64_t interval_ns = 1'000'000'000;
};

template <class Report>
class progress_timer {
public:
    explicit progress_timer(const progress_hook<Report>& hook) noexcept
        : hook_(hook), start_ns_(hook.call ? monotonic_ns() : 0),
          next_ns_(start_ns_ + hook.interval_ns) {}

    // After each step of the pass (a batch: up to 1 MiB of records, so a clock read each
    // costs nothing measurable), with the report so far.
    void step(const Report& so_far) {
        if (!hook_.call) return;
        const std::uint64_t now_ns = monotonic_ns();
        if (now_ns < next_ns_) return;
        hook_.call(so_far, static_cast<double>(now_ns - start_ns_) / 1e9);
        next_ns_ = monotonic_ns() + hook_.interval_ns;
    }

private:
    const progress_hook<Report>& hook_;
    std::uint64_t start_ns_;
    std::uint64_t next_ns_;
};

}  // namespace ordo::base
