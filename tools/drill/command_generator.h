#pragma once
// Seeded commands for the deterministic simulation: a few small conferences and reservation
// ids reused on purpose, so that every outcome of CONTRACT.md section 1 happens often
// (duplicates, seats running out, expiries, closes, time going backwards, bad quantities,
// too many items, repeated types). Ids stay under the simulation's table capacities, so
// table_full (a capacity, not a business rule) never happens.
//
// Thread: its owner's.

#include <cstdint>

#include "engine/command.h"
#include "tools/drill/seeded_random.h"

namespace ordo::tools::drill {

struct generator_limits {
    static constexpr std::uint64_t conferences = 5;          // ids 1..5
    static constexpr std::uint64_t reservations_max = 3000;  // ids 1..this, never more
};

class command_generator {
  public:
    explicit command_generator(std::uint64_t seed) noexcept : random_(seed) {}
    engine::command next() noexcept;

  private:
    engine::command next_reserve(std::uint64_t t_ms) noexcept;
    std::uint64_t some_reservation() noexcept;  // mostly one that exists, sometimes not
    std::uint32_t some_quantity(std::uint32_t usual_max) noexcept;

    seeded_random random_;
    std::uint64_t t_ms_ = 0;
    std::uint64_t next_reservation_ = 1;
};

}  // namespace ordo::tools::drill
