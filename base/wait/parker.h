#pragma once
// Lets the single sequencer thread sleep in the kernel after a long idle spell, and lets
// producers wake it for the price of one load when it is not asleep. Waking a sleeping
// thread on the other core costs ~25 us (300 hops), so the sequencer parks only once its
// backoff has reached the sleep phase.
//
// Protocol. Consumer (the one thread that parks):
//     parker.prepare_park();          // announce: "I am about to sleep"
//     if (any ring non-empty || stop) parker.cancel_park(); else parker.park();
// Producers, after every publish (the ring's release store of its tail):
//     parker.wake_if_parked();
//
// Why a publish racing with park() is never lost (Dekker). The consumer does
// [S_c: state_ = parked] [barrier X] [L_c: load each ring's tail]; a producer does
// [S_p: store tail] [barrier Y] [L_p: load state_]. With X and Y both seq_cst fences, they
// are totally ordered in S. If X precedes Y, L_p reads parked (or a later value: running
// written by another producer who then woke the consumer, or by cancel_park), so the
// producer wakes the consumer. If Y precedes X, L_c reads the new tail (or later), so the
// consumer sees the item and cancels. Either way nobody sleeps on a non-empty ring. The
// seq_cst store alone would not do: it orders nothing against a later load of another
// variable in the producer's release/relaxed world.
//
// The asymmetric variant (the default where the kernel offers it, as in folly's
// asymmetricHeavyBarrier): X is membarrier(PRIVATE_EXPEDITED), which makes every running
// thread of the process execute a full barrier before it returns, and Y is only a compiler
// fence. The producer's program order S_p, L_p is then split by a real barrier at some
// point: if the barrier falls before L_p, L_p runs after S_c is globally visible and reads
// parked; if it falls after S_p, S_p is visible before membarrier returns and L_c sees the
// tail. A producer not running at that moment passes through a context switch, itself a
// full barrier. So wake_if_parked() costs a compiler fence plus one load of state_, a line
// written only when the consumer parks, which stays shared in the producer's cache.
//
// Under ThreadSanitizer (GCC refuses atomic_thread_fence there: -Wtsan) producers observe
// state_ with an RMW instead, fetch_add(0, acq_rel). The argument then runs through the
// modification order of state_: the consumer's exchange in prepare_park and a producer's
// RMW are ordered; if the consumer's comes first the producer reads parked and wakes it,
// otherwise the consumer's exchange acquires from the release sequence of the producer's
// RMW (every write to state_ is an RMW), so the publish happens-before the re-check. Sound in the C++ model, and visible to TSan; slower (it
// writes the line), so it is only the sanitizer build's variant.

#include <atomic>
#include <cstdint>

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/cpu.h"

#if defined(__SANITIZE_THREAD__)
#define ORDO_PARKER_RMW 1
#else
#define ORDO_PARKER_RMW 0
#endif

namespace ordo::base {

enum class parker_fence : std::uint8_t {
    automatic,  // membarrier on the consumer, compiler fence on producers, when available
    symmetric,  // a seq_cst fence on both sides (also the fallback); tests force both
};

// Threads: one consumer thread calls prepare_park, cancel_park and park; any number of
// producer threads call wake_if_parked and wake. Lifecycle: built at start-up before the
// threads (it registers with membarrier then), destroyed after they have stopped.
class parker {
public:
    explicit parker(parker_fence fence = parker_fence::automatic) noexcept
        : asymmetric_(fence == parker_fence::automatic && register_membarrier()) {
        ORDO_ASSERT(state_.load(std::memory_order_relaxed) == running);
        if (fence == parker_fence::symmetric) ORDO_ASSERT(!asymmetric_);
    }

    parker(const parker&) = delete;
    parker& operator=(const parker&) = delete;

    // Consumer. Announces the intent to sleep; afterwards the caller must re-check every
    // source of work (rings, stop flag) and then call exactly one of cancel_park / park.
    void prepare_park() noexcept {
        ORDO_ASSERT(!parking_);
        parking_ = true;
        // An RMW, so that wake() and the TSan variant can argue through state_'s
        // modification order; seq_cst as the announcement of the Dekker pair.
        const std::uint32_t previous = state_.exchange(parked, std::memory_order_seq_cst);
        ORDO_ASSERT(previous == running);
        heavy_barrier();  // barrier X of the argument above
    }

    // Consumer. Work appeared during the re-check: stay awake. A producer may already
    // have written running; writing it again is harmless. An RMW like every write to
    // state_, so that no plain store ever cuts a waker's release sequence (see wake()).
    void cancel_park() noexcept {
        ORDO_ASSERT(parking_);
        const std::uint32_t previous = state_.exchange(running, std::memory_order_acq_rel);
        ORDO_ASSERT(previous == running || previous == parked);
        parking_ = false;
    }

    // Consumer. Blocks in the kernel until a producer (or wake()) writes running. Returns
    // at once if that already happened between prepare_park() and now.
    void park() noexcept {
        ORDO_ASSERT(parking_);
        // Acquire: pairs with the waker's exchange; a loop because futex wakes may be
        // spurious.
        while (state_.load(std::memory_order_acquire) == parked) {
            state_.wait(parked, std::memory_order_acquire);
        }
        parking_ = false;
        parks_++;
        ORDO_ASSERT(state_.load(std::memory_order_relaxed) == running);
    }

    // Producer, after every publish. The common case is a fence (a compiler fence when
    // asymmetric) and one load of a line that nobody writes while the consumer is awake.
    void wake_if_parked() noexcept {
        if (observe_state() == running) [[likely]] return;
        // Many producers may race here: only the one that flips parked -> running wakes.
        // acq_rel: our publish happens-before the consumer's return from park().
        if (state_.exchange(running, std::memory_order_acq_rel) == parked) {
            state_.notify_one();
        }
    }

    // Any thread, unconditionally: for shutdown, after the caller stored its stop flag.
    // No fence needed: every write to state_ is an RMW, so every later write in its
    // modification order continues the release sequence of this exchange. If the
    // consumer's next prepare_park comes later, its exchange acquires from that sequence
    // and the re-check sees the stop flag; if it came earlier, this exchange turns parked
    // into running and park() returns.
    void wake() noexcept {
        const std::uint32_t previous = state_.exchange(running, std::memory_order_acq_rel);
        ORDO_ASSERT(previous == running || previous == parked);
        state_.notify_one();
    }

    // Whether producers pay only a compiler fence (membarrier is available).
    bool asymmetric() const noexcept { return asymmetric_; }
    // Consumer thread only: how many times park() returned (for tests and statistics).
    std::uint64_t parks() const noexcept { return parks_; }

private:
    static constexpr std::uint32_t running = 0;
    static constexpr std::uint32_t parked = 1;

    // Start-up only: MEMBARRIER_CMD_PRIVATE_EXPEDITED needs a one-time registration of the
    // process. Kernels before 4.14 or seccomp filters refuse it: fall back to fences.
    static bool register_membarrier() noexcept {
        const long supported = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        if (supported < 0) return false;
        if ((supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
        return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }

    void heavy_barrier() noexcept {
#if !ORDO_PARKER_RMW
        std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
        if (!asymmetric_) return;
        // Registered at construction, so a failure here is a bug, not the world.
        const long result = syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
        ORDO_ASSERT(result == 0);
    }

    // Barrier Y and the load of state_ that follows it.
    std::uint32_t observe_state() noexcept {
#if ORDO_PARKER_RMW
        // An RMW reads the latest value in state_'s modification order (see above).
        return state_.fetch_add(0, std::memory_order_acq_rel);
#else
        if (asymmetric_) {
            // Only stops the compiler from hoisting the load of state_ above the publish;
            // the consumer's membarrier supplies the hardware barrier.
            std::atomic_signal_fence(std::memory_order_seq_cst);
        } else {
            std::atomic_thread_fence(std::memory_order_seq_cst);
        }
        return state_.load(std::memory_order_relaxed);
#endif
    }

    // Read by every producer on every publish, written only around a park: its own line.
    alignas(base::false_sharing_bytes) std::atomic<std::uint32_t> state_{running};
    const bool asymmetric_;  // read-only after construction, read with state_

    // Consumer-private bookkeeping, kept off the line producers read.
    alignas(base::false_sharing_bytes) bool parking_ = false;
    std::uint64_t parks_ = 0;
};

}  // namespace ordo::base
