#include "engine/decide.h"

#include <cstring>

namespace ordo::engine {
namespace {

outcome reject(const command_header& h, outcome result, std::uint64_t now_ms,
               event_buffer& out) noexcept {
    ORDO_ASSERT(result != outcome::accepted);
    out.append(event_type::command_rejected,
               command_rejected_v1{.now_ms = now_ms, .conference = h.conference,
                                   .reservation = h.reservation, .kind = h.kind,
                                   .result = result, .reserved_zero = 0,
                                   .reserved_zero2 = 0});
    return result;
}

// Appends a record whose payload is `event` followed by the command's seat items.
template <class Event>
void append_with_items(event_buffer& out, event_type type, const Event& event,
                       command_view cmd) noexcept {
    const std::uint32_t count = cmd.item_count();
    ORDO_ASSERT(count <= seat_types_per_conference_max);
    std::byte* at = out.append_raw(type, sizeof(Event) + count * sizeof(seat_item));
    std::memcpy(at, &event, sizeof(event));
    for (std::uint32_t i = 0; i < count; i++) {
        const seat_item item = cmd.item(i);
        std::memcpy(at + sizeof(event) + i * sizeof(seat_item), &item, sizeof(item));
    }
}

bool has_repeated_type(command_view cmd) noexcept {
    const std::uint32_t count = cmd.item_count();
    ORDO_ASSERT(count <= seat_types_per_conference_max);
    for (std::uint32_t i = 1; i < count; i++) {
        for (std::uint32_t j = 0; j < i; j++) {
            if (cmd.item(i).seat_type == cmd.item(j).seat_type) return true;
        }
    }
    return false;
}

outcome decide_create(const booking_state& state, command_view cmd, std::uint64_t now_ms,
                      event_buffer& out) noexcept {
    const command_header& h = cmd.header();
    if (state.find_conference(h.conference) != index_none) {
        return reject(h, outcome::conference_exists, now_ms, out);
    }
    const std::uint32_t count = cmd.item_count();
    bool valid = count >= 1 && count <= seat_types_per_conference_max;
    valid = valid && h.hold_ttl_ms >= hold_ttl_ms_min && h.hold_ttl_ms <= hold_ttl_ms_max;
    for (std::uint32_t i = 0; valid && i < count; i++) {
        valid = cmd.item(i).quantity <= capacity_max && cmd.item(i).seat_type != 0;
    }
    if (!valid || has_repeated_type(cmd)) return reject(h, outcome::invalid_argument, now_ms, out);
    if (state.conferences_full()) return reject(h, outcome::table_full, now_ms, out);

    append_with_items(out, event_type::conference_created,
                      conference_created_v1{.now_ms = now_ms, .conference = h.conference,
                                            .hold_ttl_ms = h.hold_ttl_ms,
                                            .seat_type_count = count},
                      cmd);
    return outcome::accepted;
}

outcome decide_seats_change(const booking_state& state, command_view cmd,
                            std::uint64_t now_ms, event_buffer& out,
                            record_places& places) noexcept {
    const command_header& h = cmd.header();
    const std::uint32_t index = state.find_conference(h.conference);
    if (index == index_none) return reject(h, outcome::unknown_conference, now_ms, out);
    ORDO_ASSERT(cmd.item_count() == 1);
    const seat_item item = cmd.item(0);
    const conference_state& c = state.conference(index);
    const std::uint32_t type = c.find_type(item.seat_type);
    const bool valid_quantity = item.quantity >= 1 && item.quantity <= seats_change_quantity_max;
    if (h.kind == op::add_seats) {
        if (!valid_quantity) return reject(h, outcome::invalid_quantity, now_ms, out);
        const std::uint64_t before = type == seat_type_index_none ? 0 : c.capacity[type];
        if (before + item.quantity > capacity_max) {
            return reject(h, outcome::invalid_quantity, now_ms, out);
        }
        if (type == seat_type_index_none && c.type_count >= seat_types_per_conference_max) {
            return reject(h, outcome::invalid_argument, now_ms, out);
        }
    } else {
        ORDO_ASSERT(h.kind == op::remove_seats);
        if (type == seat_type_index_none) return reject(h, outcome::unknown_seat_type, now_ms, out);
        if (!valid_quantity) return reject(h, outcome::invalid_quantity, now_ms, out);
        if (c.available(type) < item.quantity) {
            return reject(h, outcome::insufficient_seats, now_ms, out);
        }
    }
    out.append(h.kind == op::add_seats ? event_type::seats_added : event_type::seats_removed,
               seats_changed_v1{.now_ms = now_ms, .conference = h.conference,
                                .quantity = item.quantity, .seat_type = item.seat_type,
                                .reserved_zero = 0});
    places.conference_index = index;
    places.type_index[0] = type;
    return outcome::accepted;
}

// `types` receives each item's seat type index when every type exists.
outcome check_reserve_items(const conference_state& c, command_view cmd,
                            std::uint32_t (&types)[reservation_items_max]) noexcept {
    const std::uint32_t count = cmd.item_count();
    if (count == 0 || count > reservation_items_max || has_repeated_type(cmd)) {
        return outcome::invalid_argument;
    }
    for (std::uint32_t i = 0; i < count; i++) {
        const std::uint32_t q = cmd.item(i).quantity;
        if (q == 0 || q > reserve_quantity_max) return outcome::invalid_quantity;
    }
    for (std::uint32_t i = 0; i < count; i++) {
        types[i] = c.find_type(cmd.item(i).seat_type);
        if (types[i] == seat_type_index_none) return outcome::unknown_seat_type;
    }
    for (std::uint32_t i = 0; i < count; i++) {
        if (c.available(types[i]) < cmd.item(i).quantity) return outcome::insufficient_seats;
    }
    return outcome::accepted;
}

outcome decide_reserve(const booking_state& state, command_view cmd, std::uint64_t now_ms,
                       event_buffer& out, record_places& places) noexcept {
    const command_header& h = cmd.header();
    const booking_state::reservation_lookup found = state.find_reservation(h.reservation);
    if (found.record != index_none) return reject(h, outcome::duplicate, now_ms, out);
    const std::uint32_t index = state.find_conference(h.conference);
    if (index == index_none) return reject(h, outcome::unknown_conference, now_ms, out);
    const conference_state& c = state.conference(index);
    const outcome checked = check_reserve_items(c, cmd, places.type_index);
    if (checked != outcome::accepted) return reject(h, checked, now_ms, out);
    if (state.reservations_full()) return reject(h, outcome::table_full, now_ms, out);

    append_with_items(out, event_type::reservation_held,
                      reservation_held_v1{.now_ms = now_ms, .reservation = h.reservation,
                                          .conference = h.conference, .customer = h.customer,
                                          .expires_at_ms = now_ms + c.hold_ttl_ms,
                                          .item_count = cmd.item_count(), .reserved_zero = 0},
                      cmd);
    places.reservation_index_slot = found.index_slot;
    places.conference_index = index;
    return outcome::accepted;
}

outcome decide_reservation_op(const booking_state& state, command_view cmd,
                              std::uint64_t now_ms, event_buffer& out,
                              record_places& places) noexcept {
    const command_header& h = cmd.header();
    const std::uint32_t record = state.find_reservation(h.reservation).record;
    if (record == index_none) return reject(h, outcome::unknown_reservation, now_ms, out);
    const reservation_state& r = state.reservation(record);
    ORDO_ASSERT(r.id == h.reservation);
    const bool confirm = h.kind == op::confirm;
    const reservation_status done = confirm ? reservation_status::confirmed
                                            : reservation_status::cancelled;
    if (r.status == done) return reject(h, outcome::duplicate, now_ms, out);
    const bool active = r.status == reservation_status::held ||
                        (!confirm && r.status == reservation_status::confirmed);
    if (!active) return reject(h, outcome::not_active, now_ms, out);
    out.append(confirm ? event_type::reservation_confirmed : event_type::reservation_cancelled,
               reservation_changed_v1{.now_ms = now_ms, .reservation = h.reservation});
    places.reservation_record = record;
    return outcome::accepted;
}

}  // namespace

outcome decide(const booking_state& state, command_view cmd, std::uint64_t now_ms,
               event_buffer& out, record_places& places) noexcept {
    ORDO_ASSERT(now_ms >= state.now_ms);
    ORDO_ASSERT(out.free_bytes() >= decide_record_bytes_max);
    switch (cmd.header().kind) {
        case op::create_conference: return decide_create(state, cmd, now_ms, out);
        case op::add_seats:
        case op::remove_seats: return decide_seats_change(state, cmd, now_ms, out, places);
        case op::reserve: return decide_reserve(state, cmd, now_ms, out, places);
        case op::confirm:
        case op::cancel: return decide_reservation_op(state, cmd, now_ms, out, places);
        case op::tick:
            out.append(event_type::ticked, ticked_v1{.now_ms = now_ms});
            return outcome::accepted;
    }
    ORDO_ASSERT(false && "unknown op");
    return outcome::invalid_argument;
}

std::optional<expiry_entry> next_due_expiry(booking_state& state, std::uint64_t now_ms) noexcept {
    expiry_queue& queue = state.expiries();
    while (!queue.empty()) {
        const expiry_entry top = queue.top();
        if (top.expires_at_ms > now_ms) return std::nullopt;
        const reservation_state& r = state.reservation(top.record);
        ORDO_ASSERT(r.id == top.reservation);
        if (r.status == reservation_status::held) {
            ORDO_ASSERT(r.expires_at_ms == top.expires_at_ms);
            return top;
        }
        queue.pop();  // confirmed, cancelled or already expired: a stale entry
    }
    return std::nullopt;
}

void decide_expiry(const expiry_entry& due, std::uint64_t now_ms, event_buffer& out) noexcept {
    ORDO_ASSERT(due.expires_at_ms <= now_ms);
    ORDO_ASSERT(out.free_bytes() >= expiry_record_bytes);
    out.append(event_type::reservation_expired,
               reservation_expired_v1{.now_ms = now_ms, .reservation = due.reservation,
                                      .expires_at_ms = due.expires_at_ms});
}

}  // namespace ordo::engine
