#pragma once
// One command through the domain, in the order CONTRACT.md section 1 gives: stamp the
// time, expire due holds (each an event), decide, apply. The caller supplies room for the
// records: the sequencer seals a batch and starts another when the body fills up.
//
// Thread: the thread that owns the state (the sequencer, or a test).

#include "engine/apply.h"
#include "engine/decide.h"

namespace ordo::engine {

// Expires every hold due at `now_ms`, in order, one reservation_expired record each.
template <class EnsureRoom>
void expire_due(booking_state& state, std::uint64_t now_ms, event_buffer& buffer,
                EnsureRoom& ensure_room) noexcept {
    while (const std::optional<expiry_entry> due = next_due_expiry(state, now_ms)) {
        ensure_room(expiry_record_bytes);
        decide_expiry(*due, now_ms, buffer);
        record_places places;
        places.reservation_record = due->record;
        const apply_result expired = apply(state, buffer.last_record(), places);
        ORDO_ASSERT(expired == apply_result::applied);
    }
}

// ensure_room(bytes): guarantees `buffer` has `bytes` free, possibly by sealing the batch
// and resetting `buffer` onto a new body.
template <class EnsureRoom>
outcome process_command(booking_state& state, command_view cmd, event_buffer& buffer,
                        EnsureRoom&& ensure_room) noexcept {
    const std::uint64_t now_ms = command_time(state, cmd.header().t_ms);
    // One comparison while nothing is due: most commands expire nothing.
    if (state.expiries().earliest_ms() <= now_ms) expire_due(state, now_ms, buffer, ensure_room);
    ensure_room(decide_record_bytes_max);
    record_places places;
    const outcome result = decide(state, cmd, now_ms, buffer, places);
    const apply_result applied = apply(state, buffer.last_record(), places);
    ORDO_ASSERT(applied == apply_result::applied);  // decide() rejected what could not fit
    ORDO_ASSERT(state.now_ms == now_ms);
    return result;
}

}  // namespace ordo::engine
