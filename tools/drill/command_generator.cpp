#include "tools/drill/command_generator.h"

namespace ordo::tools::drill {

using engine::op;

namespace {
constexpr std::uint16_t seat_types = 4;  // types 1..4 in use, 5 never created
}

std::uint32_t command_generator::some_quantity(std::uint32_t usual_max) noexcept {
    if (random_.chance(3)) return 0;       // invalid_quantity
    if (random_.chance(2)) return 20'000;  // invalid_quantity
    return static_cast<std::uint32_t>(random_.between(1, usual_max));
}

std::uint64_t command_generator::some_reservation() noexcept {
    if (random_.chance(5)) return generator_limits::reservations_max + 1 + random_.below(10);
    return random_.between(1, next_reservation_);  // next_reservation_ itself is unknown
}

engine::command command_generator::next_reserve(std::uint64_t t_ms) noexcept {
    const std::uint64_t conference = random_.between(1, generator_limits::conferences + 1);
    std::uint64_t reservation = some_reservation();
    if (!random_.chance(10) && next_reservation_ <= generator_limits::reservations_max) {
        reservation = next_reservation_++;  // mostly a new id
    }
    if (reservation > generator_limits::reservations_max) reservation = 1;  // a duplicate
    engine::command c;
    c.kind = op::reserve;
    c.t_ms = t_ms;
    c.conference = conference;
    c.reservation = reservation;
    c.customer = random_.between(1, 20);
    std::uint32_t items = static_cast<std::uint32_t>(random_.between(1, 3));
    if (random_.chance(2)) items = random_.chance(50) ? 0 : 9;  // invalid_argument
    const std::uint16_t first = static_cast<std::uint16_t>(random_.between(1, seat_types + 1));
    for (std::uint32_t i = 0; i < items; i++) {
        std::uint16_t type = static_cast<std::uint16_t>(1 + (first - 1 + i) % (seat_types + 1));
        if (i > 0 && random_.chance(3)) type = first;  // a repeated type
        c.add_item(type, some_quantity(4));
    }
    return c;
}

engine::command command_generator::next() noexcept {
    // Time mostly moves on a little; sometimes it jumps past hold TTLs or goes backwards.
    const std::uint64_t roll = random_.below(100);
    if (roll < 5) {
        t_ms_ += random_.between(2'000, 8'000);
    } else if (roll < 10 && t_ms_ > 0) {
        t_ms_ -= random_.below(t_ms_ < 500 ? t_ms_ : 500);
    } else {
        t_ms_ += random_.below(120);
    }
    const std::uint64_t t = t_ms_;
    const std::uint64_t kind = random_.below(100);
    const std::uint64_t conference = random_.between(1, generator_limits::conferences);
    const std::uint16_t type = static_cast<std::uint16_t>(random_.between(1, seat_types + 1));
    if (kind < 8) {
        engine::seat_item seats[seat_types + 1];
        std::uint32_t count = static_cast<std::uint32_t>(random_.between(1, seat_types));
        if (random_.chance(4)) count = 0;  // invalid_argument
        for (std::uint32_t i = 0; i < count; i++) {
            seats[i] = {.quantity = static_cast<std::uint32_t>(random_.below(12)),
                        .seat_type = static_cast<std::uint16_t>(i + 1),
                        .reserved_zero = 0};
        }
        if (count > 1 && random_.chance(5)) seats[1].seat_type = seats[0].seat_type;
        std::uint32_t ttl = static_cast<std::uint32_t>(random_.between(1'000, 6'000));
        if (random_.chance(4)) ttl = random_.chance(50) ? 999 : 86'400'001;  // invalid_argument
        return engine::make_create_conference(t, conference, {seats, count}, ttl);
    }
    if (kind < 13)
        return engine::make_seats_change(op::add_seats, t, conference, type, some_quantity(6));
    if (kind < 18)
        return engine::make_seats_change(op::remove_seats, t, conference, type, some_quantity(6));
    if (kind < 58) return next_reserve(t);
    if (kind < 78) return engine::make_reservation_op(op::confirm, t, some_reservation());
    if (kind < 92) return engine::make_reservation_op(op::cancel, t, some_reservation());
    if (kind < 95) return engine::make_close_conference(t, conference);
    return engine::make_tick(t);
}

}  // namespace ordo::tools::drill
