#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ordo::tools {
// Registers `ordo query availability|customer|history|sales` (CONTRACT.md section 4) on
// `app`; `run` is set to the code to execute.
void add_query_command(CLI::App& app, std::function<int()>& run);
}  // namespace ordo::tools
