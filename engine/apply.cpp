#include "engine/apply.h"

#include <cstring>

#include "engine/events.h"
#include "journal/record.h"

namespace ordo::engine {
namespace {

void advance_time(booking_state& state, std::uint64_t now_ms) noexcept {
    ORDO_ASSERT(now_ms >= state.now_ms);  // time never runs backwards
    state.now_ms = now_ms;
}

apply_result apply_conference_created(booking_state& state,
                                      std::span<const std::byte> payload) noexcept {
    const auto e = read_payload<conference_created_v1>(payload);
    advance_time(state, e.now_ms);
    if (state.conferences_full()) return apply_result::conferences_full;
    ORDO_ASSERT(e.seat_type_count >= 1);
    ORDO_ASSERT(e.seat_type_count <= seat_types_per_conference_max);
    conference_state& c = state.conference(state.insert_conference(e.conference));
    c.hold_ttl_ms = e.hold_ttl_ms;
    c.type_count = e.seat_type_count;
    for (std::uint32_t i = 0; i < e.seat_type_count; i++) {
        const seat_item item = read_seat_item(payload, sizeof(e), i);
        ORDO_ASSERT(item.quantity <= capacity_max);
        c.type_ids[i] = item.seat_type;
        c.capacity[i] = item.quantity;
        c.held[i] = 0;
        c.confirmed[i] = 0;
    }
    return apply_result::applied;
}

void apply_seats_changed(booking_state& state, event_type type,
                         std::span<const std::byte> payload,
                         const record_places& places) noexcept {
    const auto e = read_payload<seats_changed_v1>(payload);
    advance_time(state, e.now_ms);
    conference_state& c = state.conference(places.conference_index);
    ORDO_ASSERT(c.id == e.conference);
    std::uint32_t t = places.type_index[0];
    if (type == event_type::seats_added) {
        if (t == seat_type_index_none) {
            ORDO_ASSERT(c.find_type(e.seat_type) == seat_type_index_none);
            ORDO_ASSERT(c.type_count < seat_types_per_conference_max);
            t = c.type_count++;
            c.type_ids[t] = e.seat_type;
            c.capacity[t] = 0;
            c.held[t] = 0;
            c.confirmed[t] = 0;
        }
        ORDO_ASSERT(c.type_ids[t] == e.seat_type);
        c.capacity[t] += e.quantity;
        ORDO_ASSERT(c.capacity[t] <= capacity_max);
    } else {
        ORDO_ASSERT(t != seat_type_index_none);
        ORDO_ASSERT(c.type_ids[t] == e.seat_type);
        ORDO_ASSERT(c.available(t) >= e.quantity);
        c.capacity[t] -= e.quantity;
    }
}

apply_result apply_reservation_held(booking_state& state, std::span<const std::byte> payload,
                                    const record_places& places) noexcept {
    const auto e = read_payload<reservation_held_v1>(payload);
    advance_time(state, e.now_ms);
    if (state.reservations_full()) return apply_result::reservations_full;
    ORDO_ASSERT(e.item_count >= 1);
    ORDO_ASSERT(e.item_count <= reservation_items_max);
    conference_state& c = state.conference(places.conference_index);
    ORDO_ASSERT(c.id == e.conference);
    // ids are unique for all time: insert_reservation checks the index slot is empty.
    const std::uint32_t record = state.insert_reservation(places.reservation_index_slot,
                                                          e.reservation);
    reservation_state& r = state.reservation(record);
    r.customer = e.customer;
    r.expires_at_ms = e.expires_at_ms;
    r.conference_index = places.conference_index;
    r.status = reservation_status::held;
    r.item_count = static_cast<std::uint8_t>(e.item_count);
    for (std::uint32_t i = 0; i < e.item_count; i++) {
        const seat_item item = read_seat_item(payload, sizeof(e), i);
        const std::uint32_t t = places.type_index[i];
        ORDO_ASSERT(t < c.type_count);
        ORDO_ASSERT(c.type_ids[t] == item.seat_type);
        ORDO_ASSERT(c.available(t) >= item.quantity);
        c.held[t] += item.quantity;
        r.items[i] = reserved_item{.type_index = static_cast<std::uint8_t>(t),
                                   .reserved_zero = 0,
                                   .quantity = static_cast<std::uint16_t>(item.quantity)};
    }
    state.counts.held++;
    state.expiries().push(expiry_entry{.expires_at_ms = e.expires_at_ms,
                                       .reservation = e.reservation, .record = record,
                                       .reserved_zero = 0});
    return apply_result::applied;
}

// Moves a reservation out of `held` or `confirmed`, returning or moving its seats.
void change_status(booking_state& state, reservation_state& r, reservation_status to) noexcept {
    conference_state& c = state.conference(r.conference_index);
    const reservation_status from = r.status;
    ORDO_ASSERT(r.item_count >= 1);
    ORDO_ASSERT(r.item_count <= reservation_items_max);
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        const reserved_item item = r.items[i];
        if (from == reservation_status::held) {
            ORDO_ASSERT(c.held[item.type_index] >= item.quantity);
            c.held[item.type_index] -= item.quantity;
        } else {
            ORDO_ASSERT(from == reservation_status::confirmed);
            ORDO_ASSERT(c.confirmed[item.type_index] >= item.quantity);
            c.confirmed[item.type_index] -= item.quantity;
        }
        if (to == reservation_status::confirmed) c.confirmed[item.type_index] += item.quantity;
    }
    (from == reservation_status::held ? state.counts.held : state.counts.confirmed)--;
    switch (to) {
        case reservation_status::confirmed: state.counts.confirmed++; break;
        case reservation_status::cancelled: state.counts.cancelled++; break;
        case reservation_status::expired: state.counts.expired++; break;
        case reservation_status::held: ORDO_ASSERT(false && "no transition back to held");
    }
    r.status = to;
}

void apply_reservation_change(booking_state& state, std::uint64_t reservation,
                              std::uint32_t record, reservation_status to) noexcept {
    reservation_state& r = state.reservation(record);
    ORDO_ASSERT(r.id == reservation);
    if (to == reservation_status::cancelled) {
        ORDO_ASSERT(r.status == reservation_status::held ||
                    r.status == reservation_status::confirmed);
    } else {
        ORDO_ASSERT(r.status == reservation_status::held);
    }
    change_status(state, r, to);
}

journal::record_header header_of(std::span<const std::byte> record) noexcept {
    journal::record_header header;
    ORDO_ASSERT(record.size() >= sizeof(header));
    std::memcpy(&header, record.data(), sizeof(header));
    ORDO_ASSERT(header.size_bytes == record.size());
    ORDO_ASSERT(header.schema_version == event_schema_version);
    return header;
}

// Replay's lookups: the places decide() found live, found again from the record.
record_places locate(const booking_state& state, event_type type,
                     std::span<const std::byte> payload) noexcept {
    record_places places;
    switch (type) {
        case event_type::seats_added:
        case event_type::seats_removed: {
            const auto e = read_payload<seats_changed_v1>(payload);
            places.conference_index = state.find_conference(e.conference);
            ORDO_ASSERT(places.conference_index != index_none);
            places.type_index[0] =
                state.conference(places.conference_index).find_type(e.seat_type);
            break;
        }
        case event_type::reservation_held: {
            const auto e = read_payload<reservation_held_v1>(payload);
            ORDO_ASSERT(e.item_count <= reservation_items_max);
            const booking_state::reservation_lookup found = state.find_reservation(e.reservation);
            ORDO_ASSERT(found.record == index_none);
            places.reservation_index_slot = found.index_slot;
            places.conference_index = state.find_conference(e.conference);
            ORDO_ASSERT(places.conference_index != index_none);
            const conference_state& c = state.conference(places.conference_index);
            for (std::uint32_t i = 0; i < e.item_count; i++) {
                places.type_index[i] = c.find_type(read_seat_item(payload, sizeof(e), i).seat_type);
            }
            break;
        }
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
            places.reservation_record =
                state.find_reservation(read_payload<reservation_changed_v1>(payload).reservation)
                    .record;
            break;
        case event_type::reservation_expired:
            places.reservation_record =
                state.find_reservation(read_payload<reservation_expired_v1>(payload).reservation)
                    .record;
            break;
        default: break;  // conference_created, command_rejected, ticked: nothing to find
    }
    return places;
}

}  // namespace

apply_result apply(booking_state& state, std::span<const std::byte> record,
                   const record_places& places) noexcept {
    const journal::record_header header = header_of(record);
    const auto type = static_cast<event_type>(header.type);
    const std::span<const std::byte> payload = record.subspan(sizeof(header));
    apply_result result = apply_result::applied;
    switch (type) {
        case event_type::conference_created:
            result = apply_conference_created(state, payload);
            break;
        case event_type::seats_added:
        case event_type::seats_removed: apply_seats_changed(state, type, payload, places); break;
        case event_type::reservation_held:
            result = apply_reservation_held(state, payload, places);
            break;
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled: {
            const auto e = read_payload<reservation_changed_v1>(payload);
            advance_time(state, e.now_ms);
            apply_reservation_change(state, e.reservation, places.reservation_record,
                                     type == event_type::reservation_confirmed
                                         ? reservation_status::confirmed
                                         : reservation_status::cancelled);
            break;
        }
        case event_type::reservation_expired: {
            const auto e = read_payload<reservation_expired_v1>(payload);
            advance_time(state, e.now_ms);
            ORDO_ASSERT(e.expires_at_ms <= e.now_ms);
            apply_reservation_change(state, e.reservation, places.reservation_record,
                                     reservation_status::expired);
            break;
        }
        case event_type::command_rejected:
            advance_time(state, read_payload<command_rejected_v1>(payload).now_ms);
            break;
        case event_type::ticked: advance_time(state, read_payload<ticked_v1>(payload).now_ms); break;
        default: ORDO_ASSERT(false && "unknown event type");
    }
    if (result != apply_result::applied) return result;
    state.events++;
    if (is_primary(type)) state.commands++;
    return result;
}

apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept {
    const journal::record_header header = header_of(record);
    const record_places places = locate(state, static_cast<event_type>(header.type),
                                        record.subspan(sizeof(header)));
    return apply(state, record, places);
}

}  // namespace ordo::engine
