#pragma once
// Opening a data directory for a command that sequences (a writer): take DIR's lock (one
// writer per directory; readers take none), decide the table capacities (DIR/manifest keeps
// them for life, table_options.h) and check that the machine can hold them, before anything
// is written; write DIR/manifest for a new directory (or migrate DIR/tables.json); recover
// the state (snapshot + journal tail, the whole journal checked against the manifest), then
// open the journal writer where recovery ended, keeping the manifest. With durability none
// there is no directory: a fresh state and an in-memory sink.

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "engine/batch_sink.h"
#include "engine/booking_state.h"
#include "engine/replay.h"
#include "engine/sequencer_options.h"
#include "engine/snapshotter.h"
#include "journal/io/file_system.h"
#include "journal/verify.h"
#include "journal/writer.h"
#include "tools/cli/table_options.h"

namespace ordo::tools {

enum class durability : std::uint8_t { none, buffered, fdatasync };
std::optional<durability> durability_from_name(std::string_view name);
std::string_view durability_name(durability d);

struct engine_options {
    std::filesystem::path data_dir;  // required unless durability none
    durability mode = durability::fdatasync;
    engine::state_options state;  // table capacities unless flags or DIR/tables.json say
    table_flags tables;
    std::uint32_t batch_bytes = 1u << 20;
    std::uint32_t flush_delay_us = engine::sequencer_options{}.flush_delay_us;
    std::uint64_t segment_bytes = 256ull << 20;
    bool segment_bytes_given = false;  // --segment-mib: a directory keeps its segment size
    bool direct_io = true;
    bool force_pwrite = false;  // skip io_uring (for comparisons and the fallback test)
    // The writer's batch buffers (journal::writer_options::batch_buffers; 0: those in
    // flight). In-process readers read from them, so more give them slack.
    std::uint32_t batch_buffers = 0;
    // 0: no periodic snapshots. A snapshot writes the whole tables (330 MB for 5 M
    // reservations) and replay runs at ~20 M records/s, so 20 M commands keeps the tail a
    // restart replays near a second without writing snapshots faster than the journal.
    std::uint64_t snapshot_every_commands = 20'000'000;
    // Snapshots kept (the newest): time travel (--until-command/--until-time) starts from
    // the newest kept one at or before the point, so with every snapshot of a history kept
    // any point is reached by replaying at most snapshot_every_commands commands.
    std::uint32_t snapshot_keep = 3;
    int sequencer_cpu = -1;  // where the sequencer is pinned: the journal's threads stay off it
};

struct opened_engine {
    // First, so it goes last: the writer and snapshots stop before another may write.
    journal::io::file_lock lock;
    std::unique_ptr<engine::booking_state> state;
    std::unique_ptr<engine::batch_sink> sink;
    std::unique_ptr<engine::snapshotter> snapshots;  // with a journal only
    journal::writer* writer = nullptr;  // the sink's, with a journal
};

// Adds --data, --durability, --segment-mib and --no-direct-io to a subcommand;
// `durability_text` stays empty unless --durability is given. `default_mode` is the
// command's durability without --data (its help says so).
void add_engine_flags(CLI::App& sub, engine_options& options, std::string& durability_text,
                      durability default_mode);

// The durability a command runs with: --durability if given, else fdatasync with --data
// and `default_mode` without. A journal mode needs --data, and `none` refuses one (a
// directory that would silently stay empty): each is a one-line error with the fix.
std::expected<durability, std::string> resolve_durability(std::string_view durability_text,
                                                          const std::filesystem::path& data_dir,
                                                          durability default_mode);

// A progress line on stderr for each second of a long journal replay ("ordo COMMAND:
// replaying the journal: ..."), so a restart that takes seconds does not look like a hang.
engine::replay_progress replay_progress_line(std::string_view command);
// The same for checking the journal a snapshot covers (beside the replay of its tail).
journal::verify_progress verify_progress_line(std::string_view command);

// `command` names the subcommand in the notes printed to stderr (torn tail cut, io_uring
// fallback, snapshots skipped) and in the lock's holder: each is one line and none is an
// error. A refusal carries its exit status (a refused flag: 2; DIR in use, damaged or
// incomplete, a disk error: 1).
std::expected<opened_engine, refusal> open_engine(std::string_view command,
                                                  const engine_options& options);

// After the sequencer stopped cleanly: the journal records its exact end in DIR/manifest
// (state closed), so that any damage up to it is reported as damage later. Not called
// after a failure: the manifest then keeps the last durable end it recorded.
std::expected<void, std::string> close_engine(opened_engine& opened);

}  // namespace ordo::tools
