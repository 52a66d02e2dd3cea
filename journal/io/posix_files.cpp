#include "journal/io/posix_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal::io {
namespace {

// Zeros for pre-writing segments: in .bss, aligned for O_DIRECT, never written.
constexpr std::size_t zero_chunk_bytes = 1u << 20;
alignas(block_bytes) std::byte zero_chunk[zero_chunk_bytes];

std::expected<void, journal_error> write_zeros(int fd, const std::filesystem::path& path,
                                               std::uint64_t offset, std::uint64_t bytes,
                                               bool sync) {
    ORDO_ASSERT(fd >= 0);
    ORDO_ASSERT(offset % block_bytes == 0);
    std::uint64_t done = 0;
    while (done < bytes) {
        const std::size_t chunk = std::min<std::uint64_t>(zero_chunk_bytes, bytes - done);
        const ssize_t written = ::pwrite(fd, zero_chunk, chunk, static_cast<off_t>(offset + done));
        if (written < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(error_from_errno(errno, path, offset + done, "zero fill"));
        }
        if (written == 0) {
            return std::unexpected(journal_error{.code = journal_errc::short_write,
                                                 .path = path.string(),
                                                 .offset = offset + done,
                                                 .detail = "zero fill wrote nothing"});
        }
        done += static_cast<std::uint64_t>(written);
    }
    if (sync && ::fdatasync(fd) != 0) {
        return std::unexpected(error_from_errno(errno, path, offset, "fdatasync of zero fill"));
    }
    return {};
}

std::expected<int, journal_error> open_checked(const std::filesystem::path& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EINVAL && (flags & O_DIRECT) != 0) {
        fd = ::open(path.c_str(), (flags & ~O_DIRECT) | O_CLOEXEC, 0644);
    }
    if (fd < 0) return std::unexpected(error_from_errno(errno, path, 0, "open"));
    return fd;
}

}  // namespace

journal_error error_from_errno(int error, const std::filesystem::path& path,
                               std::uint64_t offset, std::string_view detail,
                               bool einval_is_unsupported) {
    // Our own calls never pass a bad descriptor or pointer: those are bugs.
    ORDO_ASSERT(error != EBADF);
    ORDO_ASSERT(error != EFAULT);
    if (!einval_is_unsupported) ORDO_ASSERT(error != EINVAL);
    journal_errc code = journal_errc::io_error;
    switch (error) {
        case ENOSPC:
        case EDQUOT: code = journal_errc::no_space; break;
        case EROFS:
        case EACCES:
        case EPERM: code = journal_errc::permission_denied; break;
        case ENOENT: code = journal_errc::not_found; break;
        case EINVAL:
        case EOPNOTSUPP: code = journal_errc::unsupported; break;
        default: code = journal_errc::io_error; break;
    }
    return journal_error{.code = code,
                         .system_errno = error,
                         .path = path.string(),
                         .offset = offset,
                         .detail = std::string(detail)};
}

std::expected<open_result, journal_error> posix_open_for_write(const std::filesystem::path& path,
                                                               bool direct) {
    const int flags = O_WRONLY | (direct ? O_DIRECT : 0);
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    bool direct_used = direct;
    if (fd < 0 && direct && errno == EINVAL) {
        // The file system does not do O_DIRECT (tmpfs, some overlays): buffered instead.
        fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        direct_used = false;
    }
    if (fd < 0) return std::unexpected(error_from_errno(errno, path, 0, "open segment"));
    ORDO_ASSERT(fd >= 0);
    return open_result{.file = fd, .direct = direct_used};
}

std::expected<open_result, journal_error> posix_backend_base::open_file(
    const std::filesystem::path& path, bool direct) {
    return posix_open_for_write(path, direct);
}

void posix_backend_base::close_file(file_id file) noexcept {
    ORDO_ASSERT(file >= 0);
    const int result = ::close(file);
    ORDO_ASSERT(result == 0 || errno == EINTR || errno == EIO);
}

std::expected<void, journal_error> posix_backend_base::create_zeroed(
    const std::filesystem::path& path, std::uint64_t bytes) {
    ORDO_ASSERT(bytes % block_bytes == 0);
    auto fd = open_checked(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT);
    if (!fd) return std::unexpected(fd.error());
    auto written = write_zeros(*fd, path, 0, bytes, true);
    ::close(*fd);
    return written;
}

std::expected<void, journal_error> posix_backend_base::zero_range(
    const std::filesystem::path& path, std::uint64_t offset, std::uint64_t bytes) {
    ORDO_ASSERT(offset % block_bytes == 0);
    ORDO_ASSERT(bytes % block_bytes == 0);
    auto fd = open_checked(path, O_WRONLY | O_DIRECT);
    if (!fd) return std::unexpected(fd.error());
    auto written = write_zeros(*fd, path, offset, bytes, true);
    ::close(*fd);
    return written;
}

std::expected<void, journal_error> posix_backend_base::append_zeros(
    const std::filesystem::path& path, std::uint64_t offset, std::uint64_t bytes, bool sync) {
    ORDO_ASSERT(offset % block_bytes == 0);
    ORDO_ASSERT(bytes % block_bytes == 0);
    ORDO_ASSERT(bytes > 0);
    const int create = offset == 0 ? O_CREAT | O_TRUNC : 0;
    auto fd = open_checked(path, O_WRONLY | O_DIRECT | create);
    if (!fd) return std::unexpected(fd.error());
    auto written = write_zeros(*fd, path, offset, bytes, sync);
    ::close(*fd);
    return written;
}

std::expected<void, journal_error> posix_backend_base::rename_file(
    const std::filesystem::path& from, const std::filesystem::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        return std::unexpected(error_from_errno(errno, from, 0, "rename to " + to.string()));
    }
    return {};
}

std::expected<void, journal_error> posix_backend_base::remove_file(
    const std::filesystem::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return std::unexpected(error_from_errno(errno, path, 0, "unlink"));
    }
    return {};
}

std::expected<void, journal_error> posix_backend_base::make_dir(
    const std::filesystem::path& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) return std::unexpected(error_from_errno(error.value(), path, 0, "mkdir"));
    return {};
}

std::expected<void, journal_error> posix_backend_base::sync_dir(
    const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(error_from_errno(errno, path, 0, "open directory"));
    const int result = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (result != 0) return std::unexpected(error_from_errno(error, path, 0, "fsync directory"));
    return {};
}

std::expected<std::vector<std::string>, journal_error> posix_backend_base::list_dir(
    const std::filesystem::path& path) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return std::unexpected(error_from_errno(errno, path, 0, "opendir"));
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

std::expected<std::uint64_t, journal_error> posix_backend_base::file_bytes(
    const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
        return std::unexpected(error_from_errno(errno, path, 0, "stat"));
    }
    ORDO_ASSERT(status.st_size >= 0);
    return static_cast<std::uint64_t>(status.st_size);
}

std::expected<std::uint64_t, journal_error> posix_backend_base::read_at(
    const std::filesystem::path& path, std::uint64_t offset, std::span<std::byte> out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(error_from_errno(errno, path, offset, "open"));
    std::uint64_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::pread(fd, out.data() + got, out.size() - got,
                                  static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            return std::unexpected(error_from_errno(error, path, offset + got, "read"));
        }
        if (n == 0) break;  // end of file
        got += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return got;
}

}  // namespace ordo::journal::io
