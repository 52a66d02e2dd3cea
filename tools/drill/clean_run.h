#pragma once
// A data directory the process drills start from: `ordo run` over generated commands to a
// clean exit (manifest closed at the exact end), with the state every prefix must recover
// to. Thread: the drill's.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/drill/expected_state.h"

namespace ordo::tools::drill {

// `ordo run` arguments the process drills use: small segments and batches, the drill's
// tables.
std::vector<std::string> drill_run_args(const std::filesystem::path& data,
                                        const std::filesystem::path& workload,
                                        const std::filesystem::path& results,
                                        std::uint64_t snapshot_every);

struct clean_dir {
    std::filesystem::path data;
    std::vector<engine::command> commands;
    expected_history expected;
};

// Runs `count` commands of seed `seed` into `dir`/data (emptied first); an error names
// what failed.
std::expected<clean_dir, std::string> make_clean_dir(const std::filesystem::path& binary,
                                                     const std::filesystem::path& dir,
                                                     std::uint64_t seed, std::uint64_t count,
                                                     std::uint64_t snapshot_every);

}  // namespace ordo::tools::drill
