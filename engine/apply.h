#pragma once
// Application: event -> state change. These functions are the only code that changes
// booking_state, one per event (the index, free list, live lists and finished ids
// included, through booking_state's methods). The live sequencer calls them with the event
// it has just recorded and the table places decide() already found (so a command hashes and probes
// once); recovery decodes each journal record and calls the same functions, with places
// found by the index here (apply(record), apply_records), so replay gives the same state
// byte for byte and never re-decides. The places are a lookup cache only: every one is
// checked against the event (ORDO_ASSERT) before it is used.
//
// Thread: whichever thread owns the state (recovery, then the sequencer).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "engine/booking_state.h"
#include "engine/conference.h"
#include "engine/schema/events.h"
#include "engine/limits.h"
#include "engine/reservation.h"
#include "base/assert.h"
#include "base/cpu.h"
#include "journal/record.h"

namespace ordo::engine {

enum class apply_result : std::uint8_t {
    applied,
    conferences_full,   // the journal holds more conferences than --conferences-max
    reservations_full,  // the journal holds more reservations than --reservations-max
};

// Every record: time moves (never backwards) and the record is counted; a primary record
// also counts its command.
ORDO_ALWAYS_INLINE void count_record(booking_state& state, std::uint64_t now_ms,
                                     bool primary) noexcept {
    ORDO_ASSERT(now_ms >= state.now_ms);  // time never runs backwards
    state.now_ms = now_ms;
    state.events++;
    state.commands += primary ? 1 : 0;
}

// reservation_held: the reservation takes a record (booking_state::add_reservation) and is
// indexed where `where` (find_reservation's answer for its id: live, decide() found it;
// in a replay, the replay) says. `items` are the event's items resolved to their
// conference's seat type indices.
ORDO_ALWAYS_INLINE void apply_held(booking_state& state, const reservation_held_v1& e,
                                   const reserved_item* items, std::uint32_t conference_index,
                                   const reservation_lookup& where) noexcept {
    ORDO_ASSERT(e.item_count >= 1);
    ORDO_ASSERT(e.item_count <= reservation_items_max);
    conference_state& c = state.conference(conference_index);
    ORDO_ASSERT(c.id == e.conference);
    ORDO_ASSERT(c.closed == 0);  // a closed conference takes no holds
    // ids are unique for all time: whoever found its place found the id missing.
    ORDO_ASSERT(where.record == index_none);
    const std::uint32_t record = state.add_reservation(where, e.reservation, conference_index);
    reservation_state& r = state.reservation(record);
    // The record is all zero: set what differs (add_reservation set the id).
    r.customer = e.customer;
    r.expires_at_ms = e.expires_at_ms;
    r.conference_index = conference_index;
    r.status = reservation_status::held;
    r.item_count = static_cast<std::uint8_t>(e.item_count);
    for (std::uint32_t i = 0; i < e.item_count; i++) {
        const reserved_item item = items[i];
        ORDO_ASSERT(item.type_index < c.type_count);
        ORDO_ASSERT(c.available(item.type_index) >= item.quantity);
        c.seats[item.type_index].held += item.quantity;
        r.items[i] = item;
    }
    state.counts.held++;
    state.expiries().push(expiry_entry{.expires_at_ms = e.expires_at_ms,
                                       .reservation = e.reservation,
                                       .record = record,
                                       .reserved_zero = 0});
    count_record(state, e.now_ms, true);
}

// reservation_confirmed, reservation_cancelled, reservation_expired and
// reservation_expired_at_close: the reservation at `record` leaves `held` (or `confirmed`,
// for a cancel), its seats return or move; it leaves the expiry queue when it was held,
// and a cancel or an expiry finishes it (its record is given back, finished_ids keeps how
// it ended).
ORDO_ALWAYS_INLINE void apply_status_change(booking_state& state, std::uint64_t now_ms,
                                            std::uint64_t reservation, std::uint32_t record,
                                            reservation_status to) noexcept {
    reservation_state& r = state.reservation(record);
    ORDO_ASSERT(r.id == reservation);
    const reservation_status from = r.status;
    ORDO_ASSERT(from == reservation_status::held ||
                (from == reservation_status::confirmed && to == reservation_status::cancelled));
    ORDO_ASSERT(r.item_count >= 1);
    ORDO_ASSERT(r.item_count <= reservation_items_max);
    conference_state& c = state.conference(r.conference_index);
    const bool was_held = from == reservation_status::held;
    // A closed conference's confirmed seats are not given back. (It has no holds either: a
    // close expires them before it closes; not checked here, to keep the conference's
    // header line off the path of every confirm and expiry.)
    if (!was_held) ORDO_ASSERT(c.closed == 0);
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        const reserved_item item = r.items[i];
        seat_counts& s = c.seats[item.type_index];
        std::uint32_t& taken = was_held ? s.held : s.confirmed;
        ORDO_ASSERT(taken >= item.quantity);
        taken -= item.quantity;
        if (to == reservation_status::confirmed) s.confirmed += item.quantity;
    }
    (from == reservation_status::held ? state.counts.held : state.counts.confirmed)--;
    switch (to) {
        case reservation_status::confirmed:
            state.counts.confirmed++;
            break;
        case reservation_status::cancelled:
            state.counts.cancelled++;
            break;
        case reservation_status::expired:
            state.counts.expired++;
            break;
        case reservation_status::held:
            ORDO_ASSERT(false && "no transition back to held");
    }
    if (was_held) state.expiries().remove(record);
    if (to == reservation_status::confirmed) {
        r.status = to;
    } else {
        state.finish_reservation(record, to == reservation_status::cancelled
                                             ? finished_status::cancelled
                                             : finished_status::expired);
    }
    count_record(state, now_ms, to != reservation_status::expired);
}

// seats_added and seats_removed. `type_index` is the seat type's index in the conference,
// or seat_type_index_none for an add that creates the type.
void apply_seats_changed(booking_state& state, event_type type, const seats_changed_v1& e,
                         std::uint32_t conference_index, std::uint32_t type_index) noexcept;

// conference_closed: the conference at `conference_index`, open and with no seat held any
// more (its holds expired at close in the records just before), is closed for good.
void apply_conference_closed(booking_state& state, const conference_closed_v1& e,
                             std::uint32_t conference_index) noexcept;

// conference_created, followed in the record by `items` {capacity, seat type}.
apply_result apply_conference_created(booking_state& state, const conference_created_v1& e,
                                      std::span<const seat_item> items) noexcept;

// The header of the record starting at `record` (records are only 8-byte aligned).
inline journal::record_header record_header_at(const std::byte* record) noexcept {
    journal::record_header header;
    std::memcpy(&header, record, sizeof(header));
    ORDO_ASSERT(header.size_bytes >= sizeof(header));
    return header;
}

// A record this ordo can apply: a type 1..event_type_max (one unsigned comparison) at the
// schema version it writes.
inline bool is_known_record(const journal::record_header& header) noexcept {
    return static_cast<std::uint8_t>(header.type - 1u) < event_type_max &&
           header.schema_version == event_schema_version;
}

// Replay: `record` is one whole record (journal::record_header + payload) of a known type
// and version, as the live side wrote it; finds the places (and indexes a new reservation)
// and applies it.
apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept;

struct replay_result {
    apply_result result = apply_result::applied;
    std::uint32_t applied = 0;  // records applied, from the first
    std::optional<journal::record_header> unknown;  // a type or version this ordo lacks
};

// Replay of a whole batch body (its framing validated by the journal reader): applies the
// records in order, finding each reservation's place through the index. Stops at the first
// record it cannot apply: an unknown type or version, or a full table.
replay_result apply_records(booking_state& state, std::span<const std::byte> body,
                            std::uint32_t record_count) noexcept;

}  // namespace ordo::engine
