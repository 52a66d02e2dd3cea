#pragma once
// All mutable domain state: conferences, reservations, the expiry queue, time and counters,
// in flat tables allocated once at start-up. Changed only by apply() (events); read by
// decide() (commands) and by the state printer.
//
// Thread: owned by exactly one thread at a time: the recovery code, then the sequencer.

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "engine/big_array.h"
#include "engine/conference.h"
#include "engine/expiry_queue.h"
#include "engine/hash.h"
#include "engine/limits.h"
#include "engine/reservation.h"

namespace ordo::engine {

struct state_options {
    std::uint32_t conferences_max = 1u << 14;
    std::uint32_t reservations_max = 1u << 20;
};
// nullopt when valid, else one line saying which option is out of range and its limits.
std::optional<std::string> validate(const state_options& options);

struct reservation_counts {
    std::uint64_t held = 0;
    std::uint64_t confirmed = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t expired = 0;
};

inline constexpr std::uint32_t index_none = 0xffff'ffffu;

class booking_state {
public:
    explicit booking_state(const state_options& options);

    const state_options& options() const noexcept { return options_; }
    // Touches every table page now so the sequencer never faults on them later.
    void prefault() noexcept;
    // The same from another thread while this state is being replayed into (first touch of
    // memory runs at 1-3 GB/s here, as long as the replay itself): the index first (probed
    // at random), then the reservation arena and the expiry FIFO in step, front to back,
    // as a replay fills them. It never writes (MADV_POPULATE_WRITE), so it is safe beside
    // the replay's writes; it stops early when asked, and does nothing on kernels without
    // that call (the replay then faults pages in itself).
    void populate_concurrently(std::stop_token stop) const noexcept;

    // --- Conferences ---
    std::uint32_t find_conference(std::uint64_t id) const noexcept {
        ORDO_ASSERT(id != 0);
        const conference_slot* slots = conference_slots_.data();  // slot & mask is in range
        std::uint32_t slot = home_slot(id, conference_shift_);
        for (;;) {
            const conference_slot& s = slots[slot];
            if (s.id == id) return s.index;
            if (s.id == 0) return index_none;
            slot = (slot + 1) & conference_mask_;
        }
    }
    std::uint32_t conference_count() const noexcept { return conference_count_; }
    bool conferences_full() const noexcept { return conference_count_ >= options_.conferences_max; }
    conference_state& conference(std::uint32_t index) noexcept {
        ORDO_ASSERT(index < conference_count_);
        return conferences_.data()[index];  // index < count <= size
    }
    const conference_state& conference(std::uint32_t index) const noexcept {
        ORDO_ASSERT(index < conference_count_);
        return conferences_.data()[index];
    }
    std::uint32_t insert_conference(std::uint64_t id) noexcept;

    // --- Reservations: records in an arena in the order they were made (ids are unique
    // for all time and never deleted), found through an open-addressing index with linear
    // probing. The arena order is the hot order: a new hold is the next record, recent ones
    // (confirmed or cancelled soon after) are recent records, and expiries walk the arena
    // front to back. Only the index is probed at random, so its entries are 8 bytes: 32
    // bits of the id's hash (the other bits chose the slot) and the record number; a hash
    // match is confirmed against the record's id. ---
    struct reservation_lookup {
        std::uint32_t record;       // index_none: the id is not there
        std::uint32_t index_slot;   // the id's index slot, or the empty one it would take
        std::uint32_t fingerprint;  // what the index stores for the id
    };
    reservation_lookup find_reservation(std::uint64_t id) const noexcept {
        ORDO_ASSERT(id != 0);
        const std::uint32_t fingerprint = fingerprint_of(id);
        // Home slots and slot & mask are always inside the index: no bounds check.
        const reservation_index_entry* index = reservation_index_.data();
        std::uint32_t slot = line_grouped_home_slot(id, reservation_line_shift_);
        for (;;) {
            const reservation_index_entry entry = index[slot];
            if (entry.record_plus_one == 0) {
                return {.record = index_none, .index_slot = slot, .fingerprint = fingerprint};
            }
            if (entry.fingerprint == fingerprint) {
                const std::uint32_t record = entry.record_plus_one - 1;
                ORDO_ASSERT(record < reservation_count_);
                if (reservations_.data()[record].id == id) {
                    return {.record = record, .index_slot = slot, .fingerprint = fingerprint};
                }
            }
            slot = (slot + 1) & reservation_mask_;
        }
    }
    // Prefetches the record the index points to for `id` (the first fingerprint match,
    // not confirmed: confirming would read the very line being prefetched). Needs the
    // index line, so it comes after prefetch_reservation(id).
    void prefetch_reservation_record(std::uint64_t id) const noexcept {
        const std::uint32_t fingerprint = fingerprint_of(id);
        const reservation_index_entry* index = reservation_index_.data();
        for (std::uint32_t slot = line_grouped_home_slot(id, reservation_line_shift_);;
             slot = (slot + 1) & reservation_mask_) {
            const reservation_index_entry entry = index[slot];
            if (entry.record_plus_one == 0) return;
            if (entry.fingerprint != fingerprint) continue;
            ORDO_ASSERT(entry.record_plus_one - 1 < reservation_count_);
            __builtin_prefetch(reservations_.data() + (entry.record_plus_one - 1), 1);
            return;
        }
    }
    void prefetch_reservation(std::uint64_t id) const noexcept {
        __builtin_prefetch(reservation_index_.data() +
                           line_grouped_home_slot(id, reservation_line_shift_));
    }
    reservation_state& reservation(std::uint32_t record) noexcept {
        ORDO_ASSERT(record < reservation_count_);
        return reservations_.data()[record];  // record < count <= size
    }
    const reservation_state& reservation(std::uint32_t record) const noexcept {
        ORDO_ASSERT(record < reservation_count_);
        return reservations_.data()[record];
    }
    std::uint32_t reservation_count() const noexcept { return reservation_count_; }
    bool reservations_full() const noexcept {
        return reservation_count_ >= options_.reservations_max;
    }
    // Appends a zeroed record for `id` as the next reservation, indexed where
    // find_reservation(id) said it is missing; returns its record number.
    std::uint32_t insert_reservation(const reservation_lookup& where, std::uint64_t id) noexcept {
        ORDO_ASSERT(id != 0);
        ORDO_ASSERT(!reservations_full());
        ORDO_ASSERT(where.record == index_none);
        ORDO_ASSERT(where.index_slot <= reservation_mask_);
        reservation_index_entry& entry = reservation_index_.data()[where.index_slot];
        ORDO_ASSERT(entry.record_plus_one == 0);
        const std::uint32_t number = reservation_count_++;
        entry = reservation_index_entry{.fingerprint = where.fingerprint,
                                        .record_plus_one = number + 1};
        // The arena is append-only and starts zeroed, so the record is still all zero: only
        // the fields the caller sets differ from zero. (Not asserted: reading the fresh
        // line first would turn this store, which can retire before its miss is served,
        // into a load the sequencer waits for.)
        reservations_.data()[number].id = id;
        return number;
    }
    std::uint32_t reservation_index_slot_count() const noexcept { return reservation_mask_ + 1; }

    expiry_queue& expiries() noexcept { return expiries_; }

    // Copies the conferences, the reservation records and the counters of `other` (same
    // options) with plain memcpy: how the snapshotter takes its copy while the sequencer
    // waits. The reservation index and the expiry queue are not copied: encode_state needs
    // neither (a decoded state rebuilds both).
    void copy_tables_from(const booking_state& other) noexcept;

    // --- Time and counters ---
    std::uint64_t now_ms = 0;
    std::uint64_t commands = 0;  // primary records applied
    std::uint64_t events = 0;    // records applied
    reservation_counts counts;

private:
    // What an index entry keeps of the id: any 32 bits tell most neighbours apart (a match
    // is confirmed against the record), and an id's low bits differ from its neighbours'.
    static std::uint32_t fingerprint_of(std::uint64_t id) noexcept {
        return static_cast<std::uint32_t>(id) ^ static_cast<std::uint32_t>(id >> 32);
    }

    struct reservation_index_entry {
        std::uint32_t fingerprint;      // fingerprint_of(id)
        std::uint32_t record_plus_one;  // 0 = empty slot (the index starts zeroed)
    };
    static_assert(sizeof(reservation_index_entry) == 8);
    static_assert(reservations_max_limit < 0xffff'ffffu, "record + 1 fits 32 bits");

    struct conference_slot {
        std::uint64_t id;  // 0 = empty
        std::uint32_t index;
        std::uint32_t reserved_zero;
    };

    state_options options_;
    big_array<conference_state> conferences_;
    big_array<conference_slot> conference_slots_;
    std::uint32_t conference_mask_ = 0;
    std::uint32_t conference_shift_ = 0;
    std::uint32_t conference_count_ = 0;
    big_array<reservation_state> reservations_;  // the arena: reservations_max records
    big_array<reservation_index_entry> reservation_index_;
    std::uint32_t reservation_mask_ = 0;
    std::uint32_t reservation_line_shift_ = 0;  // line_shift_for(index slots)
    std::uint32_t reservation_count_ = 0;
    expiry_queue expiries_;
};

}  // namespace ordo::engine
