#pragma once
// All mutable domain state: conferences, reservations, the expiry queue, time and counters,
// in flat tables allocated once at start-up. Changed only by apply() (events); read by
// decide() (commands) and by the state printer.
//
// Thread: owned by exactly one thread at a time: the recovery code, then the sequencer.

#include <cstdint>
#include <optional>
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

    // --- Conferences ---
    std::uint32_t find_conference(std::uint64_t id) const noexcept;
    std::uint32_t conference_count() const noexcept { return conference_count_; }
    bool conferences_full() const noexcept {
        return conference_count_ >= options_.conferences_max;
    }
    conference_state& conference(std::uint32_t index) noexcept {
        ORDO_ASSERT(index < conference_count_);
        return conferences_[index];
    }
    const conference_state& conference(std::uint32_t index) const noexcept {
        ORDO_ASSERT(index < conference_count_);
        return conferences_[index];
    }
    std::uint32_t insert_conference(std::uint64_t id) noexcept;

    // --- Reservations (open addressing, linear probing, never deleted: ids are unique
    // for all time) ---
    std::uint32_t find_reservation_slot(std::uint64_t id) const noexcept;  // found or empty
    void prefetch_reservation(std::uint64_t id) const noexcept {
        __builtin_prefetch(&reservations_[home_slot(id)]);
    }
    reservation_state& reservation_at(std::uint32_t slot) noexcept { return reservations_[slot]; }
    const reservation_state& reservation_at(std::uint32_t slot) const noexcept {
        return reservations_[slot];
    }
    std::uint64_t reservation_count() const noexcept { return reservation_count_; }
    bool reservations_full() const noexcept {
        return reservation_count_ >= options_.reservations_max;
    }
    void note_reservation_inserted() noexcept {
        ORDO_ASSERT(reservation_count_ < options_.reservations_max);
        reservation_count_++;
    }
    std::uint32_t reservation_slot_count() const noexcept { return reservation_mask_ + 1; }

    expiry_queue& expiries() noexcept { return expiries_; }

    // Snapshot restore (engine/state_codec.cpp) puts records back where they were, so the
    // restored tables are the live tables byte for byte.
    void restore_reservation(std::uint32_t slot, const reservation_state& record) noexcept;
    // Copies every table and counter of `other` (same options) with plain memcpy: how the
    // snapshotter takes its copy while the sequencer waits (the expiry queue is not
    // copied; encode_state does not need it).
    void copy_tables_from(const booking_state& other) noexcept;

    // --- Time and counters ---
    std::uint64_t now_ms = 0;
    std::uint64_t commands = 0;  // primary records applied
    std::uint64_t events = 0;    // records applied
    reservation_counts counts;

private:
    std::uint32_t home_slot(std::uint64_t id) const noexcept {
        return static_cast<std::uint32_t>(mix_id(id)) & reservation_mask_;
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
    std::uint32_t conference_count_ = 0;
    big_array<reservation_state> reservations_;
    std::uint32_t reservation_mask_ = 0;
    std::uint64_t reservation_count_ = 0;
    expiry_queue expiries_;
};

}  // namespace ordo::engine
