#pragma once
// Application: event record -> state change. The only code that changes booking_state;
// the live sequencer and recovery both run it on the same record bytes, so replay gives
// the same state byte for byte and never re-decides.
//
// Live, decide() has already found where the record's aggregates sit in the tables (the
// reservation's slot, the conference's index, each seat type's index) and hands those
// places over, so the sequencer does not hash and probe twice per command. Replay finds
// them from the record itself (locate()). The places are only a lookup cache: what the
// record does to the state depends on its bytes alone, and every place is checked against
// the record (ORDO_ASSERT) before it is used.
//
// Thread: whichever thread owns the state (recovery, then the sequencer).

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/booking_state.h"
#include "engine/conference.h"
#include "engine/limits.h"

namespace ordo::engine {

enum class apply_result : std::uint8_t {
    applied,
    conferences_full,   // the journal holds more conferences than --conferences-max
    reservations_full,  // the journal holds more reservations than --reservations-max
};

// Where a record's aggregates live. index_none / seat_type_index_none: not needed, or (a
// new seat type) not there yet.
struct record_places {
    std::uint32_t reservation_record = index_none;  // an existing reservation's record
    std::uint32_t reservation_index_slot = index_none;  // where a new reservation's id goes
    std::uint32_t conference_index = index_none;
    // Per item of reservation_held; item 0 for seats_added / seats_removed.
    std::uint32_t type_index[reservation_items_max] = {
        seat_type_index_none, seat_type_index_none, seat_type_index_none,
        seat_type_index_none, seat_type_index_none, seat_type_index_none,
        seat_type_index_none, seat_type_index_none};
};

// `record` is one whole record (journal::record_header + payload) written by decide().
apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept;

// The same with the places decide() found for it: no lookups.
apply_result apply(booking_state& state, std::span<const std::byte> record,
                   const record_places& places) noexcept;

}  // namespace ordo::engine
