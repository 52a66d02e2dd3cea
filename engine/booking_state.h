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
#include "engine/finished_ids.h"
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

    // --- Reservations: records in an arena of reservations_max, one per live reservation
    // (held, or confirmed in an open conference), found through the reservation index
    // (engine/reservation_index.h). A reservation that finishes (cancelled, expired, or
    // confirmed when its conference closes) leaves the index, its id and how it ended go to
    // finished_ids (2 bits an id in increasing runs), and its record is given back: zeroed
    // and pushed on a free list threaded through the free records (a free record has id 0
    // and holds the next free record + 1 in `customer`), which the next hold pops. The
    // arena's length is its high-water mark (the most records ever live at once), so the
    // table bounds what is live, never what happened. ---
    using reservation_lookup = engine::reservation_lookup;
    // Always inlined: out of line (GCC's choice once process_command grew a case) it cost
    // ~37 instructions a command in calls and spills (callgrind).
    [[gnu::always_inline]] reservation_lookup find_reservation(std::uint64_t id) const noexcept {
        return index_.find(id, [this](std::uint32_t record) {
            ORDO_ASSERT(record < reservation_count_);
            return reservations_.data()[record].id;
        });
    }
    // How a reservation that is not live ended (finished_status::none: the id is unused).
    finished_status find_finished(std::uint64_t id) const noexcept { return finished_.find(id); }
    const finished_ids& finished() const noexcept { return finished_; }
    // Prefetches record `record` for writing (it may be one not used yet).
    void prefetch_reservation_at(std::uint32_t record) const noexcept {
        ORDO_ASSERT(record < options_.reservations_max);
        __builtin_prefetch(reservations_.data() + record, 1);
    }
    void prefetch_reservation(std::uint64_t id) const noexcept { index_.prefetch(id); }
    // The record a new hold would take: prefetched a batch ahead by the sequencer.
    std::uint32_t next_free_record() const noexcept {
        return free_head_ != 0 ? free_head_ - 1 : reservation_count_;
    }
    reservation_state& reservation(std::uint32_t record) noexcept {
        ORDO_ASSERT(record < reservation_count_);
        guard_write(snapshot_table::reservations, record);
        return reservations_.data()[record];  // record < count <= size
    }
    const reservation_state& reservation(std::uint32_t record) const noexcept {
        ORDO_ASSERT(record < reservation_count_);
        return reservations_.data()[record];
    }
    // The arena's length: records live or free below the high-water mark.
    std::uint32_t reservation_count() const noexcept { return reservation_count_; }
    std::uint32_t live_reservations() const noexcept { return reservation_count_ - free_count_; }
    std::uint32_t free_head() const noexcept { return free_head_; }
    std::uint32_t free_count() const noexcept { return free_count_; }
    // No room for one more live reservation: every record is live, or the finished ids'
    // scattered room (kept for every live reservation, so that a finish never fails) is
    // spent (random ids only: see engine/finished_ids.h).
    bool reservations_full() const noexcept {
        const bool arena_full = free_head_ == 0 && reservation_count_ >= options_.reservations_max;
        return arena_full || finished_.scattered_room() <= live_reservations();
    }
    // A new live reservation `id` of conference `conference_index`: takes a free record (or
    // the next one), indexes it where find_reservation(id) said it is missing, and links it
    // into its conference's live list. Returns the record, all zero but its id.
    std::uint32_t add_reservation(const reservation_lookup& where, std::uint64_t id,
                                  std::uint32_t conference_index) noexcept;
    // The live reservation at `record` has finished with `status` (out of the expiry queue
    // already): out of the index and its conference's list, into finished_ids, and its
    // record given back.
    void finish_reservation(std::uint32_t record, finished_status status) noexcept;
    // The records of conference `conference_index`'s live reservations (held and
    // confirmed), into `out` (room for reservations_max); returns how many. Walks only
    // that conference's list.
    std::uint32_t live_of_conference(std::uint32_t conference_index,
                                     std::span<std::uint32_t> out) const noexcept;
    // Its sale has closed and none is held any more: every confirmed reservation of the
    // conference finishes (finished_status::closed), in ascending id (so the free list and
    // the finished ids come out the same live, replayed, or after a snapshot).
    void finish_confirmed_of_closed(std::uint32_t conference_index) noexcept;
    // Decode (engine/state_codec.h) into a fresh state: the arena's records as they were,
    // free ones included, then the free list's head and length; rebuilds the index, the
    // conference lists and the expiry queue.
    void restore_reservation(const reservation_state& r) noexcept;
    void restore_free_list(std::uint32_t head, std::uint32_t count) noexcept;
    finished_ids& finished_for_restore() noexcept { return finished_; }

    expiry_queue& expiries() noexcept { return expiries_; }
    const expiry_queue& expiries() const noexcept { return expiries_; }

    // Room for the record numbers of one conference's live reservations while
    // close_conference expires or finishes them (engine/process.h), one entry per possible
    // reservation, so a close never allocates. Not prefaulted: closes are rare and a close
    // of k reservations touches 4k bytes of it.
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
    std::array<snapshot_table_span, 5> snapshot_tables() const noexcept;
    // The most bytes each snapshotted table can hold, in the same order.
    static std::array<std::uint64_t, 5> snapshot_table_capacity_bytes(
        const state_options& options) noexcept;
    // The sequencer's snapshotter attaches its guard while a snapshot is being copied out,
    // and detaches it (nullptr) when that is done.
    void set_snapshot_guard(snapshot_guard* guard) noexcept {
        guard_ = guard;
        finished_.set_snapshot_guard(guard);
    }
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
    struct live_link {
        std::uint32_t prev_plus_one;  // 0: none
        std::uint32_t next_plus_one;
    };
    void link_live(std::uint32_t record, std::uint32_t conference_index) noexcept;
    void unlink_live(std::uint32_t record, std::uint32_t conference_index) noexcept;
    void free_record(std::uint32_t record) noexcept;

    big_array<reservation_state> reservations_;  // the arena: reservations_max records
    big_array<reservation_index_entry> reservation_index_;  // the entries index_ points to
    reservation_index index_;
    std::uint32_t reservation_count_ = 0;  // the arena's high-water mark
    std::uint32_t free_head_ = 0;          // free record + 1; 0: none
    std::uint32_t free_count_ = 0;
    // Each conference's live reservations, a doubly linked list through the records (not
    // in snapshots: rebuilt from the records on decode, and closes sort what they find).
    big_array<std::uint32_t> conference_live_head_;  // by conference: record + 1
    big_array<live_link> live_links_;                // by record
    expiry_queue expiries_;
    finished_ids finished_;
    big_array<std::uint32_t> close_scratch_;  // reservations_max record numbers
    snapshot_guard* guard_ = nullptr;
};

}  // namespace ordo::engine
