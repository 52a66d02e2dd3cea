#pragma once
// Commands written as a workload file (CONTRACT.md section 2), and results files read
// back: what the process drills hand `ordo run` and what it acknowledged.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/schema/outcome.h"

namespace ordo::tools::drill {

std::string command_json_line(const engine::command& c);
// The command as ordo reads its line back: JSON keys are unique, so a seat type given twice
// (the generator does that on purpose) is there once, with the last quantity.
engine::command as_written(const engine::command& c);
// Writes commands [first, end) of `commands`, one line each.
bool write_workload(const std::filesystem::path& path, std::span<const engine::command> commands);

// The outcomes a results file acknowledges, in order (complete lines only: a line still
// being written is not acknowledged yet). nullopt when a line is not a result of line
// index+1 (the results file is itself checked).
std::optional<std::vector<engine::outcome>> read_results(const std::filesystem::path& path);

// The commands a generator gives for `seed`, `count` of them, as_written().
std::vector<engine::command> generate_commands(std::uint64_t seed, std::uint64_t count);

}  // namespace ordo::tools::drill
