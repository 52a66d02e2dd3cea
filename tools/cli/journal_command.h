#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ordo::tools {
// Registers `ordo journal verify|dump|stats` on `app`; `run` is set to the code to execute.
void add_journal_command(CLI::App& app, std::function<int()>& run);
}  // namespace ordo::tools
