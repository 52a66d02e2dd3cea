#pragma once
// Hashing of client-chosen 64-bit ids into power-of-two open-addressing tables:
// multiplicative (Fibonacci) hashing, one multiply, keeping the product's top bits. Dense
// ids (1, 2, 3...), the common case, land about 0.618 of the table apart from each other,
// so linear probing meets no clusters; the top bits depend on every bit of the id, so
// ids that differ only high up spread too. (It replaced murmur3's finaliser: the same
// spread for our ids at a third of the latency, on the sequencer's path four times a
// command.)

#include <bit>
#include <cstdint>

#include "base/assert.h"

namespace ordo::engine {

inline constexpr std::uint64_t fibonacci_multiplier = 0x9e37'79b9'7f4a'7c15ull;  // 2^64 / phi

// The shift that keeps log2(slots) top bits of the product.
inline constexpr std::uint32_t hash_shift_for(std::uint64_t slots) noexcept {
    return 64u - static_cast<std::uint32_t>(std::countr_zero(slots));
}

inline constexpr std::uint32_t home_slot(std::uint64_t id, std::uint32_t shift) noexcept {
    return static_cast<std::uint32_t>((id * fibonacci_multiplier) >> shift);
}

// For an index of 8-byte entries: ids that differ only in their low three bits share one
// 64-byte line (the line is the Fibonacci hash of the other bits, the low bits pick the
// entry). Ids a client issues in order (counters, time-ordered ids) then cost one cache
// miss per eight inserts or lookups instead of one each; random ids spread exactly as
// well as before. `line_shift` is line_shift_for(slots), for at least two lines of slots
// (with one, the shift would be 64: undefined).
inline constexpr std::uint32_t ids_per_index_line = 8;
inline constexpr std::uint32_t index_slots_min = 2 * ids_per_index_line;
inline constexpr std::uint32_t line_shift_for(std::uint64_t slots) noexcept {
    ORDO_ASSERT(slots >= index_slots_min);
    return hash_shift_for(slots) + 3;
}
inline constexpr std::uint32_t line_grouped_home_slot(std::uint64_t id,
                                                      std::uint32_t line_shift) noexcept {
    const auto line = static_cast<std::uint32_t>(((id >> 3) * fibonacci_multiplier) >> line_shift);
    return (line << 3) | static_cast<std::uint32_t>(id & (ids_per_index_line - 1));
}

}  // namespace ordo::engine
