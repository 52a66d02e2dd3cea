#pragma once
// The same ring API over boost::lockfree::spsc_queue, kept as the reference the benchmark
// compares our spsc_ring against and as a fallback the sequencer can be built with
// (ring_kind::boost). The sequencer is a template over the ring type, so every signature
// here matches spsc_ring exactly.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>

#include <boost/lockfree/spsc_queue.hpp>

#include "base/ring/ring_limits.h"
#include "base/assert.h"

namespace ordo::base {

// Threads: one producer thread (try_push, try_push_all), one consumer thread (try_pop,
// try_pop_one); capacity() and size_approx() anywhere. Lifecycle: built at start-up (boost
// allocates its buffer in the constructor), destroyed after both threads have stopped.
template <class T>
class boost_ring {
    static_assert(std::is_trivially_copyable_v<T>, "the same contract as spsc_ring");

public:
    // Boost's run-time sized queue keeps one slot empty internally; it holds `capacity`
    // items, the same usable capacity as spsc_ring.
    // The staging areas are allocated here too, default-initialised: their pages are only
    // touched (and only cost memory) once a caller uses peek() or claim_at().
    explicit boost_ring(std::uint32_t capacity)
        : queue_(capacity),
          capacity_(capacity),
          staging_(new T[peek_items_max]),
          shadow_(new T[capacity]) {
        ORDO_ASSERT(capacity >= ring_slots_min);
        ORDO_ASSERT(capacity <= ring_slots_max);
        ORDO_ASSERT((capacity & (capacity - 1u)) == 0);
    }

    boost_ring(const boost_ring&) = delete;
    boost_ring& operator=(const boost_ring&) = delete;
    boost_ring(boost_ring&&) = delete;
    boost_ring& operator=(boost_ring&&) = delete;

    // Producer thread only. Returns false, writing nothing, when the ring is full.
    bool try_push(const T& item) noexcept { return queue_.push(item); }

    // Producer thread only. All or nothing: boost's push(array, n) pushes as many as fit
    // and publishes its write index once, so checking the free space first (only the
    // consumer can change it, and only upwards) makes it push all of them or none.
    bool try_push_all(std::span<const T> items) noexcept {
        ORDO_ASSERT(items.size() >= 1);
        ORDO_ASSERT(items.size() <= capacity_);
        if (queue_.write_available() < items.size()) return false;
        const std::size_t pushed = queue_.push(items.data(), items.size());
        ORDO_ASSERT(pushed == items.size());
        return true;
    }

    // Producer thread only. Boost has no in-place claim: the slots are a scratch area that
    // publish() copies in, so the comparison with spsc_ring stays honest.
    T* try_claim(std::uint32_t count) noexcept {
        ORDO_ASSERT(count >= 1);
        ORDO_ASSERT(count <= claim_items_max);
        if (queue_.write_available() < count) return nullptr;
        return scratch_;
    }
    void publish(std::uint32_t count) noexcept {
        ORDO_ASSERT(count <= claim_items_max);
        const std::size_t pushed = queue_.push(scratch_, count);
        ORDO_ASSERT(pushed == count);
    }

    // Consumer thread only. Pops up to out.size() items; boost publishes its read index
    // once per call. Returns how many were popped.
    std::size_t try_pop(std::span<T> out) noexcept {
        ORDO_ASSERT(out.size() >= 1);
        const std::size_t count = queue_.pop(out.data(), out.size());
        ORDO_ASSERT(count <= out.size());
        return count;
    }

    // Consumer thread only. Returns false, leaving `out` alone, when the ring is empty.
    bool try_pop_one(T& out) noexcept { return queue_.pop(out); }

    // Consumer thread only. Boost has no zero-copy read: peek() pops into a staging area and
    // returns it (a copy spsc_ring does not make); what release() does not give back stays
    // staged for the next peek, in order.
    std::span<const T> peek(std::size_t max) noexcept {
        ORDO_ASSERT(max >= 1);
        ORDO_ASSERT(max <= peek_items_max);
        if (staged_ < max) staged_ += queue_.pop(staging_.get() + staged_, max - staged_);
        ORDO_ASSERT(staged_ <= peek_items_max);
        return {staging_.get(), std::min<std::size_t>(staged_, max)};
    }
    void release(std::size_t count) noexcept {
        ORDO_ASSERT(count <= staged_);
        if (count == 0) return;
        std::memmove(static_cast<void*>(staging_.get()), staging_.get() + count,
                     (staged_ - count) * sizeof(T));
        staged_ -= count;
    }

    // Producer thread only. Boost cannot publish slots written earlier in place, so claimed
    // slots go to a shadow ring and publish_to() pushes them (again a copy spsc_ring avoids).
    T& claim_at(std::uint64_t position) noexcept {
        ORDO_ASSERT(position >= published_);
        ORDO_ASSERT(position - published_ < capacity_);
        return shadow_[position & (capacity_ - 1u)];
    }
    void publish_to(std::uint64_t position) noexcept {
        ORDO_ASSERT(position >= published_);
        ORDO_ASSERT(position - published_ <= capacity_);
        while (published_ < position) {
            const std::uint64_t index = published_ & (capacity_ - 1u);
            const std::uint64_t run = std::min<std::uint64_t>(position - published_,
                                                              capacity_ - index);
            // The caller's window guarantees the room; spin only through the consumer's lag.
            std::size_t pushed = 0;
            while (pushed < run) {
                pushed += queue_.push(shadow_.get() + index + pushed, run - pushed);
            }
            published_ += run;
        }
    }
    std::uint64_t published_position() const noexcept { return published_; }
    // Boost copies in and out, so a run of slots never has to stop at the buffer's end.
    std::uint32_t slots_to_end() const noexcept { return capacity_; }

    static constexpr std::size_t peek_items_max = ring_peek_slots_max;

    // Consumer thread only: nothing left to peek, staged or queued.
    bool drained() const noexcept { return staged_ == 0 && queue_.read_available() == 0; }

    std::uint32_t capacity() const noexcept { return capacity_; }

    // Any thread; a snapshot of what is queued (items a peek() staged are the consumer's,
    // counted by drained() on its thread, not here). Boost documents read_available() for the consumer, but it
    // reads both indices through atomics and its result always lies in [0, capacity], so
    // elsewhere it is merely stale, never a data race.
    std::size_t size_approx() const noexcept {
        const std::size_t size = queue_.read_available();
        ORDO_ASSERT(size <= capacity_);
        return size;
    }

    static constexpr std::uint32_t claim_items_max = 16;

private:
    boost::lockfree::spsc_queue<T> queue_;
    const std::uint32_t capacity_;
    T scratch_[claim_items_max] = {};
    std::unique_ptr<T[]> staging_;  // consumer: popped, not yet released
    std::size_t staged_ = 0;
    std::unique_ptr<T[]> shadow_;  // producer: claimed, not yet published
    std::uint64_t published_ = 0;
};

}  // namespace ordo::base
