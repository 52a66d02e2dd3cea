#pragma once
// The table capacities a data directory was written with, kept in DIR/tables.json so that
// `ordo state` and later runs size their tables the same way without being told (a
// snapshot restores reservations at their table slots, which needs the same capacity).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/booking_state.h"

namespace ordo::tools {

struct table_flags {
    std::optional<std::uint32_t> conferences_max;   // given on the command line
    std::optional<std::uint32_t> reservations_max;
};

// Adds --conferences-max and --reservations-max.
void add_table_flags(CLI::App& sub, table_flags& flags);

// Flags win; then what DIR/tables.json says; then `defaults`.
std::expected<engine::state_options, std::string> resolve_tables(
    const std::filesystem::path& data_dir, const table_flags& flags,
    const engine::state_options& defaults);

// Records the capacities in DIR/tables.json (temp file + rename).
std::expected<void, std::string> store_tables(const std::filesystem::path& data_dir,
                                              const engine::state_options& options);

}  // namespace ordo::tools
