#include "engine/outcome.h"

#include <array>

#include "journal/base/assert.h"

namespace ordo::engine {
namespace {
constexpr std::array<std::string_view, outcome_count> names = {
    "accepted",           "duplicate",         "conference_exists", "invalid_argument",
    "unknown_conference", "invalid_quantity",  "unknown_seat_type", "insufficient_seats",
    "unknown_reservation", "not_active",       "table_full",
};
}  // namespace

std::string_view outcome_status_name(outcome o) noexcept {
    if (o == outcome::accepted) return "accepted";
    if (o == outcome::duplicate) return "duplicate";
    return "rejected";
}

std::string_view outcome_name(outcome o) noexcept {
    const auto index = static_cast<std::uint32_t>(o);
    ORDO_ASSERT(index < outcome_count);
    return names[index];
}

std::optional<outcome> outcome_from_name(std::string_view name) noexcept {
    for (std::uint32_t i = 0; i < outcome_count; i++) {
        if (names[i] == name) return static_cast<outcome>(i);
    }
    return std::nullopt;
}

}  // namespace ordo::engine
