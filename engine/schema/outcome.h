#pragma once
// The one outcome every command ends in (CONTRACT.md section 1). Rejection reasons are
// values, not errors: they are recorded in the journal like any other outcome.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/assert.h"

namespace ordo::engine {

enum class outcome : std::uint8_t {
    accepted = 0,
    duplicate = 1,
    // Rejections (reasons), in no particular order; precedence is decided per op.
    conference_exists = 2,
    invalid_argument = 3,
    unknown_conference = 4,
    invalid_quantity = 5,
    unknown_seat_type = 6,
    insufficient_seats = 7,
    unknown_reservation = 8,
    not_active = 9,
    // Not a business rule: a preallocated table is full. Raise --conferences-max or
    // --reservations-max. Recorded like any rejection so replay stays exact.
    table_full = 10,
    // The conference's sale was closed (close_conference): no more reserves, capacity
    // changes or cancels of its confirmed reservations.
    conference_closed = 11,
};
inline constexpr std::uint32_t outcome_count = 12;

inline constexpr bool is_rejection(outcome o) noexcept {
    return o != outcome::accepted && o != outcome::duplicate;
}

inline constexpr std::array<std::string_view, outcome_count> outcome_names = {
    "accepted",           "duplicate",         "conference_exists", "invalid_argument",
    "unknown_conference", "invalid_quantity",  "unknown_seat_type", "insufficient_seats",
    "unknown_reservation", "not_active",       "table_full",        "conference_closed",
};

// "accepted", "duplicate" or "rejected".
inline constexpr std::string_view outcome_status_name(outcome o) noexcept {
    if (o == outcome::accepted) return "accepted";
    if (o == outcome::duplicate) return "duplicate";
    return "rejected";
}
// The reason string of a rejection ("insufficient_seats"), or the status for the others.
inline std::string_view outcome_name(outcome o) noexcept {
    const auto index = static_cast<std::uint32_t>(o);
    ORDO_ASSERT(index < outcome_count);
    return outcome_names[index];
}
inline std::optional<outcome> outcome_from_name(std::string_view name) noexcept {
    for (std::uint32_t i = 0; i < outcome_count; i++) {
        if (outcome_names[i] == name) return static_cast<outcome>(i);
    }
    return std::nullopt;
}

}  // namespace ordo::engine
