#pragma once
// A follower's checkpoints written while it goes on applying (`ordo follow`): a child
// process (fork) saves every view's checkpoint (or, for the follower's point-in-time
// checkpoints, the views that crossed a point) from the views as they were at the fork
// (copy-on-write: the changes the follower makes afterwards are not the child's), so the
// follower's loop pauses for the fork, not for encoding and writing the views (a history of
// 100 M commands holds 2.4 GB: seconds, during which its lag would grow by seconds).
//
// The child runs at SCHED_IDLE, on CPU time the follower and the writer leave. It ignores
// SIGINT and SIGTERM (Ctrl-C stops the follower, which waits for the child
// and then checkpoints its final place) and dies with its parent (PR_SET_PDEATHSIG): a
// killed follower leaves at most a checkpoint's temp file, never a process that writes on.
// Each checkpoint is written atomically and durably (checkpoint.h), so one written by a
// child is as good as one written in the foreground, only older.
//
// Thread: the follower's. Fork only between polls: a poll's helper thread has been joined
// by then, so the child copies a process of one thread. Lifecycle: start(), then done()
// now and then until it reports the end; the destructor waits for a child still running.

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

namespace ordo::projections {

class follower;

class background_checkpoint {
  public:
    background_checkpoint() = default;
    ~background_checkpoint();
    background_checkpoint(const background_checkpoint&) = delete;
    background_checkpoint& operator=(const background_checkpoint&) = delete;

    // Starts the child, which saves every view's checkpoint (follower::checkpoint); an error
    // when the process or its pipe cannot be made (nothing runs then: the caller
    // checkpoints in the foreground). Not while one runs.
    std::expected<void, std::string> start(const follower& f);
    // The same with the child's work named: `save` runs in the child, on the memory as it
    // was at the fork (so it may read what the caller changes afterwards), and its error is
    // what done() reports.
    using save_work = std::function<std::expected<void, std::string>()>;
    std::expected<void, std::string> start(const save_work& save);
    bool running() const noexcept { return child_ > 0; }
    // nullopt while the child runs (or, with `wait`, once it ended): what it reported, an
    // error when a checkpoint was not saved. Only after start().
    std::optional<std::expected<void, std::string>> done(bool wait);
    // How long the last child took, from start() to its end being seen (ns).
    std::uint64_t last_took_ns() const noexcept { return last_took_ns_; }

  private:
    pid_t child_ = -1;
    int report_fd_ = -1;  // the read end of the child's error pipe
    std::uint64_t started_ns_ = 0;
    std::uint64_t last_took_ns_ = 0;
};

}  // namespace ordo::projections
