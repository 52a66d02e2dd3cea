#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ordo::tools {
// Registers `ordo follow` on `app`; `run` is set to the code to execute.
void add_follow_command(CLI::App& app, std::function<int()>& run);
}  // namespace ordo::tools
