#pragma once
// Waiting as a policy (the LMAX WaitStrategy idea): a thread that finds nothing to do calls
// idle(), and after it made progress calls reset(). Three phases, cheapest wake-up first:
// spin with the pause hint (the peer is likely to act within microseconds), then yield the
// core (someone else may need it), then sleep (the engine is idle and must stop burning a
// core). Only wait strategies spin, yield or sleep; the rest of ordo calls them.

#include <chrono>
#include <cstdint>
#include <thread>

#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::base {

// Measured on the project's machine (Zen 5 under KVM): pause ~26 ns, sched_yield with no
// other runnable thread ~0.5 us, sleep_for(50 us) ~140 us (timer slack + wake-up).
struct backoff_options {
    // ~50 us of pause: a producer waiting on a full ring or on its reply sees the
    // sequencer's progress within one hop (~80 ns) instead of a scheduler tick.
    std::uint32_t spin_iterations = 2'000;
    // ~0.5 ms more when the core is uncontended, ending the busy phase within ~1 ms of
    // the last progress; with contention each yield hands the core to whoever needs it.
    std::uint32_t yield_iterations = 1'000;
    // Each sleep lasts ~sleep_us + ~100 us of slack: an idle thread wakes some 5 000 times
    // a second at a few microseconds each, well under 5% of a core.
    std::uint32_t sleep_us = 100;
};

// Bounds on the options, checked at construction: a zero sleep would spin forever in the
// kernel, an hour-long one would look like a hang.
inline constexpr std::uint32_t backoff_sleep_us_max = 100'000;
inline constexpr std::uint32_t backoff_iterations_max = 10'000'000;

// Thread: one instance per waiting thread, owned and used only by that thread.
// Lifecycle: built with the thread's loop, reset() after every bit of progress.
class backoff {
public:
    explicit backoff(backoff_options options = {}) noexcept : options_(options) {
        ORDO_ASSERT(options_.spin_iterations <= backoff_iterations_max);
        ORDO_ASSERT(options_.yield_iterations <= backoff_iterations_max);
        ORDO_ASSERT(options_.sleep_us >= 1);
        ORDO_ASSERT(options_.sleep_us <= backoff_sleep_us_max);
    }

    // After progress: the next wait starts again with the cheapest, fastest phase.
    void reset() noexcept { idle_calls_ = 0; }

    // Nothing to do this time round: wait a little, longer the longer we have been idle.
    void idle() noexcept {
        const std::uint64_t spin_end = options_.spin_iterations;
        const std::uint64_t yield_end = spin_end + options_.yield_iterations;
        if (idle_calls_ < spin_end) {
            base::cpu_relax();
        } else if (idle_calls_ < yield_end) {
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(options_.sleep_us));
        }
        // Saturates at the sleep phase instead of wrapping back to spinning.
        if (idle_calls_ < yield_end) idle_calls_++;
        ORDO_ASSERT(idle_calls_ <= yield_end);
    }

    // True once idle() has reached the sleep phase: the sequencer uses it to decide that
    // it has been idle long enough to park (waking a parked thread costs ~25 us).
    bool sleeping() const noexcept {
        return idle_calls_ >= std::uint64_t{options_.spin_iterations} + options_.yield_iterations;
    }

    const backoff_options& options() const noexcept { return options_; }

private:
    backoff_options options_;
    std::uint64_t idle_calls_ = 0;  // idle() calls since the last reset(), saturating
};

}  // namespace ordo::base
