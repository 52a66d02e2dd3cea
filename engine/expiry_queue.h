#pragma once
// Holds ordered by (expires_at, reservation id): the order CONTRACT.md gives expiries.
// Two lanes. Time never runs backwards, so holds of conferences that share a ttl arrive
// in expiry order: those go to a FIFO (O(1), sequential memory). A hold that would break
// the FIFO's order (a shorter ttl, or a tie with a smaller id) goes to a 4-ary min-heap.
// The next expiry is the smaller of the two heads. Entries are removed lazily: a confirmed
// or cancelled hold stays until it reaches a head and is found stale.
//
// The FIFO holds only record numbers (4 bytes a hold): expires_at and the id are read from
// the reservation records, which the FIFO visits in creation order (a sequential stream
// the expiry check reads anyway for the record's status). Heap entries keep expires_at.
//
// Thread: owned by the sequencer thread (or the recovery thread before it starts).

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "engine/big_array.h"
#include "engine/reservation.h"
#include "base/assert.h"

namespace ordo::engine {

struct expiry_entry {
    std::uint64_t expires_at_ms;
    std::uint64_t reservation;
    std::uint32_t record;  // the reservation's record in booking_state
    std::uint32_t reserved_zero;

    bool before(const expiry_entry& other) const noexcept {
        if (expires_at_ms != other.expires_at_ms) return expires_at_ms < other.expires_at_ms;
        return reservation < other.reservation;
    }
};

class expiry_queue {
public:
    expiry_queue() = default;
    // `records` is the reservation arena the entries' record numbers index (it outlives
    // the queue and a record's id and expires_at never change once pushed).
    expiry_queue(std::uint32_t capacity, const reservation_state* records)
        : heap_(capacity), fifo_(capacity), records_(records), capacity_(capacity) {
        ORDO_ASSERT(records != nullptr);
    }

    // What a queue of `capacity` maps (both lanes sized for every hold).
    static std::uint64_t bytes_for(std::uint32_t capacity) noexcept {
        return std::uint64_t{capacity} * (sizeof(heap_entry) + sizeof(std::uint32_t));
    }
    std::uint64_t bytes() const noexcept { return heap_.bytes() + fifo_.bytes(); }

    std::uint64_t size() const noexcept { return std::uint64_t{size_} + (fifo_tail_ - fifo_head_); }
    bool empty() const noexcept { return size() == 0; }
    expiry_entry top() const noexcept {
        ORDO_ASSERT(!empty());
        if (fifo_tail_ == fifo_head_) return heap_entry_at(0);
        const expiry_entry head = fifo_entry_at(fifo_head_);
        if (size_ == 0) return head;
        const expiry_entry heap_top = heap_entry_at(0);
        return head.before(heap_top) ? head : heap_top;
    }
    // The earliest expires_at in the queue (stale entries included), or the largest time
    // when empty: kept up to date by push and pop, so the sequencer pays one load and one
    // comparison per command while nothing is due.
    std::uint64_t earliest_ms() const noexcept { return earliest_ms_; }
    void prefault() noexcept {
        heap_.prefault();
        fifo_.prefault();
    }
    // booking_state::populate_concurrently: FIFO entries [first, first + count), the heap.
    void populate(std::size_t first, std::size_t count) const noexcept {
        fifo_.populate(first, std::min<std::size_t>(count, fifo_.size() - first));
    }
    void populate_heap() const noexcept { heap_.populate(0, heap_.size()); }

    [[gnu::always_inline]] void push(const expiry_entry& entry) noexcept {
        // Each reservation is pushed at most once, so the two lanes never hold more than
        // capacity entries together and the FIFO never needs to wrap.
        ORDO_ASSERT(size() < capacity_);
        if (entry.expires_at_ms < earliest_ms_) earliest_ms_ = entry.expires_at_ms;
        if (fifo_tail_ == fifo_head_ || !entry.before(fifo_last_)) {
            ORDO_ASSERT(fifo_tail_ < capacity_);
            fifo_.data()[fifo_tail_++] = entry.record;
            fifo_last_ = entry;
            return;
        }
        heap_push(heap_entry{
            .expires_at_ms = entry.expires_at_ms, .record = entry.record, .reserved_zero = 0});
    }

    void pop() noexcept {
        ORDO_ASSERT(!empty());
        if (fifo_tail_ != fifo_head_ &&
            (size_ == 0 || fifo_entry_at(fifo_head_).before(heap_entry_at(0)))) {
            fifo_head_++;
        } else {
            heap_pop();
        }
        refresh_earliest();
    }

private:
    struct heap_entry {
        std::uint64_t expires_at_ms;
        std::uint32_t record;
        std::uint32_t reserved_zero;
    };
    static_assert(sizeof(heap_entry) == 16);
    static constexpr std::uint32_t record_prefetch_ahead = 8;

    expiry_entry fifo_entry_at(std::uint32_t position) const noexcept {
        const std::uint32_t record = fifo_[position];
        const reservation_state& r = records_[record];
        return {.expires_at_ms = r.expires_at_ms,
                .reservation = r.id,
                .record = record,
                .reserved_zero = 0};
    }
    expiry_entry heap_entry_at(std::uint32_t index) const noexcept {
        const heap_entry& h = heap_[index];
        return {.expires_at_ms = h.expires_at_ms,
                .reservation = records_[h.record].id,
                .record = h.record,
                .reserved_zero = 0};
    }
    // Ties on expires_at (rare) look the ids up in the records.
    bool heap_before(const heap_entry& a, const heap_entry& b) const noexcept {
        if (a.expires_at_ms != b.expires_at_ms) return a.expires_at_ms < b.expires_at_ms;
        return records_[a.record].id < records_[b.record].id;
    }

    // After a pop: the next expires_at, and a prefetch of the record a few FIFO places
    // ahead (expiries walk old records, long out of the cache, in creation order).
    void refresh_earliest() noexcept {
        if (fifo_head_ + record_prefetch_ahead < fifo_tail_) {
            __builtin_prefetch(&records_[fifo_[fifo_head_ + record_prefetch_ahead]]);
        }
        const std::uint64_t fifo =
            fifo_tail_ != fifo_head_ ? records_[fifo_[fifo_head_]].expires_at_ms : ~0ull;
        const std::uint64_t heap = size_ != 0 ? heap_[0].expires_at_ms : ~0ull;
        earliest_ms_ = fifo < heap ? fifo : heap;
    }

    void heap_push(const heap_entry& entry) noexcept {
        // Each reservation is pushed at most once, and the queue holds one entry per slot.
        ORDO_ASSERT(size_ < capacity_);
        std::uint32_t index = size_++;
        heap_entry* e = heap_.data();
        while (index > 0) {
            const std::uint32_t parent = (index - 1) / 4;
            if (!heap_before(entry, e[parent])) break;
            e[index] = e[parent];
            index = parent;
        }
        e[index] = entry;
    }

    void heap_pop() noexcept {
        ORDO_ASSERT(size_ > 0);
        size_--;
        if (size_ == 0) return;
        heap_entry* e = heap_.data();
        const heap_entry last = e[size_];
        std::uint32_t index = 0;
        for (;;) {
            const std::uint32_t first_child = index * 4 + 1;
            if (first_child >= size_) break;
            const std::uint32_t end = first_child + 4 < size_ ? first_child + 4 : size_;
            std::uint32_t best = first_child;
            for (std::uint32_t c = first_child + 1; c < end; c++) {
                if (heap_before(e[c], e[best])) best = c;
            }
            if (!heap_before(e[best], last)) break;
            e[index] = e[best];
            index = best;
        }
        e[index] = last;
    }

    big_array<heap_entry> heap_;
    big_array<std::uint32_t> fifo_;  // record numbers, [fifo_head_, fifo_tail_) in expiry order
    const reservation_state* records_ = nullptr;
    std::uint32_t capacity_ = 0;
    std::uint32_t size_ = 0;  // heap entries
    std::uint32_t fifo_head_ = 0;
    std::uint32_t fifo_tail_ = 0;
    std::uint64_t earliest_ms_ = ~0ull;
    expiry_entry fifo_last_{};  // the FIFO's newest entry, for push's order check
};

}  // namespace ordo::engine
