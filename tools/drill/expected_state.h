#pragma once
// The state a data directory must recover to after the first K commands of a workload,
// computed twice, independently: by the reference model (reference_model.h) and by a fresh
// in-memory engine (no journal). A mismatch between the two is itself a finding.
// Thread: the drill's.

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/schema/outcome.h"

namespace ordo::tools::drill {

// The tables the process drills give ordo (the generator stays well under them).
inline constexpr std::uint64_t drill_conferences_max = 16;
inline constexpr std::uint64_t drill_reservations_max = 4096;

struct expected_history {
    std::vector<std::string> states;  // states[k]: the state JSON after k commands
    std::vector<engine::outcome> outcomes;
};

// Every prefix of `commands`; an error when the reference model and the engine disagree.
std::expected<expected_history, std::string> expect_history(
    std::span<const engine::command> commands);

}  // namespace ordo::tools::drill
