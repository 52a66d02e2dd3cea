#pragma once
// The one line `ordo` prints when CLI11 refuses the command line: it names the command the
// user reached ("ordo journal verify"), what was wrong, and where the help is. A missing or
// mistyped subcommand also lists the subcommands there are.

#include <CLI/CLI.hpp>

#include <string>

namespace ordo::tools {

std::string parse_error_line(const CLI::App& app, const CLI::ParseError& error, int argc,
                             const char* const* argv);

}  // namespace ordo::tools
