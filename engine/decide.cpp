#include "engine/decide.h"

#include <algorithm>

namespace ordo::engine {

bool has_repeated_type(command_view cmd) noexcept {
    const std::uint32_t count = cmd.item_count();
    ORDO_ASSERT(count <= command_items_max);
    for (std::uint32_t i = 1; i < count; i++) {
        for (std::uint32_t j = 0; j < i; j++) {
            if (cmd.item(i).seat_type == cmd.item(j).seat_type) return true;
        }
    }
    return false;
}

outcome decide_create(const booking_state& state, command_view cmd) noexcept {
    const command_header& h = cmd.header();
    if (state.find_conference(h.conference) != index_none) return outcome::conference_exists;
    const std::uint32_t count = cmd.item_count();
    bool valid = count >= 1 && count <= seat_types_per_conference_max;
    valid = valid && h.hold_ttl_ms >= hold_ttl_ms_min && h.hold_ttl_ms <= hold_ttl_ms_max;
    for (std::uint32_t i = 0; valid && i < count; i++) {
        valid = cmd.item(i).quantity <= capacity_max && cmd.item(i).seat_type != 0;
    }
    if (!valid || has_repeated_type(cmd)) return outcome::invalid_argument;
    if (state.conferences_full()) return outcome::table_full;
    return outcome::accepted;
}

outcome decide_seats_change(const booking_state& state, command_view cmd,
                            std::uint32_t& conference_index, std::uint32_t& type_index) noexcept {
    const command_header& h = cmd.header();
    const std::uint32_t index = state.find_conference(h.conference);
    if (index == index_none) return outcome::unknown_conference;
    ORDO_ASSERT(cmd.item_count() == 1);
    const seat_item item = cmd.item(0);
    const conference_state& c = state.conference(index);
    if (c.closed != 0) return outcome::conference_closed;
    const std::uint32_t type = c.find_type(item.seat_type);
    const bool valid_quantity = item.quantity >= 1 && item.quantity <= seats_change_quantity_max;
    if (h.kind == op::add_seats) {
        if (!valid_quantity) return outcome::invalid_quantity;
        const std::uint64_t before = type == seat_type_index_none ? 0 : c.seats[type].capacity;
        if (before + item.quantity > capacity_max) return outcome::invalid_quantity;
        if (type == seat_type_index_none && c.type_count >= seat_types_per_conference_max) {
            return outcome::invalid_argument;
        }
    } else {
        ORDO_ASSERT(h.kind == op::remove_seats);
        if (type == seat_type_index_none) return outcome::unknown_seat_type;
        if (!valid_quantity) return outcome::invalid_quantity;
        if (c.available(type) < item.quantity) return outcome::insufficient_seats;
    }
    conference_index = index;
    type_index = type;
    return outcome::accepted;
}

outcome decide_close(const booking_state& state, const command_header& h,
                     std::uint32_t& conference_index) noexcept {
    ORDO_ASSERT(h.kind == op::close_conference);
    const std::uint32_t index = state.find_conference(h.conference);
    if (index == index_none) return outcome::unknown_conference;
    const conference_state& c = state.conference(index);
    ORDO_ASSERT(c.closed <= 1);
    if (c.closed != 0) return outcome::duplicate;
    conference_index = index;
    return outcome::accepted;
}

std::uint32_t find_held_of_conference(const booking_state& state, std::uint32_t conference_index,
                                      std::span<std::uint32_t> out) noexcept {
    ORDO_ASSERT(state.conference(conference_index).closed == 0);
    const std::uint32_t live = state.live_of_conference(conference_index, out);
    std::uint32_t found = 0;
    for (std::uint32_t i = 0; i < live; i++) {
        if (state.reservation(out[i]).status == reservation_status::held) out[found++] = out[i];
    }
    std::sort(out.begin(), out.begin() + found, [&state](std::uint32_t a, std::uint32_t b) {
        return state.reservation(a).id < state.reservation(b).id;
    });
    return found;
}

std::optional<expiry_entry> next_due_expiry(const booking_state& state,
                                            std::uint64_t now_ms) noexcept {
    const expiry_queue& queue = state.expiries();
    if (queue.empty()) return std::nullopt;
    const expiry_entry top = queue.top();
    if (top.expires_at_ms > now_ms) return std::nullopt;
    // The queue holds exactly the held reservations (entries leave with their hold).
    const reservation_state& r = state.reservation(top.record);
    ORDO_ASSERT(r.id == top.reservation);
    ORDO_ASSERT(r.status == reservation_status::held);
    ORDO_ASSERT(r.expires_at_ms == top.expires_at_ms);
    return top;
}

}  // namespace ordo::engine
