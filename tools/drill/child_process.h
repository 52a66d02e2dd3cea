#pragma once
// Running the ordo binary from a drill: to completion (exit status, stdout, stderr), or
// started in the background to be killed at a random instant. POSIX fork/exec; the output
// goes through files in a work directory, so a chatty child never blocks on a pipe.
// Thread: the drill's.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace ordo::tools::drill {

struct process_result {
    int exit_status = -1;  // -1: killed by a signal
    std::string out;
    std::string err;
    std::uint64_t elapsed_ns = 0;
};

// Runs `binary args...` and waits; its stdout and stderr land in `scratch` + ".out"/".err".
process_result run_process(const std::filesystem::path& binary,
                           const std::vector<std::string>& args,
                           const std::filesystem::path& scratch);

// Starts `binary args...` with stdout and stderr into `log`; returns its pid (or -1). At
// the lowest priority (nice 19): on a busy machine the drill then still wakes on time to
// kill it mid-run, instead of finding the whole workload done.
pid_t start_process(const std::filesystem::path& binary, const std::vector<std::string>& args,
                    const std::filesystem::path& log);
// Whether the child has exited (without reaping it).
bool has_exited(pid_t child);
// SIGKILL, then reaps it; returns true when the kill landed (it was still running).
bool kill_process(pid_t child);
// Waits for a child to exit; its exit status (-1 when killed by a signal).
int wait_process(pid_t child);

// Pacing a child, so that a drill can look at it between short slices of its run: stops it
// (SIGSTOP) and waits until every thread of it stopped; false when it exited instead (not
// reaped). While it is stopped, its files show what it did up to that instant, and a
// SIGKILL sent then ends it exactly there: a stopped process runs no more code, and the
// kernel finishes the I/O it had submitted, as it does for a kill at any instant.
bool pause_process(pid_t child);
// Lets a paused child run for `slice_us`, then pauses it again; false when it exited.
bool run_slice(pid_t child, std::uint64_t slice_us);

std::string read_text(const std::filesystem::path& path);
std::uint64_t size_or_zero(const std::filesystem::path& path);

}  // namespace ordo::tools::drill
