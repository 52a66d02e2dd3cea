#pragma once
// A workload file truncated or rewritten while `ordo run` reads it (the misuse drill's two
// workload scenarios). ordo reads the workload once, front to back, into a spool, checks
// all of it, and only then sequences the checked copy; so what it runs is exactly the bytes
// it read, and a change after that is never seen. The drill paces the child (its slices,
// child_process.h) and changes the file while the child is stopped, at a moment it
// observes: before the file is opened, while it is read (at the read position
// /proc/PID/fdinfo shows), or after it was read. From that moment it predicts the bytes
// ordo saw, and so the one allowed result: a clean refusal (exit 2, nothing written) when
// those bytes end inside a line, else a run whose results and journal hold exactly the
// commands of those bytes, each with the reference's outcome, and the state their replay
// gives. Never an acknowledged command lost, never a partial line applied.
// Thread: the drill's.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "engine/command.h"
#include "tools/drill/expected_state.h"
#include "tools/drill/seeded_random.h"

namespace ordo::tools::drill {

enum class workload_change : std::uint8_t {
    truncate,  // cut at a random byte (half of the time a line's start)
    rewrite,   // from a line's start on, replaced in place by other commands
};

struct workload_race {
    std::filesystem::path ordo_binary;
    std::filesystem::path dir;                   // scratch: the workload, a fresh data dir, results
    std::span<const engine::command> commands;   // the workload as written first
    const expected_history* expected = nullptr;  // of `commands`
    std::span<const engine::command> others;     // what a rewrite puts in
};

struct race_verdict {
    bool passed = false;
    bool refused = false;  // exit 2 with nothing written (else: ran what it read)
    std::string landing;   // when the change came: before the read, while read, after
    std::string why;       // what did not hold, when not passed
};

race_verdict run_workload_race(const workload_race& race, workload_change change,
                               seeded_random& random);

}  // namespace ordo::tools::drill
