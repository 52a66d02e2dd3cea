#pragma once
// `ordo query history` without building the history view: the stream is read straight
// from the history checkpoint's bytes (history::stream_as_of: history is append-only, so a
// stream as of a point is its entries up to the point), when the checkpoint is past the
// point (--until-*; any other point, and the durable end, are history_stream.h's). Cost:
// checking the checkpoint's checksum and one sequential pass over its entries (before the
// point), at memory speed, instead of decoding the whole view (its index rebuilt entry by
// entry: 28 s at 100 M commands) or applying every record before the point. The journal
// must continue the checkpoint (its next batch is read and chain-checked), as for a
// checkpoint loaded to apply more.
//
// Thread: the caller's.

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "projections/history.h"

namespace ordo::projections {

// The stream as of `stop`, or nullopt when the checkpoint cannot answer (none; not past the
// point; one that fails a check or that the journal does not continue: `notes` says why);
// the caller then brings a view up from the journal.
std::optional<std::vector<history_entry>> history_as_of_checkpoint(
    const std::filesystem::path& data_dir, const history_stream& stream, const stop_point& stop,
    std::vector<std::string>& notes);

}  // namespace ordo::projections
