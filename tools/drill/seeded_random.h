#pragma once
// The drills' one source of randomness: splitmix64, so a seed means the same run on every
// machine and standard library (std:: distributions are implementation-defined).
// Thread: its owner's.

#include <cstdint>

#include "base/assert.h"

namespace ordo::tools::drill {

class seeded_random {
  public:
    explicit seeded_random(std::uint64_t seed) noexcept : state_(seed) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, bound) (the tiny modulo bias does not matter to a drill).
    std::uint64_t below(std::uint64_t bound) noexcept {
        ORDO_ASSERT(bound > 0);
        return next() % bound;
    }
    // Uniform in [low, high].
    std::uint64_t between(std::uint64_t low, std::uint64_t high) noexcept {
        ORDO_ASSERT(low <= high);
        return low + below(high - low + 1);
    }
    // True with probability percent / 100.
    bool chance(std::uint32_t percent) noexcept {
        ORDO_ASSERT(percent <= 100);
        return below(100) < percent;
    }

  private:
    std::uint64_t state_;
};

}  // namespace ordo::tools::drill
