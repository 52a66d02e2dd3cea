#pragma once
// Recovery: the newest snapshot that verifies and that the journal vouches for, then every
// journal record after it, applied (never re-decided). The whole journal is checked, the
// part a snapshot covers too (on another thread, beside the tail's replay): damage anywhere
// stops recovery with the journal's error (segment file and byte offset), whether or not a
// snapshot covers it. What DIR/manifest records (journal/manifest.h) is held against the
// journal: a batch before its durable end that fails is damage, not a torn tail, and so is a
// missing segment or a journal shorter than it. A snapshot is used only if the journal holds
// the batch it ends at, with the same header checksum; otherwise an older one, or none (a
// full replay), with a note saying why. A torn last batch after the durable end is cut off
// and reported.
//
// Thread: the caller's, before any sequencer starts (plus threads it starts and joins).

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/booking_state.h"
#include "engine/replay.h"
#include "journal/manifest.h"
#include "journal/reader.h"
#include "journal/verify.h"
#include "journal/writer.h"

namespace ordo::engine {

// DIR/journal, where the segments are (journal::data_dir_layout names every path in DIR).
std::filesystem::path journal_dir(const std::filesystem::path& data_dir);

// The engine's words in the manifest (journal::manifest::parameters): its table capacities,
// [0] conferences_max, [1] reservations_max, the rest zero. A directory keeps them for life.
std::array<std::uint64_t, journal::manifest_parameters_count> manifest_parameters(
    const state_options& tables);
// The capacities a manifest records, or why its words are not capacities this ordo takes.
std::expected<state_options, std::string> tables_of(const journal::manifest& recorded);
// The manifest a new data directory starts with (open, nothing durable yet): every writer of
// a new directory writes it before recovering the directory, so that recovery reads it and
// the writer keeps it (continuing_writer) from the first batch on.
journal::manifest new_manifest(const state_options& tables, std::uint64_t segment_bytes);

// How the tables' memory is faulted in: beside the replay on another thread (what a
// restart wants: the two overlap), or all of it before the replay starts (what a benchmark
// of replay speed alone wants).
enum class table_population : std::uint8_t { concurrent, before_replay };

struct recovery_options {
    bool use_snapshots = true;
    table_population population = table_population::concurrent;
    replay_progress on_progress;  // optional: progress of a long journal replay
    // Optional: progress of checking the journal a snapshot covers (another thread).
    journal::verify_progress on_verify;
    // Time travel: the state at this point of the history instead of its end. The newest
    // snapshot not past the point is used, then the journal is replayed up to the point
    // (the journal after it is not read). `position` is then meaningless: no writer may
    // continue from such a state.
    std::optional<replay_stop> until;
};

struct recovery_result {
    std::unique_ptr<booking_state> state;
    journal::journal_position position;      // where the writer continues
    std::optional<std::string> torn_tail;    // what was cut, when something was
    std::optional<std::filesystem::path> snapshot;  // the snapshot used, if any
    std::vector<std::string> notes;          // snapshots skipped and why
    std::optional<journal::manifest> manifest;  // DIR/manifest as read, if there is one
    std::uint64_t records_replayed = 0;
    std::uint64_t batches_replayed = 0;
    std::uint64_t batches_verified = 0;  // checked before the snapshot (not replayed)
    std::uint64_t replay_ns = 0;  // reading, verifying and applying the journal (no snapshot)
};

// "segment-...journal at byte N: what failed", for torn-tail notes.
std::string describe(const journal::tail_report& tail);

std::expected<recovery_result, std::string> recover(const std::filesystem::path& data_dir,
                                                    const state_options& options,
                                                    const recovery_options& how = {});

// The options of the writer that continues a recovered history of `data_dir` under its
// lock: `options` (sync, sizes, backend) with the journal directory and the manifest that
// recovery read, which the writer keeps (at most `manifest_interval_ms` behind the durable
// end). Open it at `recovered.position`. The recovery must have read a manifest (a
// directory without one gets new_manifest first) and must not be a time travel.
journal::writer_options continuing_writer(
    journal::writer_options options, const std::filesystem::path& data_dir,
    const recovery_result& recovered, const journal::io::file_lock& lock,
    std::uint32_t manifest_interval_ms = journal::manifest_keeper::interval_ms_default);

}  // namespace ordo::engine
