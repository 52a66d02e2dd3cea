#pragma once
// Holds ordered by (expires_at, reservation id): the order CONTRACT.md gives expiries.
// Two lanes. Time never runs backwards, so holds of conferences that share a ttl arrive
// in expiry order: those go to a FIFO (O(1)). A hold that would break the FIFO's order (a
// shorter ttl, or a tie with a smaller id) goes to a 4-ary min-heap. The next expiry is the
// smaller of the two heads.
//
// Entries leave as soon as their hold does (remove(): confirmed, cancelled, expired at a
// close), not when they reach a head: a reservation's record is given back for reuse when
// it finishes (engine/booking_state.h), so an entry left behind would name a record that
// may already hold another reservation. The FIFO is therefore a doubly linked list through
// per-record links (O(1) unlink) and the heap knows each record's position (O(log n)
// removal); the queue holds exactly the held reservations, never more than the records.
//
// The FIFO holds only record numbers: expires_at and the id are read from the reservation
// records (which do not change while held). Heap entries keep expires_at.
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
    // the queue; a record's id and expires_at do not change while it is queued).
    expiry_queue(std::uint32_t capacity, const reservation_state* records)
        : heap_(capacity), heap_position_(capacity), fifo_links_(capacity), records_(records),
          capacity_(capacity) {
        ORDO_ASSERT(records != nullptr);
    }

    // What a queue of `capacity` maps: the heap, each record's heap position and FIFO links.
    static std::uint64_t bytes_for(std::uint32_t capacity) noexcept {
        return std::uint64_t{capacity} *
               (sizeof(heap_entry) + sizeof(std::uint32_t) + sizeof(fifo_link));
    }
    std::uint64_t bytes() const noexcept {
        return heap_.bytes() + heap_position_.bytes() + fifo_links_.bytes();
    }

    std::uint64_t size() const noexcept { return std::uint64_t{size_} + fifo_size_; }
    bool empty() const noexcept { return size() == 0; }
    expiry_entry top() const noexcept {
        ORDO_ASSERT(!empty());
        if (fifo_size_ == 0) return heap_entry_at(0);
        const expiry_entry head = fifo_entry_of(fifo_head_ - 1);
        if (size_ == 0) return head;
        const expiry_entry heap_top = heap_entry_at(0);
        return head.before(heap_top) ? head : heap_top;
    }
    // The earliest expires_at in the queue, or the largest time when empty: kept up to
    // date by push and remove, so the sequencer pays one load and one comparison per
    // command while nothing is due.
    std::uint64_t earliest_ms() const noexcept { return earliest_ms_; }
    void prefault() noexcept {
        heap_.prefault();
        heap_position_.prefault();
        fifo_links_.prefault();
    }
    // booking_state::populate_concurrently: the per-record arrays [first, first + count).
    void populate(std::size_t first, std::size_t count) const noexcept {
        const std::size_t n = std::min<std::size_t>(count, fifo_links_.size() - first);
        fifo_links_.populate(first, n);
        heap_position_.populate(first, n);
    }
    void populate_heap() const noexcept { heap_.populate(0, heap_.size()); }

    [[gnu::always_inline]] void push(const expiry_entry& entry) noexcept {
        ORDO_ASSERT(size() < capacity_);
        ORDO_ASSERT(entry.record < capacity_);
        ORDO_ASSERT(heap_position_[entry.record] == 0);
        if (entry.expires_at_ms < earliest_ms_) earliest_ms_ = entry.expires_at_ms;
        if (fifo_size_ == 0 || !entry.before(fifo_last_)) {
            fifo_link& link = fifo_links_.data()[entry.record];
            link = fifo_link{.prev_plus_one = fifo_tail_, .next_plus_one = 0};
            if (fifo_tail_ != 0) {
                fifo_links_.data()[fifo_tail_ - 1].next_plus_one = entry.record + 1;
            } else {
                fifo_head_ = entry.record + 1;
            }
            fifo_tail_ = entry.record + 1;
            fifo_size_++;
            // The newest pushed, even once removed: what is left stays at or before it.
            fifo_last_ = entry;
            return;
        }
        heap_push(heap_entry{
            .expires_at_ms = entry.expires_at_ms, .record = entry.record, .reserved_zero = 0});
    }

    // Removes the entry of `record` (queued: its reservation is held), wherever it is.
    void remove(std::uint32_t record) noexcept {
        ORDO_ASSERT(record < capacity_);
        ORDO_ASSERT(!empty());
        const std::uint32_t position_plus_one = heap_position_[record];
        if (position_plus_one != 0) {
            heap_remove(position_plus_one - 1);
        } else {
            fifo_unlink(record);
        }
        refresh_earliest();
    }

    void pop() noexcept { remove(top().record); }

private:
    struct heap_entry {
        std::uint64_t expires_at_ms;
        std::uint32_t record;
        std::uint32_t reserved_zero;
    };
    static_assert(sizeof(heap_entry) == 16);
    struct fifo_link {
        std::uint32_t prev_plus_one;  // 0: none
        std::uint32_t next_plus_one;
    };
    static_assert(sizeof(fifo_link) == 8);

    expiry_entry fifo_entry_of(std::uint32_t record) const noexcept {
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

    void fifo_unlink(std::uint32_t record) noexcept {
        ORDO_ASSERT(fifo_size_ > 0);
        fifo_link& link = fifo_links_.data()[record];
        if (link.prev_plus_one != 0) {
            fifo_links_[link.prev_plus_one - 1].next_plus_one = link.next_plus_one;
        } else {
            ORDO_ASSERT(fifo_head_ == record + 1);
            fifo_head_ = link.next_plus_one;
        }
        if (link.next_plus_one != 0) {
            fifo_links_[link.next_plus_one - 1].prev_plus_one = link.prev_plus_one;
        } else {
            ORDO_ASSERT(fifo_tail_ == record + 1);
            fifo_tail_ = link.prev_plus_one;
        }
        link = fifo_link{};
        fifo_size_--;
    }

    void refresh_earliest() noexcept {
        const std::uint64_t fifo = fifo_size_ != 0 ? records_[fifo_head_ - 1].expires_at_ms : ~0ull;
        const std::uint64_t heap = size_ != 0 ? heap_[0].expires_at_ms : ~0ull;
        earliest_ms_ = fifo < heap ? fifo : heap;
    }

    void place(std::uint32_t index, const heap_entry& entry) noexcept {
        heap_.data()[index] = entry;
        heap_position_.data()[entry.record] = index + 1;
    }
    void sift_up(std::uint32_t index, const heap_entry& entry) noexcept {
        heap_entry* e = heap_.data();
        while (index > 0) {
            const std::uint32_t parent = (index - 1) / 4;
            if (!heap_before(entry, e[parent])) break;
            place(index, e[parent]);
            index = parent;
        }
        place(index, entry);
    }
    void sift_down(std::uint32_t index, const heap_entry& entry) noexcept {
        heap_entry* e = heap_.data();
        for (;;) {
            const std::uint32_t first_child = index * 4 + 1;
            if (first_child >= size_) break;
            const std::uint32_t end = first_child + 4 < size_ ? first_child + 4 : size_;
            std::uint32_t best = first_child;
            for (std::uint32_t c = first_child + 1; c < end; c++) {
                if (heap_before(e[c], e[best])) best = c;
            }
            if (!heap_before(e[best], entry)) break;
            place(index, e[best]);
            index = best;
        }
        place(index, entry);
    }
    void heap_push(const heap_entry& entry) noexcept {
        ORDO_ASSERT(size_ < capacity_);
        sift_up(size_++, entry);
    }
    void heap_remove(std::uint32_t index) noexcept {
        ORDO_ASSERT(index < size_);
        heap_position_.data()[heap_[index].record] = 0;
        size_--;
        if (index == size_) return;
        const heap_entry last = heap_[size_];
        if (index > 0 && heap_before(last, heap_[(index - 1) / 4])) {
            sift_up(index, last);
        } else {
            sift_down(index, last);
        }
    }

    big_array<heap_entry> heap_;
    big_array<std::uint32_t> heap_position_;  // by record: its heap index + 1, 0: not there
    big_array<fifo_link> fifo_links_;         // by record: the FIFO's neighbours
    const reservation_state* records_ = nullptr;
    std::uint32_t capacity_ = 0;
    std::uint32_t size_ = 0;  // heap entries
    std::uint32_t fifo_size_ = 0;
    std::uint32_t fifo_head_ = 0;  // record + 1, 0: empty
    std::uint32_t fifo_tail_ = 0;
    std::uint64_t earliest_ms_ = ~0ull;
    expiry_entry fifo_last_{};  // the FIFO's newest pushed entry, for push's order check
};

}  // namespace ordo::engine
