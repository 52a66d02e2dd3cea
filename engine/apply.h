#pragma once
// Application: event record -> state change. The only code that changes booking_state;
// the live sequencer and recovery both call it on the same record bytes, so replay gives
// the same state byte for byte and never re-decides.
//
// Thread: whichever thread owns the state (recovery, then the sequencer).

#include <cstddef>
#include <span>

#include "engine/booking_state.h"

namespace ordo::engine {

enum class apply_result : std::uint8_t {
    applied,
    conferences_full,   // the journal holds more conferences than --conferences-max
    reservations_full,  // the journal holds more reservations than --reservations-max
};

// `record` is one whole record (journal::record_header + payload) written by decide().
apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept;

}  // namespace ordo::engine
