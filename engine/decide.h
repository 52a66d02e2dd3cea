#pragma once
// Decision: command -> outcome + one primary event record. Reads the state, never changes
// it; apply() (engine/apply.h) changes the state from the record, so the live run and
// replay go through the same code. Rules and precedence: CONTRACT.md section 1.
//
// Thread: the sequencer thread.

#include <cstdint>
#include <optional>

#include "engine/apply.h"
#include "engine/booking_state.h"
#include "engine/command.h"
#include "engine/event_buffer.h"
#include "engine/outcome.h"

namespace ordo::engine {

// The time a command is decided at: time never runs backwards.
inline std::uint64_t command_time(const booking_state& state, std::uint64_t t_ms) noexcept {
    return t_ms > state.now_ms ? t_ms : state.now_ms;
}

// Appends exactly one primary record for `cmd` to `out` and returns the outcome; `places`
// gets where that record's aggregates are in the tables, for apply().
// Due expiries must have been applied first (next_due_expiry() returns nullopt).
outcome decide(const booking_state& state, command_view cmd, std::uint64_t now_ms,
               event_buffer& out, record_places& places) noexcept;

// The next hold that expires at `now_ms`, in (expires_at, id) order, or nullopt. Drops
// queue entries of holds that were confirmed or cancelled on the way (they are stale
// index entries, not state).
std::optional<expiry_entry> next_due_expiry(booking_state& state, std::uint64_t now_ms) noexcept;

// Appends the reservation_expired record for a due hold.
void decide_expiry(const expiry_entry& due, std::uint64_t now_ms, event_buffer& out) noexcept;

// Largest record one call of decide() can append.
inline constexpr std::uint32_t decide_record_bytes_max = event_record_bytes_max;
inline constexpr std::uint32_t expiry_record_bytes = record_bytes(sizeof(reservation_expired_v1));

}  // namespace ordo::engine
