#pragma once
// --until-command N / --until-time T (CONTRACT.md sections 3 and 4): the point of DIR's
// history that `ordo state` and every `ordo query` answer as of, instead of its end.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace ordo::tools {

struct until_flags {
    std::optional<std::uint64_t> command;  // after the first N commands
    std::optional<std::uint64_t> time_ms;  // after the last command stamped at or before T
    bool any() const noexcept { return command.has_value() || time_ms.has_value(); }
};

// Adds both flags (each excludes the other) to a subcommand.
void add_until_flags(CLI::App& sub, until_flags& flags);

// The error line for --until-command N past the end of a history of `commands` commands.
std::string past_the_end_message(std::uint64_t asked, std::uint64_t commands);

}  // namespace ordo::tools
