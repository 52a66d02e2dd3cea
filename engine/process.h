#pragma once
// One command through the domain, in the order CONTRACT.md section 1 gives: stamp the
// time, expire due holds (each an event), decide, record the primary event, apply it. The
// caller supplies room for the records: the sequencer seals a batch and starts another
// when the body fills up.
//
// Thread: the thread that owns the state (the sequencer, or a test).

#include "engine/apply.h"
#include "engine/decide.h"
#include "engine/event_buffer.h"
#include "base/cpu.h"

namespace ordo::engine {

// Largest primary record one command can append, and an expiry record.
inline constexpr std::uint32_t decide_record_bytes_max = event_record_bytes_max;
inline constexpr std::uint32_t expiry_record_bytes = record_bytes(sizeof(reservation_expired_v1));

// A rejection or a duplicate: recorded (so the journal tells how every command ended),
// changing nothing but time.
ORDO_ALWAYS_INLINE outcome record_rejection(booking_state& state, const command_header& h,
                                            outcome result, std::uint64_t now_ms,
                                            event_buffer& out) noexcept {
    ORDO_ASSERT(result != outcome::accepted);
    out.append(event_type::command_rejected, command_rejected_v1{.now_ms = now_ms,
                                                                 .conference = h.conference,
                                                                 .reservation = h.reservation,
                                                                 .kind = h.kind,
                                                                 .result = result,
                                                                 .reserved_zero = 0,
                                                                 .reserved_zero2 = 0});
    count_record(state, now_ms, true);
    return result;
}

ORDO_ALWAYS_INLINE outcome process_reserve(booking_state& state, command_view cmd,
                                           std::uint64_t now_ms, event_buffer& out) noexcept {
    const command_header& h = cmd.header();
    reserve_decision d;
    const outcome result = decide_reserve(state, cmd, now_ms, d);
    if (result != outcome::accepted) return record_rejection(state, h, result, now_ms, out);
    const reservation_held_v1 e{.now_ms = now_ms,
                                .reservation = h.reservation,
                                .conference = h.conference,
                                .customer = h.customer,
                                .expires_at_ms = d.expires_at_ms,
                                .item_count = cmd.item_count(),
                                .reserved_zero = 0};
    out.append_with_items<reservation_items_max>(event_type::reservation_held, e, cmd);
    apply_held(state, e, d.items, d.conference_index, d.where);
    return outcome::accepted;
}

ORDO_ALWAYS_INLINE outcome process_status_change(booking_state& state, const command_header& h,
                                                 std::uint64_t now_ms, event_buffer& out) noexcept {
    std::uint32_t record = index_none;
    const outcome result = decide_status_change(state, h, record);
    if (result != outcome::accepted) return record_rejection(state, h, result, now_ms, out);
    const bool confirm = h.kind == op::confirm;
    out.append(confirm ? event_type::reservation_confirmed : event_type::reservation_cancelled,
               reservation_changed_v1{.now_ms = now_ms, .reservation = h.reservation});
    apply_status_change(state, now_ms, h.reservation, record,
                        confirm ? reservation_status::confirmed : reservation_status::cancelled);
    return outcome::accepted;
}

// The ops that are rare on the hot path (engine/process.cpp).
outcome process_seats_change(booking_state& state, command_view cmd, std::uint64_t now_ms,
                             event_buffer& out) noexcept;
outcome process_create(booking_state& state, command_view cmd, std::uint64_t now_ms,
                       event_buffer& out) noexcept;
outcome process_tick(booking_state& state, std::uint64_t now_ms, event_buffer& out) noexcept;

// Expires every hold due at `now_ms`, in order, one reservation_expired record each.
template <class EnsureRoom>
void expire_due(booking_state& state, std::uint64_t now_ms, event_buffer& buffer,
                EnsureRoom& ensure_room) noexcept {
    while (const std::optional<expiry_entry> due = next_due_expiry(state, now_ms)) {
        if (buffer.free_bytes() < expiry_record_bytes) ensure_room(expiry_record_bytes);
        ORDO_ASSERT(due->expires_at_ms <= now_ms);
        buffer.append(event_type::reservation_expired,
                      reservation_expired_v1{.now_ms = now_ms,
                                             .reservation = due->reservation,
                                             .expires_at_ms = due->expires_at_ms});
        // Out of the queue, and its record given back.
        apply_status_change(state, now_ms, due->reservation, due->record,
                            reservation_status::expired);
    }
}

// close_conference: the holds of the conference still held expire now, in ascending
// reservation id, one reservation_expired_at_close record each (they may fill several
// batches, as a long expiry cascade does), then the conference_closed record. Out of
// line: closes are rare, and the decide loop stays small.
template <class EnsureRoom>
[[gnu::noinline]] outcome process_close(booking_state& state, const command_header& h,
                                        std::uint64_t now_ms, event_buffer& buffer,
                                        EnsureRoom& ensure_room) noexcept {
    std::uint32_t conference_index = index_none;
    const outcome result = decide_close(state, h, conference_index);
    if (result != outcome::accepted) return record_rejection(state, h, result, now_ms, buffer);
    const std::span<std::uint32_t> scratch = state.close_scratch();
    const std::uint32_t held = find_held_of_conference(state, conference_index, scratch);
    ORDO_ASSERT(held <= state.counts.held);
    for (std::uint32_t i = 0; i < held; i++) {
        const std::uint32_t record = scratch[i];
        const reservation_state& r = state.reservation(record);
        ORDO_ASSERT(r.status == reservation_status::held);
        ORDO_ASSERT(r.expires_at_ms > now_ms);  // due ones expired before the decision
        if (buffer.free_bytes() < expiry_record_bytes) ensure_room(expiry_record_bytes);
        const std::uint64_t reservation = r.id;
        buffer.append(event_type::reservation_expired_at_close,
                      reservation_expired_v1{.now_ms = now_ms,
                                             .reservation = reservation,
                                             .expires_at_ms = r.expires_at_ms});
        apply_status_change(state, now_ms, reservation, record, reservation_status::expired);
    }
    if (buffer.free_bytes() < decide_record_bytes_max) ensure_room(decide_record_bytes_max);
    const conference_closed_v1 e{.now_ms = now_ms, .conference = h.conference};
    buffer.append(event_type::conference_closed, e);
    apply_conference_closed(state, e, conference_index);
    return outcome::accepted;
}

// ensure_room(bytes): guarantees `buffer` has `bytes` free, possibly by sealing the batch
// and resetting `buffer` onto a new body.
template <class EnsureRoom>
ORDO_ALWAYS_INLINE outcome process_command(booking_state& state, command_view cmd,
                                           event_buffer& buffer,
                                           EnsureRoom&& ensure_room) noexcept {
    const command_header& h = cmd.header();
    const std::uint64_t now_ms = command_time(state, h.t_ms);
    // One comparison while nothing is due: most commands expire nothing.
    if (state.expiries().earliest_ms() <= now_ms) expire_due(state, now_ms, buffer, ensure_room);
    if (buffer.free_bytes() < decide_record_bytes_max) ensure_room(decide_record_bytes_max);
    ORDO_ASSERT(buffer.free_bytes() >= decide_record_bytes_max);
    switch (h.kind) {
        case op::reserve:
            return process_reserve(state, cmd, now_ms, buffer);
        case op::confirm:
        case op::cancel:
            return process_status_change(state, h, now_ms, buffer);
        case op::add_seats:
        case op::remove_seats:
            return process_seats_change(state, cmd, now_ms, buffer);
        case op::create_conference:
            return process_create(state, cmd, now_ms, buffer);
        case op::tick:
            return process_tick(state, now_ms, buffer);
        case op::close_conference:
            return process_close(state, h, now_ms, buffer, ensure_room);
    }
    ORDO_ASSERT(false && "unknown op");
    return outcome::invalid_argument;
}

}  // namespace ordo::engine
