#pragma once
// Recovery: the newest snapshot that verifies, then every journal record after it, applied
// (never re-decided). A torn last batch is cut off and reported; damage before the tail
// stops recovery with the journal's error (segment file and byte offset).
//
// Thread: the caller's, before any sequencer starts.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/booking_state.h"
#include "engine/replay.h"
#include "journal/reader.h"
#include "journal/writer.h"

namespace ordo::engine {

// DIR/journal holds the segments, DIR/snapshots the snapshots.
std::filesystem::path journal_dir(const std::filesystem::path& data_dir);

// How the tables' memory is faulted in: beside the replay on another thread (what a
// restart wants: the two overlap), or all of it before the replay starts (what a benchmark
// of replay speed alone wants).
enum class table_population : std::uint8_t { concurrent, before_replay };

struct recovery_options {
    bool use_snapshots = true;
    table_population population = table_population::concurrent;
    replay_progress on_progress;  // optional: progress of a long journal replay
};

struct recovery_result {
    std::unique_ptr<booking_state> state;
    journal::journal_position position;      // where the writer continues
    std::optional<std::string> torn_tail;    // what was cut, when something was
    std::optional<std::filesystem::path> snapshot;  // the snapshot used, if any
    std::vector<std::string> notes;          // snapshots skipped and why
    std::uint64_t records_replayed = 0;
    std::uint64_t batches_replayed = 0;
    std::uint64_t replay_ns = 0;  // reading, verifying and applying the journal (no snapshot)
};

// "segment-...journal at byte N: what failed", for torn-tail notes.
std::string describe(const journal::tail_report& tail);

std::expected<recovery_result, std::string> recover(const std::filesystem::path& data_dir,
                                                    const state_options& options,
                                                    const recovery_options& how = {});

}  // namespace ordo::engine
