#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ordo::tools {
// Registers `ordo state` on `app`; `run` is set to the code that executes it.
void add_state_command(CLI::App& app, std::function<int()>& run);
}  // namespace ordo::tools
