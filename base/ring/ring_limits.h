#pragma once
// The rings' bounds, named once with their unit (slots). The engine sizes its rings inside
// them (engine/sequencer_options.h); both ring implementations assert them.

#include <cstdint>

namespace ordo::base {

inline constexpr std::uint32_t ring_slots_min = 64;
inline constexpr std::uint32_t ring_slots_max = 1u << 22;
// The most slots one peek() may ask for: a drain round's limit plus one whole command.
inline constexpr std::uint32_t ring_peek_slots_max = 4096 + 16;
static_assert((ring_slots_min & (ring_slots_min - 1)) == 0);
static_assert((ring_slots_max & (ring_slots_max - 1)) == 0);
static_assert(ring_peek_slots_max < ring_slots_max);

}  // namespace ordo::base
