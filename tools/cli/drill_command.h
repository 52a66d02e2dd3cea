#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ordo::tools {
// Registers `ordo drill` and its subcommands on `app`; `run` is set to the code that
// executes the one chosen.
void add_drill_command(CLI::App& app, std::function<int()>& run);
}  // namespace ordo::tools
