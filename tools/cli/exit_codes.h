#pragma once
// Exit statuses of every ordo subcommand, documented in README.md.

namespace ordo::tools {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the engine or the disk failed; journal damaged
inline constexpr int exit_usage = 2;    // bad flags or a bad workload file: nothing was done

}  // namespace ordo::tools
