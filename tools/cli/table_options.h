#pragma once
// What a data directory holds that decides how a command may open it, and the table
// capacities a command runs with. A directory keeps its capacities for life in
// DIR/manifest (journal/manifest.h): the outcomes in its history (table_full among them)
// were decided with them, and later runs and replays must size their tables the same way.
// So: the manifest's capacities; else, in a directory written before manifests, those of
// DIR/tables.json (the next writer migrates it); else, for a new directory, the flags or
// the defaults. A flag that differs from what the directory keeps is refused, never
// silently applied; a journal with neither file is refused, never guessed.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/booking_state.h"
#include "journal/manifest.h"

namespace ordo::tools {

struct table_flags {
    std::optional<std::uint32_t> conferences_max;   // given on the command line
    std::optional<std::uint32_t> reservations_max;
};

// Adds --conferences-max and --reservations-max.
void add_table_flags(CLI::App& sub, table_flags& flags);

// Why a command will not open a directory: the one line to print and the exit status
// (exit_failure: the directory is damaged or incomplete; exit_usage: a flag is refused).
struct refusal {
    std::string message;
    int exit_status = 1;
};

// For a command that reads DIR without the lock: returns once no writer that has exited
// still has writes landing in it (journal::io::file_system::wait_for_exited_holder), so
// that after a crash it reads what the next writer will recover. A live writer is not
// waited for.
std::optional<refusal> wait_for_exited_writer(const std::filesystem::path& dir);

// What DIR holds (read only; no lock: a writer may be running). Waits for an exited writer
// first (wait_for_exited_writer).
struct data_dir_contents {
    std::optional<journal::manifest> manifest;
    std::optional<engine::state_options> legacy_tables;  // DIR/tables.json, no manifest
    bool has_segments = false;                          // DIR/journal holds segment files
    std::uint64_t largest_segment_bytes = 0;
};
std::expected<data_dir_contents, refusal> inspect_data_dir(const std::filesystem::path& dir);

// The capacities to run with (the rules above); `defaults` for a new directory.
std::expected<engine::state_options, refusal> resolve_tables(
    const std::filesystem::path& dir, const data_dir_contents& contents,
    const table_flags& flags, const engine::state_options& defaults);

// Checks that tables of these capacities (twice, with the snapshot copy) fit in what this
// machine can give the process now: MemAvailable, the commit limit under strict
// overcommit, and RLIMIT_AS. nullopt when they fit; else the one line naming the bytes and
// the fix. Asked before anything is written, so a refused size leaves DIR as it was.
std::optional<std::string> tables_do_not_fit(const engine::state_options& tables,
                                             bool snapshot_copy);

}  // namespace ordo::tools
