#pragma once
// Point-in-time checkpoints: beside a projection's current checkpoint (checkpoint.h),
// copies of its state taken as the history crossed every `every_commands` commands, kept
// as the engine keeps snapshots (the newest `keep`), so that a query as of an old point
// (--until-command/--until-time) starts from the newest one at or before the point and
// applies at most about `every_commands` commands, instead of the whole history before it.
//
// File: DIR/projections/<name>.at-<commands, 20 digits>.checkpoint, the checkpoint format
// (checkpoint.h) of the view right after the batch that crossed the multiple (a batch
// boundary: <commands> is the view's commands there, at or a batch past the multiple).
// Written atomically and durably (replace_file), so readers take no lock; a damaged one is
// skipped by its reader with a note. Disk cost: keep x one checkpoint of each view that
// stays bounded by the market. The history view, which grows with the history, has none: a
// stream as of any point is read from its current checkpoint (history_as_of.h).
//
// Thread: any; the caller owns the projection. Files of different views never collide, so
// two threads may save two views at once.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "projections/projection.h"

namespace ordo::projections {

inline constexpr std::uint64_t point_checkpoint_every_default = 10'000'000;
inline constexpr std::uint32_t point_checkpoint_keep_default = 3;
inline constexpr std::uint32_t point_checkpoint_keep_min = 1;
inline constexpr std::uint32_t point_checkpoint_keep_max = 1024;

struct point_checkpoint_policy {
    std::uint64_t every_commands = 0;  // 0: none
    std::uint32_t keep = point_checkpoint_keep_default;
};

std::filesystem::path point_checkpoint_path(const std::filesystem::path& data_dir,
                                            std::string_view view_name, std::uint64_t commands);

// A view's point-in-time checkpoints, newest (most commands) first.
struct point_checkpoint_file {
    std::uint64_t commands = 0;
    std::filesystem::path path;
};
std::expected<std::vector<point_checkpoint_file>, std::string> list_point_checkpoints(
    const std::filesystem::path& data_dir, std::string_view view_name);

// Whether the batch that took `view` from `commands_before` commands to its commands now
// crossed a multiple of policy.every_commands, for a view that keeps point-in-time
// checkpoints (after_batch saves one then).
bool crosses_point(const projection& view, std::uint64_t commands_before,
                   const point_checkpoint_policy& policy);

// After `view` applied a batch that took it from `commands_before` commands to its
// commands now: when that crossed a multiple of policy.every_commands, saves a point-in-time
// checkpoint and prunes the view's to the newest policy.keep. Nothing otherwise.
std::expected<void, std::string> after_batch(const std::filesystem::path& data_dir,
                                             const projection& view,
                                             std::uint64_t commands_before,
                                             const point_checkpoint_policy& policy);

// Loads into `view` the newest point-in-time checkpoint not past `stop`; one that does not
// load is skipped with a note for an older one. The newest one not past the point is passed
// over (with a note, view empty) when its file is larger than half the journal before it:
// decoding costs about what applying did, so a replay from the start is faster (history).
// Returns its commands, or nullopt (view empty) when none fits.
std::optional<std::uint64_t> load_point_checkpoint(const std::filesystem::path& data_dir,
                                                   projection& view, const stop_point& stop,
                                                   std::vector<std::string>& notes);

}  // namespace ordo::projections
