#pragma once
// Our bounded single-producer single-consumer ring: the hop from one producer thread to
// the sequencer (commands) and back (replies). Rigtorp style: each index lives on its own
// padded line, and each side keeps a private copy of the other side's index, so in the
// steady state a push or a pop touches only its own line plus the slot lines; the peer's
// line is read only when the private copy says full (producer) or empty (consumer).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>

#include "base/ring/ring_limits.h"
#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::base {

// Threads: exactly one producer thread calls try_push / try_push_all, exactly one consumer
// thread calls try_pop / try_pop_one; capacity() and size_approx() are safe anywhere.
// Lifecycle: built at start-up (the only allocation, touched once so that page faults are
// paid then), used by the two threads, destroyed after both have stopped.
// Positions are 64-bit and only grow (at 10^9 items/s they wrap after 584 years), so
// `tail - head` is the fill level and every slot is usable: no slot is wasted to tell
// full from empty, and an index is `position & mask_`, never a modulo.
template <class T>
class spsc_ring {
    static_assert(std::is_trivially_copyable_v<T>, "slots are copied with memcpy");
    static_assert(std::is_trivially_destructible_v<T>, "slots are never destroyed one by one");

public:
    explicit spsc_ring(std::uint32_t capacity) : capacity_(capacity), mask_(capacity - 1u) {
        ORDO_ASSERT(capacity >= ring_slots_min);
        ORDO_ASSERT(capacity <= ring_slots_max);
        ORDO_ASSERT((capacity & (capacity - 1u)) == 0);
        // Rounded to whole false-sharing units so no neighbouring allocation shares a
        // prefetched line pair with the first or last slot.
        storage_bytes_ = std::size_t{capacity} * sizeof(T);
        storage_bytes_ = (storage_bytes_ + storage_align - 1) / storage_align * storage_align;
        slots_ = static_cast<T*>(::operator new(storage_bytes_, std::align_val_t{storage_align}));
        ORDO_ASSERT(slots_ != nullptr);
        std::memset(static_cast<void*>(slots_), 0, storage_bytes_);
        check_layout();
    }

    ~spsc_ring() { ::operator delete(slots_, storage_bytes_, std::align_val_t{storage_align}); }

    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;
    spsc_ring(spsc_ring&&) = delete;
    spsc_ring& operator=(spsc_ring&&) = delete;

    // Producer thread only. Returns false, writing nothing, when the ring is full.
    bool try_push(const T& item) noexcept {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(tail - head_cached_ <= capacity_);
        if (tail - head_cached_ == capacity_) {
            // Acquire: the consumer has finished copying out the slots it released.
            head_cached_ = head_.load(std::memory_order_acquire);
            ORDO_ASSERT(tail - head_cached_ <= capacity_);
            if (tail - head_cached_ == capacity_) return false;
        }
        slots_[tail & mask_] = item;
        // Release: the slot contents become visible no later than the new tail.
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    // Producer thread only. All or nothing: a multi-slot command must never be seen by the
    // consumer in part, so every item is copied first and the tail moves once.
    bool try_push_all(std::span<const T> items) noexcept {
        const std::uint64_t count = items.size();
        ORDO_ASSERT(count >= 1);
        ORDO_ASSERT(count <= capacity_);
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);  // we own it
        if (!has_room(tail, count)) return false;
        copy_in(tail, items);
        tail_.store(tail + count, std::memory_order_release);  // publishes the whole group
        return true;
    }

    // Producer thread only, zero-copy: `count` contiguous free slots to fill in place, or
    // nullptr when the ring lacks room or the slots would wrap past its end (then use
    // try_push_all). Nothing is visible to the consumer until publish(count).
    T* try_claim(std::uint32_t count) noexcept {
        ORDO_ASSERT(count >= 1);
        ORDO_ASSERT(count <= capacity_);
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);  // we own it
        if (!has_room(tail, count)) return nullptr;
        const std::uint64_t index = tail & mask_;
        if (index + count > capacity_) return nullptr;
        return slots_ + index;
    }

    // Producer thread only: makes the `count` slots of the last try_claim visible at once.
    void publish(std::uint32_t count) noexcept {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(count >= 1);
        ORDO_ASSERT(capacity_ - (tail - head_cached_) >= count);
        tail_.store(tail + count, std::memory_order_release);
    }

    // Consumer thread only. Pops up to out.size() items with at most one acquire (only
    // when the cached tail promises fewer than out.size()) and one release, so a batch
    // costs one write to the shared head line however many items it moves. Returns how
    // many were popped: fewer than out.size() only when the ring held fewer.
    std::size_t try_pop(std::span<T> out) noexcept {
        ORDO_ASSERT(out.size() >= 1);
        const std::uint64_t head = head_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(tail_cached_ - head <= capacity_);
        if (tail_cached_ - head < out.size()) {
            // Acquire: pairs with the producer's release, so the slots are fully written.
            tail_cached_ = tail_.load(std::memory_order_acquire);
            ORDO_ASSERT(tail_cached_ - head <= capacity_);
            if (tail_cached_ == head) return 0;
        }
        const std::uint64_t count = std::min<std::uint64_t>(tail_cached_ - head, out.size());
        copy_out(head, out.first(count));
        // Release: the slots are read before the producer may overwrite them.
        head_.store(head + count, std::memory_order_release);
        return count;
    }

    // Consumer thread only. Returns false, leaving `out` alone, when the ring is empty.
    bool try_pop_one(T& out) noexcept {
        const std::uint64_t head = head_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(tail_cached_ - head <= capacity_);
        if (tail_cached_ == head) {
            // Acquire: pairs with the producer's release, so the slot is fully written.
            tail_cached_ = tail_.load(std::memory_order_acquire);
            ORDO_ASSERT(tail_cached_ - head <= capacity_);
            if (tail_cached_ == head) return false;
        }
        out = slots_[head & mask_];
        head_.store(head + 1, std::memory_order_release);  // the slot is read: give it back
        return true;
    }

    // --- Zero-copy consumer side: the sequencer decides commands where they lie. ---

    // Consumer thread only. The readable slots from the head on that lie contiguously (the
    // run stops at the ring's end), at most `max` of them; they stay readable and owned by
    // the consumer until release(). Reads the producer's tail only when the cached copy
    // promises fewer than `max`, so a busy ring costs one shared-line read per peek.
    std::span<const T> peek(std::size_t max) noexcept {
        ORDO_ASSERT(max >= 1);
        const std::uint64_t head = head_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(tail_cached_ - head <= capacity_);
        if (tail_cached_ - head < max) {
            // Acquire: pairs with the producer's release, so the slots are fully written.
            tail_cached_ = tail_.load(std::memory_order_acquire);
            ORDO_ASSERT(tail_cached_ - head <= capacity_);
        }
        const std::uint64_t index = head & mask_;
        std::uint64_t count = std::min<std::uint64_t>(tail_cached_ - head, max);
        count = std::min<std::uint64_t>(count, capacity_ - index);
        return {slots_ + index, static_cast<std::size_t>(count)};
    }

    // Consumer thread only: gives the first `count` slots of the last peek back.
    void release(std::size_t count) noexcept {
        const std::uint64_t head = head_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(count <= tail_cached_ - head);
        if (count == 0) return;
        // Release: the slots are read before the producer may overwrite them.
        head_.store(head + count, std::memory_order_release);
    }

    // Consumer thread only: nothing left to peek.
    bool drained() const noexcept { return size_approx() == 0; }

    // --- Deferred publication on the producer side: the sequencer writes each reply when
    // it decides the command and publishes them once their batch is durable. ---

    // Producer thread only. The slot at `position` (published_position() <= position), to
    // be written now and made visible by a later publish_to(). The caller guarantees the
    // room (a producer never has more commands in flight than the reply ring holds), so
    // running out is a bug, not a wait.
    T& claim_at(std::uint64_t position) noexcept {
        ORDO_ASSERT(position >= tail_.load(std::memory_order_relaxed));
        if (position - head_cached_ >= capacity_) {
            // Acquire: the consumer has finished copying out the slots it released.
            head_cached_ = head_.load(std::memory_order_acquire);
            ORDO_ASSERT(position - head_cached_ < capacity_);
        }
        return slots_[position & mask_];
    }

    // Producer thread only: makes every slot before `position` visible at once.
    void publish_to(std::uint64_t position) noexcept {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);  // we own it
        ORDO_ASSERT(position >= tail);
        ORDO_ASSERT(position - head_cached_ <= capacity_);
        if (position == tail) return;
        tail_.store(position, std::memory_order_release);
    }

    // Producer thread only: the position the next publish starts from.
    std::uint64_t published_position() const noexcept {
        return tail_.load(std::memory_order_relaxed);
    }

    // Producer thread only: free slots from the tail to the ring's end, the longest run
    // try_claim can return without wrapping.
    std::uint32_t slots_to_end() const noexcept {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        return static_cast<std::uint32_t>(capacity_ - (tail & mask_));
    }

    std::uint32_t capacity() const noexcept { return capacity_; }

    // Any thread; a snapshot that may be stale by the time it returns. Head is read first
    // with acquire: the consumer released that head only after acquiring a tail at least as
    // large, so the tail read next is never behind it. It can be ahead of that head by more
    // than the capacity, though: between the two loads the consumer may pop and the
    // producer refill (seen under TSan in CI), so the size is clamped to the capacity.
    std::size_t size_approx() const noexcept {
        const std::uint64_t head = head_.load(std::memory_order_acquire);
        const std::uint64_t tail = tail_.load(std::memory_order_acquire);
        ORDO_ASSERT(tail >= head);
        return std::min<std::uint64_t>(tail - head, capacity_);
    }

private:
    static constexpr std::size_t storage_align =
        std::max(base::false_sharing_bytes, alignof(T));

    // The padding promise: each line written by one thread is at least false_sharing_bytes
    // away from every line written by the other, and nothing else shares the last one.
    static constexpr void check_layout() noexcept {
        constexpr std::size_t apart = base::false_sharing_bytes;
        static_assert(std::is_standard_layout_v<spsc_ring>);
        static_assert(alignof(spsc_ring) == apart);
        static_assert(sizeof(spsc_ring) % apart == 0);
        static_assert(offsetof(spsc_ring, tail_) - offsetof(spsc_ring, slots_) >= apart);
        static_assert(offsetof(spsc_ring, head_cached_) - offsetof(spsc_ring, tail_) >= apart);
        static_assert(offsetof(spsc_ring, head_) - offsetof(spsc_ring, head_cached_) >= apart);
        static_assert(offsetof(spsc_ring, tail_cached_) - offsetof(spsc_ring, head_) >= apart);
        static_assert(sizeof(spsc_ring) - offsetof(spsc_ring, tail_cached_) >= apart);
        static_assert((storage_align & (storage_align - 1)) == 0);
    }

    // Copies items into the slots from position `tail` on, in at most two runs (wrap).
    // Producer side: are `count` slots free after `tail`? Reads the consumer's head only
    // when the cached copy says no.
    bool has_room(std::uint64_t tail, std::uint64_t count) noexcept {
        if (capacity_ - (tail - head_cached_) >= count) return true;
        // Acquire: the consumer has finished copying out the slots it released.
        head_cached_ = head_.load(std::memory_order_acquire);
        ORDO_ASSERT(tail - head_cached_ <= capacity_);
        return capacity_ - (tail - head_cached_) >= count;
    }

    void copy_in(std::uint64_t tail, std::span<const T> items) noexcept {
        const std::uint64_t index = tail & mask_;
        const std::uint64_t first = std::min<std::uint64_t>(items.size(), capacity_ - index);
        ORDO_ASSERT(first >= 1);
        ORDO_ASSERT(first <= items.size());
        std::memcpy(static_cast<void*>(slots_ + index), items.data(), first * sizeof(T));
        if (first == items.size()) return;  // the common case: no wrap
        std::memcpy(static_cast<void*>(slots_), items.data() + first,
                    (items.size() - first) * sizeof(T));
    }

    // Copies out.size() slots from position `head` on, in at most two runs (wrap).
    void copy_out(std::uint64_t head, std::span<T> out) noexcept {
        const std::uint64_t index = head & mask_;
        const std::uint64_t first = std::min<std::uint64_t>(out.size(), capacity_ - index);
        ORDO_ASSERT(first >= 1);
        ORDO_ASSERT(first <= out.size());
        std::memcpy(static_cast<void*>(out.data()), slots_ + index, first * sizeof(T));
        if (first == out.size()) return;  // the common case: no wrap
        std::memcpy(static_cast<void*>(out.data() + first), slots_,
                    (out.size() - first) * sizeof(T));
    }

    // Read-only after construction: shared by both threads without traffic.
    alignas(base::false_sharing_bytes) T* slots_ = nullptr;
    std::uint32_t capacity_;
    std::uint64_t mask_;
    std::size_t storage_bytes_ = 0;

    // Written by the producer, read by the consumer when its cached copy says empty.
    alignas(base::false_sharing_bytes) std::atomic<std::uint64_t> tail_{0};
    // Producer-private copy of head_: on its own line so the consumer's reads of tail_
    // never take away the line the producer checks on every push.
    alignas(base::false_sharing_bytes) std::uint64_t head_cached_ = 0;

    // Written by the consumer, read by the producer when its cached copy says full.
    alignas(base::false_sharing_bytes) std::atomic<std::uint64_t> head_{0};
    // Consumer-private copy of tail_.
    alignas(base::false_sharing_bytes) std::uint64_t tail_cached_ = 0;

    static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
};

}  // namespace ordo::base
