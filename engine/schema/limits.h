#pragma once
// The bounds of the booking contract (CONTRACT.md section 1) and of its wire encoding
// (section 2), named once with their unit. Part of the event schema: projections and the
// workload parser check the same numbers the engine decides by.

#include <cstdint>

namespace ordo::engine {

// --- Contract (business rules) ---
inline constexpr std::uint32_t seat_types_per_conference_max = 64;
inline constexpr std::uint32_t reservation_items_max = 8;
inline constexpr std::uint32_t seat_type_max = 65535;
inline constexpr std::uint32_t capacity_max = 1'000'000;
inline constexpr std::uint32_t seats_change_quantity_max = 10'000;  // add_seats, remove_seats
inline constexpr std::uint32_t reserve_quantity_max = 10'000;
inline constexpr std::uint64_t hold_ttl_ms_min = 1'000;
inline constexpr std::uint64_t hold_ttl_ms_max = 86'400'000;
inline constexpr std::uint64_t hold_ttl_ms_default = 900'000;

// --- Wire (workload and command encoding) ---
inline constexpr std::uint64_t time_ms_max = 0x7fff'ffff'ffff'ffffull;  // t: 0..2^63-1
inline constexpr std::uint64_t wire_u32_max = 0xffff'ffffull;  // quantities, capacities, ttl
// A command carries at most this many seat items; one more marks "too many" so that the
// rejection (invalid_argument) keeps its place in the precedence order.
inline constexpr std::uint32_t command_items_max = seat_types_per_conference_max + 1;
static_assert(command_items_max > reservation_items_max);

}  // namespace ordo::engine
