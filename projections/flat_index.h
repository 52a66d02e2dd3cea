#pragma once
// An open-addressing table from a nonzero id (reservation, conference, customer) to a small
// value, usually the number of an entry in one of a view's append-only arrays. The views
// look an id up for nearly every record they apply, so this is their hot path: one
// multiply (Fibonacci hashing of groups of eight ids, below) and a linear probe through
// small slots in one array (on huge pages, big_vector.h), never a node allocated per id as
// in std::unordered_map. The table doubles when half full (amortised: no allocation per
// record); deletion shifts the following entries back, so there are no tombstones.
//
// The doubled table is mapped once the table is 3/8 full and faulted in a piece at a time
// over the insertions before it is needed: faulting a large one in all at once, at the
// growth, held a follower's poll for about 100 ms (three views' reservation indexes hold the
// same reservations and double at the same record; first touch of fresh memory runs at 1-3
// GB/s on this VM), its largest lag behind 1 M commands/s; now 29-32 ms, the entries'
// insertion into the new table.
//
// Its iteration order depends on its history (growth), so checkpoints never write it:
// each view encodes its append-only arrays and rebuilds its indexes when it decodes them.
//
// Value type, one thread (the projection's).

#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "projections/big_vector.h"

namespace ordo::projections {

template <class Value>
class flat_index {
    static_assert(std::is_trivially_copyable_v<Value>);

  public:
    // The value for `id`, or nullptr; the pointer lasts until the next insertion or erase.
    Value* find(std::uint64_t id) noexcept {
        if (id == 0 || slots_.empty()) return nullptr;
        for (std::size_t at = home(id);; at = (at + 1) & mask()) {
            slot& s = slots_[at];
            if (s.id == id) return &s.value;
            if (s.id == 0) return nullptr;
        }
    }
    const Value* find(std::uint64_t id) const noexcept {
        return const_cast<flat_index*>(this)->find(id);
    }

    // Asks the cache for the line `id`'s probe starts in: a view calls it for a record a few
    // ahead of the one it applies, so the lookups of a batch overlap their misses.
    void prefetch(std::uint64_t id) const noexcept {
        if (!slots_.empty()) __builtin_prefetch(&slots_[home(id)]);
    }

    // Inserts `id` (nonzero, absent) with `value`; returns where the value lives.
    Value& insert(std::uint64_t id, const Value& value) {
        ORDO_ASSERT(id != 0);  // 0 marks an empty slot; ids start at 1 (CONTRACT.md)
        if ((count_ + 1) * 2 > slots_.size()) grow();
        prepare_next();
        std::size_t at = home(id);
        while (slots_[at].id != 0) {
            ORDO_ASSERT(slots_[at].id != id);  // ids are inserted once
            at = (at + 1) & mask();
        }
        slots_[at] = slot{.id = id, .value = value};
        count_++;
        return slots_[at].value;
    }

    // The value for `id`, inserting `fresh` first when it is absent.
    Value& find_or_insert(std::uint64_t id, const Value& fresh) {
        if (Value* found = find(id)) return *found;
        return insert(id, fresh);
    }

    // Removes `id` (present): the entries after it in its probe run move back.
    void erase(std::uint64_t id) noexcept {
        ORDO_ASSERT(id != 0);
        ORDO_ASSERT(!slots_.empty());
        std::size_t hole = home(id);
        while (slots_[hole].id != id) {
            ORDO_ASSERT(slots_[hole].id != 0);  // present
            hole = (hole + 1) & mask();
        }
        for (std::size_t at = (hole + 1) & mask(); slots_[at].id != 0; at = (at + 1) & mask()) {
            // An entry may fill the hole when its home is not in (hole, at].
            const std::size_t from_home = (at - home(slots_[at].id)) & mask();
            const std::size_t from_hole = (at - hole) & mask();
            if (from_home >= from_hole) {
                slots_[hole] = slots_[at];
                hole = at;
            }
        }
        slots_[hole] = slot{};
        ORDO_ASSERT(count_ > 0);
        count_--;
    }

    std::size_t size() const noexcept { return count_; }
    void clear() noexcept {
        slots_.clear();
        slots_.shrink_to_fit();
        next_.clear();
        next_.shrink_to_fit();
        next_faulted_ = 0;
        count_ = 0;
    }
    // Every (id, value), in the table's order (not ascending).
    template <class Visit>
    void for_each(Visit&& visit) const {
        for (const slot& s : slots_) {
            if (s.id != 0) visit(s.id, s.value);
        }
    }

  private:
    struct slot {
        std::uint64_t id = 0;
        Value value{};
    };
    static constexpr std::size_t slots_min = 64;
    static constexpr std::size_t group_slots = 8;
    static constexpr std::uint64_t fibonacci = 0x9e37'79b9'7f4a'7c15ull;  // 2^64 / phi
    static_assert(std::has_single_bit(group_slots) && group_slots <= slots_min);

    std::size_t mask() const noexcept { return slots_.size() - 1; }
    // Ids issued in order (the journal's usual case) keep their order in runs of
    // group_slots consecutive slots: eight ids named close together in time share one or
    // two cache lines instead of eight, and the groups spread by Fibonacci hashing.
    std::size_t home(std::uint64_t id) const noexcept {
        const int bits = std::countr_zero(slots_.size());
        const auto group =
            static_cast<std::size_t>(((id / group_slots) * fibonacci) >> (64 - bits));
        return (group & ~(group_slots - 1)) | (id & (group_slots - 1));
    }
    // Slots of the next table faulted in per insertion once it is mapped (a piece of 2 MiB,
    // a huge page, at a time): it is twice this one, and the insertions from 3/8 to 1/2 full
    // number 1/8 of this one's slots, so 16 an insertion would end just in time; 32 end it
    // halfway, with room for erasures in between.
    static constexpr std::size_t next_fault_slots_per_insert = 32;
    static constexpr std::size_t next_fault_piece_slots = huge_page_bytes / sizeof(slot);
    // Maps the next table from 3/8 full, and faults it in a piece at a time (small tables
    // grow at once: their growth costs little).
    void prepare_next() {
        if (slots_.size() < 2 * next_fault_piece_slots || count_ * 8 < slots_.size() * 3) return;
        if (next_.empty()) {
            next_.assign_zeroed_unpopulated(slots_.size() * 2);
            next_faulted_ = 0;
        }
        if (next_faulted_ >= next_.size()) return;
        // The slots that should be faulted in by now, to a whole piece.
        const std::size_t due = (count_ - slots_.size() * 3 / 8 + 1) * next_fault_slots_per_insert;
        if (due <= next_faulted_) return;
        const std::size_t piece = std::min(next_fault_piece_slots, next_.size() - next_faulted_);
        next_.populate(next_faulted_, piece);
        next_faulted_ += piece;
    }
    void grow() {
        big_vector<slot> old = std::move(slots_);
        const std::size_t size = old.empty() ? slots_min : old.size() * 2;
        if (next_.size() == size) {
            slots_ = std::move(next_);  // zeroed, faulted in up to next_faulted_
            slots_.populate(next_faulted_, slots_.size() - next_faulted_);
            next_faulted_ = 0;
        } else {
            next_.clear();
            next_.shrink_to_fit();
            next_faulted_ = 0;
            slots_.assign_zeroed(size);  // slot{}: id 0, empty
        }
        ORDO_ASSERT(std::has_single_bit(slots_.size()));
        count_ = 0;
        for (const slot& s : old) {
            if (s.id != 0) insert(s.id, s.value);
        }
    }

    big_vector<slot> slots_;
    big_vector<slot> next_;         // the next table, mapped from 3/8 full (else empty)
    std::size_t next_faulted_ = 0;  // its slots faulted in so far (from the start)
    std::size_t count_ = 0;
};

}  // namespace ordo::projections
