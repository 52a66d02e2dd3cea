#pragma once
// Brings a projection up to date from a data directory: its checkpoint (if it has one and
// it is usable; with a stop point, the newest point-in-time checkpoint not past the point
// when the current one is past it: point_checkpoints.h), then every durable batch after it
// (journal_source.h), up to the durable end (the writer's DIR/durable_end hint when it is
// further than the manifest, as for ordo follow) or to a stop point. A checkpoint that
// does not load, or that the journal does not continue (another history: the chain check
// of the next batch fails, or it stands at or past the durable end with another last
// batch: journal_source.h), is dropped and the projection rebuilt from the start of the
// journal, with a note saying so. Damage in the journal read is the error.
//
// Thread: the caller's; it owns the projection.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/progress.h"
#include "projections/projection.h"

namespace ordo::projections {

struct catch_up_result;
struct catch_up_options {
    bool use_checkpoint = true;
    const stop_point* stop = nullptr;  // time travel; nullptr: to the durable end
    // Called about once a second of reading the journal (the result so far).
    base::progress_hook<catch_up_result> on_progress{};
};

struct catch_up_result {
    std::uint64_t batches = 0;  // applied (not counting the checkpoint's)
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    bool from_checkpoint = false;
    // With a stop point: the commands of the point-in-time checkpoint (point_checkpoints.h)
    // it started from, when the current checkpoint was past the point.
    std::optional<std::uint64_t> point_checkpoint_commands;
    bool cut = false;  // the stop point fell inside the history: the view is past no batch
    std::vector<std::string> notes;
};

std::expected<catch_up_result, std::string> catch_up(const std::filesystem::path& data_dir,
                                                     projection& view,
                                                     const catch_up_options& how = {});

}  // namespace ordo::projections
