#include "journal/io/posix_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <charconv>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal::io {
namespace {

// The most of a lock file's holder line that is read back to name the holder.
constexpr std::size_t holder_bytes_max = 256;
// Between two looks at a lock kept by an exited holder: its writes take about a device's
// write latency, so a millisecond adds little to a restart.
constexpr auto exited_holder_poll = std::chrono::milliseconds(1);

// The holder line as it recorded itself ("pid 123 (ordo run)"), "" when there is none yet.
std::string read_holder(int fd) {
    char text[holder_bytes_max];
    const ssize_t got = ::pread(fd, text, sizeof(text), 0);
    std::string named = got > 0 ? std::string(text, static_cast<std::size_t>(got)) : "";
    while (!named.empty() && (named.back() == '\n' || named.back() == '\0')) named.pop_back();
    return named;
}

std::optional<pid_t> pid_of(std::string_view holder) {
    constexpr std::string_view prefix = "pid ";
    if (!holder.starts_with(prefix)) return std::nullopt;
    holder.remove_prefix(prefix.size());
    pid_t pid = 0;
    const auto [end, error] = std::from_chars(holder.data(), holder.data() + holder.size(), pid);
    if (error != std::errc{} || pid <= 0) return std::nullopt;
    return pid;
}

// True only when the holder names a pid and no process runs under it any more (gone, or a
// zombie not yet reaped: it has no threads left to write). A holder without a pid, or one
// of another user (EPERM), is taken as running.
bool holder_exited(std::string_view holder) {
    const std::optional<pid_t> pid = pid_of(holder);
    if (!pid) return false;
    if (::kill(*pid, 0) != 0) return errno == ESRCH;
    std::ifstream stat("/proc/" + std::to_string(*pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const std::size_t close = line.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos || close + 2 >= line.size()) return false;
    const char state = line[close + 2];
    return state == 'Z' || state == 'X';
}

journal_error held_by(const std::filesystem::path& path, const std::string& named, bool exited) {
    std::string detail = "held by " + (named.empty() ? std::string("another process") : named);
    if (exited) {
        detail += ", which has exited, but its last writes have not completed after " +
                  std::to_string(exited_holder_wait_ms / 1000) + " s";
    }
    return journal_error{.code = journal_errc::locked, .path = path.string(), .detail = detail};
}

// Waits while the lock is kept by an exited holder (or by one that has not named itself
// yet, a moment after it took the lock): `try_take` succeeds, or the holder names a live
// process (nullopt: held), or the wait runs out (the error).
template <class TryTake>
std::expected<bool, journal_error> wait_while_exited(int fd, const std::filesystem::path& path,
                                                     TryTake try_take) {
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(exited_holder_wait_ms);
    for (;;) {
        if (try_take()) return true;
        const std::string named = read_holder(fd);
        const bool exited = holder_exited(named);
        if (!named.empty() && !exited) return false;
        if (std::chrono::steady_clock::now() >= until) {
            return std::unexpected(held_by(path, named, exited));
        }
        std::this_thread::sleep_for(exited_holder_poll);
    }
}

}  // namespace

// flock, not fcntl locks: an flock belongs to the open file, so two openings in one
// process exclude each other as two processes do (tests rely on it), and it goes with the
// open file, which the kernel closes however the process ends.
std::expected<file_lock, journal_error> posix_lock_file(const std::filesystem::path& path,
                                                        std::string_view holder) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return std::unexpected(error_from_errno(errno, path, 0, "open lock file"));
    int lock_errno = 0;
    const auto taken = wait_while_exited(fd, path, [&] {
        lock_errno = ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
        return lock_errno != EWOULDBLOCK;  // taken, or failed otherwise: reported below
    });
    if (taken && *taken && lock_errno != 0) {
        ::close(fd);
        return std::unexpected(error_from_errno(lock_errno, path, 0, "flock"));
    }
    if (!taken || !*taken) {
        const std::string named = read_holder(fd);
        ::close(fd);
        if (!taken) return std::unexpected(taken.error());
        return std::unexpected(held_by(path, named, false));
    }
    // Who holds it, for the message a second writer prints and for the exited-holder rule.
    // Not synced: it means nothing after a crash, when the lock is gone.
    const std::string line = std::string(holder) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) < 0) {
        const int error = errno;
        ::close(fd);
        return std::unexpected(error_from_errno(error, path, 0, "write lock holder"));
    }
    return file_lock([fd] { ::close(fd); }, fd);
}

std::expected<void, journal_error> posix_wait_for_exited_holder(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        // No writer ever ran here; or the lock file is not ours to read (another user's
        // umask): the reader cannot tell, and reads as it always could, without waiting.
        if (errno == ENOENT || errno == EACCES) return {};
        return std::unexpected(error_from_errno(errno, path, 0, "open lock file"));
    }
    // A live writer's name is taken at its word without touching the lock: a reader never
    // holds it while a writer could want it. Otherwise the lock is taken shared and let go
    // at once: a writer starting in that instant sees an exited holder and waits a moment.
    auto waited = wait_while_exited(fd, path, [&] {
        const std::string named = read_holder(fd);
        if (!named.empty() && !holder_exited(named)) return true;
        if (::flock(fd, LOCK_SH | LOCK_NB) != 0) return false;
        ::flock(fd, LOCK_UN);
        return true;
    });
    ::close(fd);
    if (!waited) return std::unexpected(waited.error());
    return {};
}

}  // namespace ordo::journal::io
