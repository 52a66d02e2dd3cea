#pragma once
// The reservation index: id -> record number, open addressing with linear probing over
// line-grouped home slots (engine/hash.h). Only the index is probed at random, so its
// entries are 8 bytes: 32 bits of the id's hash (the other bits chose the slot) and the
// record number; a fingerprint match is confirmed against the record's id, which the
// caller supplies (id_of), so the index never reads the records itself.
//
// A value type that points at entries booking_state owns. It holds the live reservations
// only: erase() takes a finished one out.
//
// Thread: whoever owns the state (the sequencer; recovery before it starts).

#include <cstdint>

#include "engine/hash.h"
#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::engine {

inline constexpr std::uint32_t index_none = 0xffff'ffffu;

struct reservation_lookup {
    std::uint32_t record;       // index_none: the id is not there
    std::uint32_t index_slot;   // the id's index slot, or the empty one it would take
    std::uint32_t fingerprint;  // what the index stores for the id
};

struct reservation_index_entry {
    std::uint32_t fingerprint;      // fingerprint_of(id)
    std::uint32_t record_plus_one;  // 0 = empty slot (the index starts zeroed)
};
static_assert(sizeof(reservation_index_entry) == 8);

class reservation_index {
public:
    reservation_index() = default;
    // `entries`: `slots` zeroed entries, a power of two of at least index_slots_min.
    reservation_index(reservation_index_entry* entries, std::uint32_t slots) noexcept
        : entries_(entries), mask_(slots - 1), line_shift_(line_shift_for(slots)) {
        ORDO_ASSERT(entries != nullptr);
        ORDO_ASSERT(std::has_single_bit(slots));
    }

    // `id_of(record)` is the id of a record the index points to.
    template <class IdOfRecord>
    ORDO_ALWAYS_INLINE reservation_lookup find(std::uint64_t id,
                                               const IdOfRecord& id_of) const noexcept {
        ORDO_ASSERT(id != 0);
        const std::uint32_t fingerprint = fingerprint_of(id);
        // Home slots and slot & mask are always inside the index: no bounds check.
        std::uint32_t slot = line_grouped_home_slot(id, line_shift_);
        for (;;) {
            const reservation_index_entry entry = entries_[slot];
            if (entry.record_plus_one == 0) {
                return {.record = index_none, .index_slot = slot, .fingerprint = fingerprint};
            }
            if (entry.fingerprint == fingerprint) {
                const std::uint32_t record = entry.record_plus_one - 1;
                if (id_of(record) == id) {
                    return {.record = record, .index_slot = slot, .fingerprint = fingerprint};
                }
            }
            slot = (slot + 1) & mask_;
        }
    }
    // Points the empty slot `where` (find's answer for a missing id) at `record`.
    void insert(const reservation_lookup& where, std::uint32_t record) const noexcept {
        ORDO_ASSERT(where.record == index_none);
        ORDO_ASSERT(where.index_slot <= mask_);
        ORDO_ASSERT(record < index_none - 1);
        reservation_index_entry& entry = entries_[where.index_slot];
        ORDO_ASSERT(entry.record_plus_one == 0);
        entry = reservation_index_entry{.fingerprint = where.fingerprint,
                                        .record_plus_one = record + 1};
    }
    // Empties `slot` (find's answer for an id that is there) and moves later entries of
    // its probe run back into the hole when their home allows, so every id stays reachable
    // without tombstones: a table whose ids come and go for hours never silts up with dead
    // entries. `id_of(record)` as for find (each entry's id gives its home slot).
    template <class IdOfRecord>
    void erase(std::uint32_t slot, const IdOfRecord& id_of) const noexcept {
        ORDO_ASSERT(slot <= mask_);
        ORDO_ASSERT(entries_[slot].record_plus_one != 0);
        std::uint32_t hole = slot;
        for (std::uint32_t next = (slot + 1) & mask_;; next = (next + 1) & mask_) {
            const reservation_index_entry entry = entries_[next];
            if (entry.record_plus_one == 0) break;
            const std::uint32_t home =
                line_grouped_home_slot(id_of(entry.record_plus_one - 1), line_shift_);
            // It may fill the hole when the hole lies between its home and where it is.
            if (((next - home) & mask_) >= ((next - hole) & mask_)) {
                entries_[hole] = entry;
                hole = next;
            }
        }
        entries_[hole] = reservation_index_entry{.fingerprint = 0, .record_plus_one = 0};
    }
    // The line `id`'s probe starts on.
    void prefetch(std::uint64_t id) const noexcept {
        __builtin_prefetch(entries_ + line_grouped_home_slot(id, line_shift_));
    }
    std::uint32_t slot_count() const noexcept { return mask_ + 1; }

private:
    // What an entry keeps of the id: any 32 bits tell most neighbours apart (a match is
    // confirmed against the record), and an id's low bits differ from its neighbours'.
    static std::uint32_t fingerprint_of(std::uint64_t id) noexcept {
        return static_cast<std::uint32_t>(id) ^ static_cast<std::uint32_t>(id >> 32);
    }

    reservation_index_entry* entries_ = nullptr;
    std::uint32_t mask_ = 0;
    std::uint32_t line_shift_ = 0;
};

}  // namespace ordo::engine
