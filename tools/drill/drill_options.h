#pragma once
// What every `ordo drill` subcommand takes (tools/cli/drill_command.cpp parses it).

#include <cstdint>
#include <filesystem>
#include <functional>

namespace ordo::tools::drill {

struct drill_options {
    std::uint64_t seed = 1;
    std::uint64_t rounds = 0;  // 0: the drill's default
    // Seeds run at once by the drills on the simulated disk (sim, full, io-error): each seed
    // is independent and deterministic, so this changes only the wall time.
    std::uint32_t jobs = 1;
    // Where the drill works: its data directories and files go under it. The CLI makes a
    // temp directory when --data is not given, and keeps it only on failure.
    std::filesystem::path work_dir;
    // The ordo binary the process drills run (crash, torn, rot, misuse).
    std::filesystem::path ordo_binary;
    // Called about once a second with (rounds done, rounds): the CLI prints a line.
    std::function<void(std::uint64_t, std::uint64_t)> on_progress;
};

// Calls on_progress at most once a second. Thread: the drill's.
class progress_ticker {
  public:
    explicit progress_ticker(const drill_options& options);
    void tick(std::uint64_t done, std::uint64_t rounds);

  private:
    const drill_options& options_;
    std::uint64_t last_ns_;
};

}  // namespace ordo::tools::drill
