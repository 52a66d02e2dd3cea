#include "engine/command.h"

#include <algorithm>

namespace ordo::engine {

// No SLP vectorisation here: producers fill `c` with 8-byte stores just before, and one
// 32-byte load of those fields stalls on store forwarding (it was most of encode's time).
[[gnu::optimize("no-tree-slp-vectorize")]]
std::uint32_t encode(const command& c, std::span<command_slot> out) noexcept {
    const std::uint32_t slots = c.slot_count();
    ORDO_ASSERT(c.item_count <= command_items_max);
    ORDO_ASSERT(out.size() >= slots);
    ORDO_ASSERT(static_cast<std::uint8_t>(c.kind) >= 1);
    ORDO_ASSERT(static_cast<std::uint8_t>(c.kind) <= op_max);
    command_header& h = out[0].header;
    h = command_header{};
    h.kind = c.kind;
    h.item_count = static_cast<std::uint8_t>(c.item_count);
    h.slot_count = static_cast<std::uint8_t>(slots);
    h.hold_ttl_ms = c.hold_ttl_ms;
    h.t_ms = c.t_ms;
    h.conference = c.conference;
    h.reservation = c.reservation;
    h.customer = c.customer;
    for (std::uint32_t s = 1; s < slots; s++) out[s] = command_slot{.items = {}};
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        if (i < header_items) {
            h.items[i] = c.items[i];
        } else {
            const std::uint32_t rest = i - header_items;
            out[1 + rest / extension_items].items[rest % extension_items] = c.items[i];
        }
    }
    return slots;
}

command decode(std::span<const command_slot> slots) noexcept {
    ORDO_ASSERT(!slots.empty());
    const command_view view(slots.data());
    ORDO_ASSERT(slots.size() >= view.header().slot_count);
    const command_header& h = view.header();
    command c;
    c.kind = h.kind;
    c.t_ms = h.t_ms;
    c.conference = h.conference;
    c.reservation = h.reservation;
    c.customer = h.customer;
    c.hold_ttl_ms = h.hold_ttl_ms;
    c.item_count = h.item_count;
    for (std::uint32_t i = 0; i < c.item_count; i++) c.items[i] = view.item(i);
    return c;
}

command make_create_conference(std::uint64_t t_ms, std::uint64_t conference,
                               std::span<const seat_item> seats,
                               std::uint32_t hold_ttl_ms) noexcept {
    command c{.kind = op::create_conference, .t_ms = t_ms, .conference = conference,
              .hold_ttl_ms = hold_ttl_ms};
    for (const seat_item& s : seats) c.add_item(s.seat_type, s.quantity);
    return c;
}

command make_seats_change(op kind, std::uint64_t t_ms, std::uint64_t conference,
                          std::uint16_t seat_type, std::uint32_t quantity) noexcept {
    ORDO_ASSERT(kind == op::add_seats || kind == op::remove_seats);
    command c{.kind = kind, .t_ms = t_ms, .conference = conference};
    c.add_item(seat_type, quantity);
    return c;
}

command make_reserve(std::uint64_t t_ms, std::uint64_t conference, std::uint64_t reservation,
                     std::uint64_t customer, std::span<const seat_item> seats) noexcept {
    command c{.kind = op::reserve, .t_ms = t_ms, .conference = conference,
              .reservation = reservation, .customer = customer};
    for (const seat_item& s : seats) c.add_item(s.seat_type, s.quantity);
    return c;
}

command make_reservation_op(op kind, std::uint64_t t_ms, std::uint64_t reservation) noexcept {
    ORDO_ASSERT(kind == op::confirm || kind == op::cancel);
    return command{.kind = kind, .t_ms = t_ms, .reservation = reservation};
}

command make_tick(std::uint64_t t_ms) noexcept { return command{.kind = op::tick, .t_ms = t_ms}; }

command make_close_conference(std::uint64_t t_ms, std::uint64_t conference) noexcept {
    return command{.kind = op::close_conference, .t_ms = t_ms, .conference = conference};
}

}  // namespace ordo::engine
