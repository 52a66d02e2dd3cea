#pragma once
// The one outcome every command ends in (CONTRACT.md section 1). Rejection reasons are
// values, not errors: they are recorded in the journal like any other outcome.

#include <cstdint>
#include <optional>
#include <string_view>

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
};
inline constexpr std::uint32_t outcome_count = 11;

inline constexpr bool is_rejection(outcome o) noexcept {
    return o != outcome::accepted && o != outcome::duplicate;
}

// "accepted", "duplicate" or "rejected".
std::string_view outcome_status_name(outcome o) noexcept;
// The reason string of a rejection ("insufficient_seats"), or the status for the others.
std::string_view outcome_name(outcome o) noexcept;
std::optional<outcome> outcome_from_name(std::string_view name) noexcept;

}  // namespace ordo::engine
