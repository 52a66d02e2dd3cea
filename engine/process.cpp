#include "engine/process.h"

namespace ordo::engine {

outcome process_seats_change(booking_state& state, command_view cmd, std::uint64_t now_ms,
                             event_buffer& out) noexcept {
    const command_header& h = cmd.header();
    std::uint32_t conference_index = index_none;
    std::uint32_t type_index = seat_type_index_none;
    const outcome result = decide_seats_change(state, cmd, conference_index, type_index);
    if (result != outcome::accepted) return record_rejection(state, h, result, now_ms, out);
    const seat_item item = cmd.item(0);
    const seats_changed_v1 e{.now_ms = now_ms, .conference = h.conference,
                             .quantity = item.quantity, .seat_type = item.seat_type,
                             .reserved_zero = 0};
    const event_type type = h.kind == op::add_seats ? event_type::seats_added
                                                    : event_type::seats_removed;
    out.append(type, e);
    apply_seats_changed(state, type, e, conference_index, type_index);
    return outcome::accepted;
}

outcome process_create(booking_state& state, command_view cmd, std::uint64_t now_ms,
                       event_buffer& out) noexcept {
    const command_header& h = cmd.header();
    const outcome result = decide_create(state, cmd);
    if (result != outcome::accepted) return record_rejection(state, h, result, now_ms, out);
    const conference_created_v1 e{.now_ms = now_ms, .conference = h.conference,
                                  .hold_ttl_ms = h.hold_ttl_ms,
                                  .seat_type_count = cmd.item_count()};
    out.append_with_items<seat_types_per_conference_max>(event_type::conference_created, e,
                                                         cmd);
    seat_item items[seat_types_per_conference_max];
    for (std::uint32_t i = 0; i < e.seat_type_count; i++) items[i] = cmd.item(i);
    const apply_result applied =
        apply_conference_created(state, e, std::span<const seat_item>(items, e.seat_type_count));
    ORDO_ASSERT(applied == apply_result::applied);  // decide() said the table has room
    return outcome::accepted;
}

outcome process_tick(booking_state& state, std::uint64_t now_ms, event_buffer& out) noexcept {
    out.append(event_type::ticked, ticked_v1{.now_ms = now_ms});
    count_record(state, now_ms, true);
    return outcome::accepted;
}

}  // namespace ordo::engine
