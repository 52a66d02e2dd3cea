#pragma once
// Every bound of the booking engine, named once with its unit. Contract bounds come from
// CONTRACT.md section 1; configuration bounds guard the preallocated tables.

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

// --- Configuration (preallocated tables and rings) ---
inline constexpr std::uint32_t conferences_max_limit = 1u << 22;
inline constexpr std::uint32_t reservations_max_limit = 1u << 28;
inline constexpr std::uint32_t producers_max = 16;
inline constexpr std::uint32_t ring_slots_min = 64;
inline constexpr std::uint32_t ring_slots_max = 1u << 22;
// The most slots one peek() may ask for: a drain round's limit plus one whole command.
inline constexpr std::uint32_t ring_peek_slots_max = 4096 + 16;
static_assert((ring_slots_min & (ring_slots_min - 1)) == 0);
static_assert((ring_slots_max & (ring_slots_max - 1)) == 0);

}  // namespace ordo::engine
