#pragma once
// All mutable domain state: conferences, reservations, the expiry queue, time and counters,
// in flat tables allocated once at start-up. Changed only by apply() (events), and the
// reservation index by whoever finds places; read by decide() (commands) and by the state
// printer.
//
// Thread: owned by exactly one thread at a time: the recovery code, then the sequencer.
// During a replay or a snapshot decode, one helper thread owns the reservation index
// (engine/reservation_index.h) while the owner changes the rest.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <string>

#include "engine/big_array.h"
#include "engine/conference.h"
#include "engine/expiry_queue.h"
#include "engine/hash.h"
#include "engine/limits.h"
#include "engine/reservation.h"
#include "engine/reservation_index.h"
#include "engine/snapshot_guard.h"

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

class booking_state {
public:
    explicit booking_state(const state_options& options);

    const state_options& options() const noexcept { return options_; }
    // The memory tables of these capacities take once touched (prefault touches all of it
    // but close_scratch()): start-up time and RAM both grow with it.
    static std::uint64_t table_bytes(const state_options& options) noexcept;
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
        guard_write(snapshot_table::conferences, index);
        return conferences_.data()[index];  // index < count <= size
    }
    const conference_state& conference(std::uint32_t index) const noexcept {
        ORDO_ASSERT(index < conference_count_);
        return conferences_.data()[index];
    }
    std::uint32_t insert_conference(std::uint64_t id) noexcept;

    // --- Reservations: records in an arena in the order they were made (ids are unique
    // for all time and never deleted), found through the reservation index
    // (engine/reservation_index.h). The arena order is the hot order: a new hold is the
    // next record, recent ones (confirmed or cancelled soon after) are recent records,
    // and expiries walk the arena front to back. ---
    using reservation_lookup = engine::reservation_lookup;
    // Always inlined: out of line (GCC's choice once process_command grew a case) it cost
    // ~37 instructions a command in calls and spills (callgrind).
    [[gnu::always_inline]] reservation_lookup find_reservation(std::uint64_t id) const noexcept {
        return index_.find(id, [this](std::uint32_t record) {
            ORDO_ASSERT(record < reservation_count_);
            return reservations_.data()[record].id;
        });
    }
    // Prefetches record `record` for writing (it may be one not appended yet).
    void prefetch_reservation_at(std::uint32_t record) const noexcept {
        ORDO_ASSERT(record < options_.reservations_max);
        __builtin_prefetch(reservations_.data() + record, 1);
    }
    void prefetch_reservation(std::uint64_t id) const noexcept { index_.prefetch(id); }
    reservation_state& reservation(std::uint32_t record) noexcept {
        ORDO_ASSERT(record < reservation_count_);
        guard_write(snapshot_table::reservations, record);
        return reservations_.data()[record];  // record < count <= size
    }
    const reservation_state& reservation(std::uint32_t record) const noexcept {
        ORDO_ASSERT(record < reservation_count_);
        return reservations_.data()[record];
    }
    std::uint32_t reservation_count() const noexcept { return reservation_count_; }
    // The arena itself, for a reader that knows which records exist without asking
    // reservation_count() (replay's resolver thread, engine/reservation_resolver.h).
    const reservation_state* reservation_records() const noexcept { return reservations_.data(); }
    bool reservations_full() const noexcept {
        return reservation_count_ >= options_.reservations_max;
    }
    // Appends a zeroed record for `id` as the next reservation, indexed where
    // find_reservation(id) said it is missing; returns its record number.
    std::uint32_t insert_reservation(const reservation_lookup& where, std::uint64_t id) noexcept {
        index_reservation(where, reservation_count_);
        return append_reservation(id);
    }
    // The two halves of insert_reservation, which replay runs on two threads: the index
    // entry (where the id was found missing, pointing at `record`) and the arena record.
    void index_reservation(const reservation_lookup& where, std::uint32_t record) noexcept {
        ORDO_ASSERT(record < options_.reservations_max);
        index_.insert(where, record);
    }
    // The index itself, for the thread that keeps it during a replay.
    reservation_index reservation_index_view() const noexcept { return index_; }
    std::uint32_t append_reservation(std::uint64_t id) noexcept {
        ORDO_ASSERT(id != 0);
        ORDO_ASSERT(!reservations_full());
        const std::uint32_t number = reservation_count_++;
        guard_write(snapshot_table::reservations, number);
        // The arena is append-only and starts zeroed, so the record is still all zero: only
        // the fields the caller sets differ from zero. (Not asserted: reading the fresh
        // line first would turn this store, which can retire before its miss is served,
        // into a load the sequencer waits for.)
        reservations_.data()[number].id = id;
        return number;
    }
    std::uint32_t reservation_index_slot_count() const noexcept { return index_.slot_count(); }

    expiry_queue& expiries() noexcept { return expiries_; }

    // Room for the record numbers of one conference's holds while close_conference expires
    // them (engine/process.h), one entry per possible reservation, so a close never
    // allocates. Not prefaulted: closes are rare and a close of k holds touches 4k bytes
    // of it. (The `memory` work replaces it with per-conference lists.)
    std::span<std::uint32_t> close_scratch() noexcept {
        return {close_scratch_.data(), close_scratch_.size()};
    }

    // --- Snapshots (engine/snapshot_guard.h). A snapshot holds the counters below and the
    // tables snapshot_tables() names (the index and the expiry queue are rebuilt from them
    // on decode). While one is being written, every write to those tables goes through the
    // guard first (the non-const accessors above call guard_write): a new table in the
    // snapshot, or a write that bypasses the accessors, must do the same, or the snapshot
    // could hold a change made after its instant.
    // The snapshotted tables as they are now, in snapshot_table order.
    std::array<snapshot_table_span, 2> snapshot_tables() const noexcept;
    // The most bytes each snapshotted table can hold, in the same order.
    static std::array<std::uint64_t, 2> snapshot_table_capacity_bytes(
        const state_options& options) noexcept;
    // The sequencer's snapshotter attaches its guard while a snapshot is being copied out,
    // and detaches it (nullptr) when that is done.
    void set_snapshot_guard(snapshot_guard* guard) noexcept { guard_ = guard; }
    bool snapshot_guarded() const noexcept { return guard_ != nullptr; }

    // --- Time and counters ---
    std::uint64_t now_ms = 0;
    std::uint64_t commands = 0;  // primary records applied
    std::uint64_t events = 0;    // records applied
    reservation_counts counts;

private:
    static_assert(reservations_max_limit < 0xffff'ffffu, "record + 1 fits 32 bits");

    // One load and a branch that is almost never taken while no snapshot is being written.
    void guard_write(snapshot_table table, std::uint64_t element) noexcept {
        if (guard_ != nullptr) [[unlikely]] guard_->before_write(table, element);
    }

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
    big_array<reservation_index_entry> reservation_index_;  // the entries index_ points to
    reservation_index index_;
    std::uint32_t reservation_count_ = 0;
    expiry_queue expiries_;
    big_array<std::uint32_t> close_scratch_;  // reservations_max record numbers
    snapshot_guard* guard_ = nullptr;
};

}  // namespace ordo::engine
