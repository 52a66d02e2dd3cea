#pragma once
// Time travel (CONTRACT.md section 3): where a replay stops. `ordo state --until-command N`
// stops right after the N-th command of the history; `--until-time T` right after the last
// command whose stamped time is <= T. A command's records are its expiries (they come
// first, stamped with the command's time) and its primary record, so a stop point always
// falls on a command boundary: records are cut inside a batch, never inside a command.
//
// Thread: pure functions, any thread.

#include <cstdint>
#include <span>

#include "engine/booking_state.h"

namespace ordo::engine {

struct replay_stop {
    enum class kind : std::uint8_t { commands, time_ms };
    kind by = kind::commands;
    std::uint64_t value = 0;  // a command count, or a stamped time in ms
};

// Whether a state already holds a command past the point (so a snapshot of it cannot be
// the start of a replay to the point). Time never runs backwards, so now_ms > T says a
// command after T was applied.
bool past_stop(const booking_state& state, const replay_stop& stop) noexcept;

// The first records of a batch that belong to commands at or before the point.
struct batch_prefix {
    std::uint32_t records = 0;  // record_count when the whole batch does; 0 when none does
    std::uint64_t bytes = 0;    // their bytes at the start of the body
};
// Given `commands_before` commands applied before the batch (updated to the count after
// the prefix).
batch_prefix records_before_stop(std::span<const std::byte> body, std::uint32_t record_count,
                                 std::uint64_t& commands_before, const replay_stop& stop) noexcept;

}  // namespace ordo::engine
