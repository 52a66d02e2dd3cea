#include "projections/background_checkpoint.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "base/assert.h"
#include "base/clock.h"
#include "projections/follower.h"

namespace ordo::projections {
namespace {

// The longest error text a child reports (the rest is cut): one line of the CLI's.
constexpr std::size_t report_bytes_max = 1024;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The child: never returns (no destructor or atexit handler of the parent's runs twice, no
// stdio buffer is flushed twice).
[[noreturn]] void write_and_exit(const background_checkpoint::save_work& save, pid_t parent,
                                 int report_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(2);  // the parent died before the line above
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    // Only the CPU time nobody else wants: the follower and the writer it follows come
    // first (on 2 CPUs a child at normal priority doubled the follower's lag p99). A hint:
    // at normal priority it only writes sooner.
    const sched_param idle{};
    (void)::sched_setscheduler(0, SCHED_IDLE, &idle);
    const auto saved = save();
    if (saved) ::_exit(0);
    const std::string& text = saved.error();
    const std::size_t bytes = std::min(text.size(), report_bytes_max);
    (void)!::write(report_fd, text.data(), bytes);  // one write under PIPE_BUF: whole or none
    ::_exit(1);
}

}  // namespace

background_checkpoint::~background_checkpoint() {
    if (running()) (void)done(true);
}

std::expected<void, std::string> background_checkpoint::start(const follower& f) {
    return start([&f] { return f.checkpoint(); });
}

std::expected<void, std::string> background_checkpoint::start(const save_work& save) {
    ORDO_ASSERT(!running());
    ORDO_ASSERT(save != nullptr);
    static_assert(report_bytes_max <= PIPE_BUF);
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(errno_text("pipe"));
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
        const std::string error = errno_text("fork");
        ::close(fds[0]);
        ::close(fds[1]);
        return std::unexpected(error);
    }
    if (child == 0) {
        ::close(fds[0]);
        write_and_exit(save, parent, fds[1]);
    }
    ::close(fds[1]);
    child_ = child;
    report_fd_ = fds[0];
    started_ns_ = base::monotonic_ns();
    return {};
}

std::optional<std::expected<void, std::string>> background_checkpoint::done(bool wait) {
    ORDO_ASSERT(running());
    int status = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(child_, &status, wait ? 0 : WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == 0) return std::nullopt;  // still writing
    std::expected<void, std::string> result;
    if (reaped < 0) {
        result = std::unexpected(errno_text("waitpid"));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char text[report_bytes_max];
        const ssize_t got = ::read(report_fd_, text, sizeof(text));
        if (got > 0) {
            result = std::unexpected(std::string(text, static_cast<std::size_t>(got)));
        } else if (WIFSIGNALED(status)) {
            result = std::unexpected("the checkpoint writer (pid " + std::to_string(child_) +
                                     ") was killed by signal " +
                                     std::to_string(WTERMSIG(status)));
        } else {
            result = std::unexpected("the checkpoint writer (pid " + std::to_string(child_) +
                                     ") failed");
        }
    }
    ::close(report_fd_);
    report_fd_ = -1;
    child_ = -1;
    last_took_ns_ = base::monotonic_ns() - started_ns_;
    return result;
}

}  // namespace ordo::projections
