#include "engine/apply.h"

#include <cstring>

#include "journal/record.h"

namespace ordo::engine {

void apply_seats_changed(booking_state& state, event_type type, const seats_changed_v1& e,
                         std::uint32_t conference_index, std::uint32_t type_index) noexcept {
    conference_state& c = state.conference(conference_index);
    ORDO_ASSERT(c.id == e.conference);
    std::uint32_t t = type_index;
    if (type == event_type::seats_added) {
        if (t == seat_type_index_none) {
            ORDO_ASSERT(c.find_type(e.seat_type) == seat_type_index_none);
            ORDO_ASSERT(c.type_count < seat_types_per_conference_max);
            t = c.type_count++;
            c.type_ids[t] = e.seat_type;
            c.seats[t] = seat_counts{.capacity = 0, .held = 0, .confirmed = 0};
        }
        ORDO_ASSERT(c.type_ids[t] == e.seat_type);
        c.seats[t].capacity += e.quantity;
        ORDO_ASSERT(c.seats[t].capacity <= capacity_max);
    } else {
        ORDO_ASSERT(type == event_type::seats_removed);
        ORDO_ASSERT(t != seat_type_index_none);
        ORDO_ASSERT(c.type_ids[t] == e.seat_type);
        ORDO_ASSERT(c.available(t) >= e.quantity);
        c.seats[t].capacity -= e.quantity;
    }
    count_record(state, e.now_ms, true);
}

apply_result apply_conference_created(booking_state& state, const conference_created_v1& e,
                                      std::span<const seat_item> items) noexcept {
    if (state.conferences_full()) return apply_result::conferences_full;
    ORDO_ASSERT(e.seat_type_count >= 1);
    ORDO_ASSERT(e.seat_type_count <= seat_types_per_conference_max);
    ORDO_ASSERT(items.size() == e.seat_type_count);
    conference_state& c = state.conference(state.insert_conference(e.conference));
    c.hold_ttl_ms = e.hold_ttl_ms;
    c.type_count = e.seat_type_count;
    for (std::uint32_t i = 0; i < e.seat_type_count; i++) {
        ORDO_ASSERT(items[i].quantity <= capacity_max);
        c.type_ids[i] = items[i].seat_type;
        c.seats[i] = seat_counts{.capacity = items[i].quantity, .held = 0, .confirmed = 0};
    }
    count_record(state, e.now_ms, true);
    return apply_result::applied;
}

namespace {

// The seat items that follow a payload's fixed part, copied out (records are 8-aligned).
std::span<const seat_item> items_after(std::span<const std::byte> payload, std::size_t header_bytes,
                                       std::uint32_t count, seat_item* out) noexcept {
    ORDO_ASSERT(count <= seat_types_per_conference_max);
    ORDO_ASSERT(header_bytes + std::size_t{count} * sizeof(seat_item) <= payload.size());
    std::memcpy(out, payload.data() + header_bytes, std::size_t{count} * sizeof(seat_item));
    return {out, count};
}

apply_result replay_held(booking_state& state, std::span<const std::byte> payload) noexcept {
    const auto e = read_payload<reservation_held_v1>(payload);
    if (state.reservations_full()) return apply_result::reservations_full;
    ORDO_ASSERT(e.item_count >= 1);
    ORDO_ASSERT(e.item_count <= reservation_items_max);
    seat_item seats[reservation_items_max];
    const std::span<const seat_item> items = items_after(payload, sizeof(e), e.item_count, seats);
    const booking_state::reservation_lookup found = state.find_reservation(e.reservation);
    ORDO_ASSERT(found.record == index_none);
    const std::uint32_t conference_index = state.find_conference(e.conference);
    ORDO_ASSERT(conference_index != index_none);
    const conference_state& c = state.conference(conference_index);
    reserved_item resolved[reservation_items_max];
    for (std::uint32_t i = 0; i < e.item_count; i++) {
        const std::uint32_t t = c.find_type(items[i].seat_type);
        ORDO_ASSERT(t != seat_type_index_none);
        resolved[i] = reserved_item{.type_index = static_cast<std::uint8_t>(t),
                                    .reserved_zero = 0,
                                    .quantity = static_cast<std::uint16_t>(items[i].quantity)};
    }
    apply_held(state, e, resolved, found, conference_index);
    return apply_result::applied;
}

void replay_status_change(booking_state& state, std::uint64_t now_ms, std::uint64_t reservation,
                          reservation_status to) noexcept {
    const std::uint32_t record = state.find_reservation(reservation).record;
    ORDO_ASSERT(record != index_none);
    apply_status_change(state, now_ms, reservation, record, to);
}

}  // namespace

apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept {
    journal::record_header header;
    ORDO_ASSERT(record.size() >= sizeof(header));
    std::memcpy(&header, record.data(), sizeof(header));
    ORDO_ASSERT(header.size_bytes == record.size());
    ORDO_ASSERT(header.schema_version == event_schema_version);
    const auto type = static_cast<event_type>(header.type);
    const std::span<const std::byte> payload = record.subspan(sizeof(header));
    switch (type) {
        case event_type::conference_created: {
            const auto e = read_payload<conference_created_v1>(payload);
            seat_item seats[seat_types_per_conference_max];
            return apply_conference_created(
                state, e, items_after(payload, sizeof(e), e.seat_type_count, seats));
        }
        case event_type::seats_added:
        case event_type::seats_removed: {
            const auto e = read_payload<seats_changed_v1>(payload);
            const std::uint32_t index = state.find_conference(e.conference);
            ORDO_ASSERT(index != index_none);
            apply_seats_changed(state, type, e, index,
                                state.conference(index).find_type(e.seat_type));
            return apply_result::applied;
        }
        case event_type::reservation_held: return replay_held(state, payload);
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled: {
            const auto e = read_payload<reservation_changed_v1>(payload);
            replay_status_change(state, e.now_ms, e.reservation,
                                 type == event_type::reservation_confirmed
                                     ? reservation_status::confirmed
                                     : reservation_status::cancelled);
            return apply_result::applied;
        }
        case event_type::reservation_expired: {
            const auto e = read_payload<reservation_expired_v1>(payload);
            ORDO_ASSERT(e.expires_at_ms <= e.now_ms);
            replay_status_change(state, e.now_ms, e.reservation, reservation_status::expired);
            return apply_result::applied;
        }
        case event_type::command_rejected:
            count_record(state, read_payload<command_rejected_v1>(payload).now_ms, true);
            return apply_result::applied;
        case event_type::ticked:
            count_record(state, read_payload<ticked_v1>(payload).now_ms, true);
            return apply_result::applied;
    }
    ORDO_ASSERT(false && "unknown event type");
    return apply_result::applied;
}

}  // namespace ordo::engine
