#include "tools/cli/results_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/assert.h"

namespace ordo::tools {
namespace {

std::string errno_text(int error) {
    return std::error_code(error, std::generic_category()).message();
}

}  // namespace

std::expected<results_file, std::string> results_file::open(const std::string& path) {
    ORDO_ASSERT(!path.empty());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(fmt::format("cannot write --results {}: {}", path,
                                           errno_text(errno)));
    }
    return results_file(fd, path);
}

results_file::results_file(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), buffer_(buffer_bytes) {
    ORDO_ASSERT(fd_ >= 0);
    // A pipe whose reader went away must be an EPIPE this class reports, not a SIGPIPE
    // that ends the process before the journal and the results are reconciled.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    owns_sigpipe_ = ::sigaction(SIGPIPE, &ignore, &previous_pipe_) == 0;
}

results_file::results_file(results_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      buffer_(std::move(other.buffer_)),
      used_(std::exchange(other.used_, 0)),
      lines_buffered_(std::exchange(other.lines_buffered_, 0)),
      lines_written_(other.lines_written_),
      error_(std::move(other.error_)),
      previous_pipe_(other.previous_pipe_),
      owns_sigpipe_(std::exchange(other.owns_sigpipe_, false)) {}

results_file::~results_file() {
    if (fd_ >= 0) ::close(fd_);
    if (owns_sigpipe_) ::sigaction(SIGPIPE, &previous_pipe_, nullptr);
}

bool results_file::flush() {
    ORDO_ASSERT(fd_ >= 0);
    ORDO_ASSERT(used_ <= buffer_.size());
    std::size_t done = 0;
    while (done < used_ && error_.empty()) {
        const ssize_t got = ::write(fd_, buffer_.data() + done, used_ - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            error_ = fmt::format("cannot write --results {}: {}", path_, errno_text(errno));
        } else if (got == 0) {
            error_ = fmt::format("cannot write --results {}: the write took no bytes", path_);
        } else {
            done += static_cast<std::size_t>(got);
        }
    }
    if (!error_.empty()) return false;
    lines_written_ += lines_buffered_;
    lines_buffered_ = 0;
    used_ = 0;
    return true;
}

bool results_file::write(std::uint32_t line, engine::outcome result) {
    if (!error_.empty()) return false;
    if (buffer_.size() - used_ < line_bytes_max && !flush()) return false;
    char* const at = buffer_.data() + used_;
    const std::size_t room = buffer_.size() - used_;
    constexpr std::string_view rejected =
        "{{\"line\":{},\"outcome\":\"rejected\",\"reason\":\"{}\"}}\n";
    constexpr std::string_view other = "{{\"line\":{},\"outcome\":\"{}\"}}\n";
    const auto written =
        engine::is_rejection(result)
            ? fmt::format_to_n(at, room, rejected, line, engine::outcome_name(result))
            : fmt::format_to_n(at, room, other, line, engine::outcome_status_name(result));
    ORDO_ASSERT(written.size <= line_bytes_max);
    ORDO_ASSERT(written.size <= room);
    used_ += written.size;
    lines_buffered_++;
    return true;
}

bool results_file::finish() {
    if (!error_.empty()) return false;
    if (!flush()) return false;
    // close() may report what a network file system could not write back.
    const int closed = ::close(std::exchange(fd_, -1));
    if (closed != 0 && errno != EINTR) {
        error_ = fmt::format("cannot write --results {}: {}", path_, errno_text(errno));
        return false;
    }
    return true;
}

}  // namespace ordo::tools
