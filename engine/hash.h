#pragma once
// Hashing of client-chosen 64-bit ids into open-addressing tables. Ids are often dense
// (1, 2, 3...), so a strong mixer (murmur3's finaliser) spreads them across the table.

#include <cstdint>

namespace ordo::engine {

inline constexpr std::uint64_t mix_id(std::uint64_t id) noexcept {
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdull;
    id ^= id >> 33;
    id *= 0xc4ceb9fe1a85ec53ull;
    id ^= id >> 33;
    return id;
}

}  // namespace ordo::engine
