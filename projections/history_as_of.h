#pragma once
// `ordo query history --until-*` without replaying the history before the point: when the
// history view's checkpoint is past the point, the stream is read straight from the
// checkpoint's bytes (history::stream_as_of: history is append-only, so a stream as of a
// point is its entries up to the point). Cost: checking the checkpoint's checksum and one
// sequential pass over its entries before the point, at memory speed, instead of applying
// every record before the point into a view that indexes every id (the slowest view:
// bench/RESULTS.md). The journal must continue the checkpoint (its next batch is read and
// chain-checked), as for a checkpoint loaded to apply more.
//
// Thread: the caller's.

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "projections/history.h"

namespace ordo::projections {

// The stream as of `stop`, or nullopt when there is no usable checkpoint past the point (no
// checkpoint, one not past it, or one that fails a check: `notes` says why); the caller then
// brings a view up to the point from the journal.
std::optional<std::vector<history_entry>> history_as_of_checkpoint(
    const std::filesystem::path& data_dir, const history_stream& stream, const stop_point& stop,
    std::vector<std::string>& notes);

}  // namespace ordo::projections
