#pragma once
// Holds ordered by (expires_at, reservation id): the order CONTRACT.md gives expiries.
// A 4-ary min-heap: holds arrive with non-decreasing expiry per ttl, so a push usually
// stops at once; a pop walks log4(n) levels. Entries are removed lazily: a confirmed or
// cancelled hold stays until it reaches the top and is found stale.
//
// Thread: owned by the sequencer thread (or the recovery thread before it starts).

#include <cstdint>

#include "engine/big_array.h"
#include "journal/base/assert.h"

namespace ordo::engine {

struct expiry_entry {
    std::uint64_t expires_at_ms;
    std::uint64_t reservation;
    std::uint32_t slot;  // index in the reservation table
    std::uint32_t reserved_zero;

    bool before(const expiry_entry& other) const noexcept {
        if (expires_at_ms != other.expires_at_ms) return expires_at_ms < other.expires_at_ms;
        return reservation < other.reservation;
    }
};
static_assert(sizeof(expiry_entry) == 24);

class expiry_queue {
public:
    expiry_queue() = default;
    explicit expiry_queue(std::uint32_t capacity) : entries_(capacity), capacity_(capacity) {}

    std::uint32_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const expiry_entry& top() const noexcept {
        ORDO_ASSERT(size_ > 0);
        return entries_[0];
    }
    void clear() noexcept { size_ = 0; }

    void push(const expiry_entry& entry) noexcept {
        // Each reservation is pushed at most once, and the queue holds one entry per slot.
        ORDO_ASSERT(size_ < capacity_);
        std::uint32_t index = size_++;
        expiry_entry* e = entries_.data();
        while (index > 0) {
            const std::uint32_t parent = (index - 1) / 4;
            if (!entry.before(e[parent])) break;
            e[index] = e[parent];
            index = parent;
        }
        e[index] = entry;
    }

    void pop() noexcept {
        ORDO_ASSERT(size_ > 0);
        size_--;
        if (size_ == 0) return;
        expiry_entry* e = entries_.data();
        const expiry_entry last = e[size_];
        std::uint32_t index = 0;
        for (;;) {
            const std::uint32_t first_child = index * 4 + 1;
            if (first_child >= size_) break;
            const std::uint32_t end = first_child + 4 < size_ ? first_child + 4 : size_;
            std::uint32_t best = first_child;
            for (std::uint32_t c = first_child + 1; c < end; c++) {
                if (e[c].before(e[best])) best = c;
            }
            if (!e[best].before(last)) break;
            e[index] = e[best];
            index = best;
        }
        e[index] = last;
    }

private:
    big_array<expiry_entry> entries_;
    std::uint32_t capacity_ = 0;
    std::uint32_t size_ = 0;
};

}  // namespace ordo::engine
