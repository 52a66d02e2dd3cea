#pragma once
// Decision: command -> outcome, plus what its one primary event needs (the places it found
// in the tables). Reads the state, never changes it: engine/process.h records the event and
// hands it to apply (engine/apply.h), so the live run and replay change the state through
// the same code. Rules and precedence: CONTRACT.md section 1.
//
// Thread: the sequencer thread (or a test that owns the state).

#include <cstdint>
#include <optional>
#include <span>

#include "engine/booking_state.h"
#include "engine/command.h"
#include "engine/schema/outcome.h"
#include "engine/reservation.h"
#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::engine {

// The time a command is decided at: time never runs backwards.
inline std::uint64_t command_time(const booking_state& state, std::uint64_t t_ms) noexcept {
    return t_ms > state.now_ms ? t_ms : state.now_ms;
}

// True when two of the command's items name the same seat type (at most 64 items).
bool has_repeated_type(command_view cmd) noexcept;

struct reserve_decision {
    booking_state::reservation_lookup where{};  // the new id's place in the index
    std::uint32_t conference_index = 0;
    std::uint64_t expires_at_ms = 0;
    reserved_item items[reservation_items_max];  // the command's items, resolved
};

// reserve: duplicate, conference (unknown, then closed), item count, quantities, types,
// availability, then the table (table_full). `d` is filled when accepted.
ORDO_ALWAYS_INLINE outcome decide_reserve(const booking_state& state, command_view cmd,
                                          std::uint64_t now_ms, reserve_decision& d) noexcept {
    const command_header& h = cmd.header();
    const booking_state::reservation_lookup found = state.find_reservation(h.reservation);
    if (found.record != index_none) return outcome::duplicate;
    // Not live: a finished one is a duplicate too (ids are used once, for all time).
    if (state.find_finished(h.reservation) != finished_status::none) return outcome::duplicate;
    const std::uint32_t index = state.find_conference(h.conference);
    if (index == index_none) return outcome::unknown_conference;
    const conference_state& c = state.conference(index);
    if (c.closed != 0) return outcome::conference_closed;
    const std::uint32_t count = cmd.item_count();
    if (count == 0 || count > reservation_items_max) return outcome::invalid_argument;
    if (count > 1 && has_repeated_type(cmd)) return outcome::invalid_argument;
    for (std::uint32_t i = 0; i < count; i++) {
        const std::uint32_t q = cmd.item(i).quantity;
        if (q == 0 || q > reserve_quantity_max) return outcome::invalid_quantity;
    }
    for (std::uint32_t i = 0; i < count; i++) {
        const seat_item item = cmd.item(i);
        const std::uint32_t t = c.find_type(item.seat_type);
        if (t == seat_type_index_none) return outcome::unknown_seat_type;
        d.items[i] = reserved_item{.type_index = static_cast<std::uint8_t>(t),
                                   .reserved_zero = 0,
                                   .quantity = static_cast<std::uint16_t>(item.quantity)};
    }
    for (std::uint32_t i = 0; i < count; i++) {
        if (c.available(d.items[i].type_index) < d.items[i].quantity) {
            return outcome::insufficient_seats;
        }
    }
    if (state.reservations_full()) return outcome::table_full;
    d.where = found;
    d.conference_index = index;
    d.expires_at_ms = now_ms + c.hold_ttl_ms;
    return outcome::accepted;
}

// confirm and cancel of a reservation that is not live: it never was (unknown), or it
// finished (its record given back), and finished_ids says how: what the old status would
// have answered. A cancelled one: a cancel is a duplicate, a confirm not_active. An
// expired one: not_active. Confirmed in a closed conference: a confirm is a duplicate, a
// cancel conference_closed.
inline outcome decide_finished(finished_status status, bool confirm) noexcept {
    switch (status) {
        case finished_status::none: return outcome::unknown_reservation;
        case finished_status::cancelled:
            return confirm ? outcome::not_active : outcome::duplicate;
        case finished_status::expired: return outcome::not_active;
        case finished_status::closed:
            return confirm ? outcome::duplicate : outcome::conference_closed;
    }
    ORDO_ASSERT(false && "unknown finished status");
    return outcome::unknown_reservation;
}

// confirm and cancel: unknown_reservation, duplicate (already in the target status),
// not_active, then conference_closed (a cancel of a confirmed reservation of a closed
// conference; a confirm never meets it: a close expires every hold). `record` is set when
// accepted.
ORDO_ALWAYS_INLINE outcome decide_status_change(const booking_state& state, const command_header& h,
                                                std::uint32_t& record) noexcept {
    ORDO_ASSERT(h.kind == op::confirm || h.kind == op::cancel);
    const std::uint32_t found = state.find_reservation(h.reservation).record;
    const bool confirm = h.kind == op::confirm;
    if (found == index_none) return decide_finished(state.find_finished(h.reservation), confirm);
    const reservation_state& r = state.reservation(found);
    ORDO_ASSERT(r.id == h.reservation);
    const reservation_status done =
        confirm ? reservation_status::confirmed : reservation_status::cancelled;
    if (r.status == done) return outcome::duplicate;
    const bool active = r.status == reservation_status::held ||
                        (!confirm && r.status == reservation_status::confirmed);
    if (!active) return outcome::not_active;
    // Only a cancel of a confirmed reservation reads its conference.
    if (r.status == reservation_status::confirmed &&
        state.conference(r.conference_index).closed != 0) {
        return outcome::conference_closed;
    }
    record = found;
    return outcome::accepted;
}

// add_seats and remove_seats; `conference_index` and `type_index` (seat_type_index_none:
// an add creating the type) are set when accepted.
outcome decide_seats_change(const booking_state& state, command_view cmd,
                            std::uint32_t& conference_index, std::uint32_t& type_index) noexcept;

// create_conference: conference_exists, invalid_argument, then table_full.
outcome decide_create(const booking_state& state, command_view cmd) noexcept;

// close_conference: unknown_conference, duplicate (already closed). `conference_index` is
// set when accepted.
outcome decide_close(const booking_state& state, const command_header& h,
                     std::uint32_t& conference_index) noexcept;

// The record numbers of every held reservation of conference `conference_index`, in
// ascending reservation id (the order a close expires them), written to the front of
// `out` (room for reservations_max); returns how many. Walks only that conference's live
// reservations (booking_state::live_of_conference).
std::uint32_t find_held_of_conference(const booking_state& state, std::uint32_t conference_index,
                                      std::span<std::uint32_t> out) noexcept;

// The next hold that expires at `now_ms`, in (expires_at, id) order, or nullopt.
std::optional<expiry_entry> next_due_expiry(const booking_state& state,
                                            std::uint64_t now_ms) noexcept;

}  // namespace ordo::engine
