#pragma once
// Every bound of the booking engine, named once with its unit. Contract and wire bounds
// are part of the event schema (engine/schema/limits.h); configuration bounds guard the
// preallocated tables and rings.

#include <cstdint>

#include "base/ring/ring_limits.h"
#include "engine/schema/limits.h"

namespace ordo::engine {

// --- Configuration (preallocated tables and rings) ---
inline constexpr std::uint32_t conferences_max_limit = 1u << 22;
inline constexpr std::uint32_t reservations_max_limit = 1u << 28;
inline constexpr std::uint32_t producers_max = 16;
using base::ring_peek_slots_max;
using base::ring_slots_max;
using base::ring_slots_min;

}  // namespace ordo::engine
