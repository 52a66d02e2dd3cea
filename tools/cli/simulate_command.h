#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ordo::tools {
// Registers `ordo simulate` on `app`; `run` is set to the code that executes it.
void add_simulate_command(CLI::App& app, std::function<int()>& run);
}  // namespace ordo::tools
