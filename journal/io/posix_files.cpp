#include "journal/io/posix_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/assert.h"
#include "journal/io/posix_lock.h"
#include "journal/limits.h"

namespace ordo::journal::io {
namespace {

// Zeros for pre-writing segments: in .bss, aligned for O_DIRECT, never written.
constexpr std::size_t zero_chunk_bytes = 1u << 20;
alignas(block_bytes) std::byte zero_chunk[zero_chunk_bytes];

// The most parts write_file takes (a snapshot is two: header and payload).
constexpr std::size_t write_parts_max = 8;

// Owns one descriptor. Failure paths close it here and ignore the result: the first error
// is the one reported. Success paths call close_checked() to see a late EIO.
class descriptor {
public:
    explicit descriptor(int fd) noexcept : fd_(fd) { ORDO_ASSERT(fd >= 0); }
    descriptor(const descriptor&) = delete;
    descriptor& operator=(const descriptor&) = delete;
    ~descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    // 0 or the errno of close. EINTR still closed the descriptor on Linux: not an error.
    int close_checked() noexcept {
        ORDO_ASSERT(fd_ >= 0);
        const int result = ::close(fd_);
        fd_ = -1;
        if (result == 0) return 0;
        return errno == EINTR ? 0 : errno;
    }

private:
    int fd_;
};

// Writes every byte at `offset`, continuing after partial writes and EINTR; `what` names
// the write in an error.
std::expected<void, journal_error> pwrite_all(int fd, const std::filesystem::path& path,
                                              std::uint64_t offset,
                                              std::span<const std::byte> bytes,
                                              std::string_view what) {
    ORDO_ASSERT(fd >= 0);
    for (std::uint64_t done = 0; done < bytes.size();) {
        const ssize_t result = ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                                        static_cast<off_t>(offset + done));
        if (result < 0 && errno == EINTR) continue;
        if (result < 0) return std::unexpected(error_from_errno(errno, path, offset + done, what));
        if (result == 0) {
            return std::unexpected(journal_error{.code = journal_errc::short_write,
                                                 .path = path.string(),
                                                 .offset = offset + done,
                                                 .detail = std::string(what) + " returned 0"});
        }
        done += static_cast<std::uint64_t>(result);
    }
    return {};
}

std::expected<void, journal_error> write_zeros(int fd, const std::filesystem::path& path,
                                               std::uint64_t offset, std::uint64_t bytes,
                                               bool sync) {
    ORDO_ASSERT(offset % block_bytes == 0);
    for (std::uint64_t done = 0; done < bytes;) {
        const std::size_t chunk = std::min<std::uint64_t>(zero_chunk_bytes, bytes - done);
        if (auto written = pwrite_all(fd, path, offset + done, std::span(zero_chunk, chunk),
                                      "zero fill");
            !written) {
            return written;
        }
        done += chunk;
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

// Writes every part whole, continuing after partial writes and EINTR.
std::expected<void, journal_error> write_all(int fd, const std::filesystem::path& path,
                                             std::span<const std::span<const std::byte>> parts) {
    ORDO_ASSERT(fd >= 0);
    ORDO_ASSERT(parts.size() <= write_parts_max);
    iovec vectors[write_parts_max];
    std::uint64_t total_bytes = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        vectors[i] = iovec{const_cast<std::byte*>(parts[i].data()), parts[i].size()};
        total_bytes += parts[i].size();
    }
    std::uint64_t written_bytes = 0;
    std::size_t first = 0;
    while (written_bytes < total_bytes) {
        while (vectors[first].iov_len == 0) ++first;
        ORDO_ASSERT(first < parts.size());
        const int count = static_cast<int>(std::min<std::size_t>(parts.size() - first, IOV_MAX));
        const ssize_t result = ::writev(fd, vectors + first, count);
        if (result < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(error_from_errno(errno, path, written_bytes, "write"));
        }
        if (result == 0) {
            return std::unexpected(journal_error{.code = journal_errc::short_write,
                                                 .path = path.string(),
                                                 .offset = written_bytes,
                                                 .detail = "write returned 0"});
        }
        written_bytes += static_cast<std::uint64_t>(result);
        for (auto left = static_cast<std::size_t>(result); left > 0;) {
            const std::size_t taken = std::min(left, vectors[first].iov_len);
            vectors[first].iov_base = static_cast<std::byte*>(vectors[first].iov_base) + taken;
            vectors[first].iov_len -= taken;
            left -= taken;
            if (vectors[first].iov_len == 0 && first + 1 < parts.size()) ++first;
        }
    }
    ORDO_ASSERT(written_bytes == total_bytes);
    return {};
}

// Writes `bytes` at `offset`, opening the file with `flags` (O_DIRECT falls back to buffered
// where the file system refuses it, open_checked).
std::expected<void, journal_error> write_at_with(const std::filesystem::path& path,
                                                 std::uint64_t offset,
                                                 std::span<const std::byte> bytes, int flags) {
    auto fd = open_checked(path, flags);
    if (!fd) return std::unexpected(fd.error());
    descriptor owned(*fd);
    if (auto written = pwrite_all(owned.get(), path, offset, bytes, "write"); !written) {
        return written;
    }
    if (const int error = owned.close_checked(); error != 0) {
        return std::unexpected(error_from_errno(error, path, offset, "close"));
    }
    return {};
}

class posix_file_system final : public file_system {
public:
    std::expected<void, journal_error> create_zeroed(const std::filesystem::path& path,
                                                     std::uint64_t bytes) override {
        ORDO_ASSERT(bytes % block_bytes == 0);
        auto fd = open_checked(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT);
        if (!fd) return std::unexpected(fd.error());
        descriptor owned(*fd);
        return write_zeros(owned.get(), path, 0, bytes, true);
    }

    std::expected<void, journal_error> zero_range(const std::filesystem::path& path,
                                                  std::uint64_t offset,
                                                  std::uint64_t bytes) override {
        ORDO_ASSERT(offset % block_bytes == 0);
        ORDO_ASSERT(bytes % block_bytes == 0);
        auto fd = open_checked(path, O_WRONLY | O_DIRECT);
        if (!fd) return std::unexpected(fd.error());
        descriptor owned(*fd);
        return write_zeros(owned.get(), path, offset, bytes, true);
    }

    std::expected<void, journal_error> append_zeros(const std::filesystem::path& path,
                                                    std::uint64_t offset, std::uint64_t bytes,
                                                    bool sync) override {
        ORDO_ASSERT(offset % block_bytes == 0);
        ORDO_ASSERT(bytes % block_bytes == 0);
        ORDO_ASSERT(bytes > 0);
        const int create = offset == 0 ? O_CREAT | O_TRUNC : 0;
        auto fd = open_checked(path, O_WRONLY | O_DIRECT | create);
        if (!fd) return std::unexpected(fd.error());
        descriptor owned(*fd);
        return write_zeros(owned.get(), path, offset, bytes, sync);
    }

    std::expected<void, journal_error> write_file(
        const std::filesystem::path& path,
        std::span<const std::span<const std::byte>> parts) override {
        auto fd = open_checked(path, O_WRONLY | O_CREAT | O_TRUNC);
        if (!fd) return std::unexpected(fd.error());
        descriptor owned(*fd);
        if (auto written = write_all(owned.get(), path, parts); !written) return written;
        // fdatasync also covers the file size: the file is new, its length is its data.
        if (::fdatasync(owned.get()) != 0) {
            return std::unexpected(error_from_errno(errno, path, 0, "fdatasync"));
        }
        if (const int error = owned.close_checked(); error != 0) {
            return std::unexpected(error_from_errno(error, path, 0, "close"));
        }
        return {};
    }

    std::expected<void, journal_error> write_at(const std::filesystem::path& path,
                                                std::uint64_t offset,
                                                std::span<const std::byte> bytes) override {
        return write_at_with(path, offset, bytes, O_WRONLY | O_CREAT);
    }

    std::expected<void, journal_error> write_blocks_at(const std::filesystem::path& path,
                                                       std::uint64_t offset,
                                                       std::span<const std::byte> bytes) override {
        ORDO_ASSERT(whole_blocks(offset, bytes));
        return write_at_with(path, offset, bytes, O_WRONLY | O_CREAT | O_DIRECT);
    }

    std::expected<void, journal_error> resize_file(const std::filesystem::path& path,
                                                   std::uint64_t bytes) override {
        auto fd = open_checked(path, O_WRONLY);
        if (!fd) return std::unexpected(fd.error());
        descriptor owned(*fd);
        if (::ftruncate(owned.get(), static_cast<off_t>(bytes)) != 0) {
            return std::unexpected(error_from_errno(errno, path, bytes, "ftruncate"));
        }
        if (::fdatasync(owned.get()) != 0) {
            return std::unexpected(error_from_errno(errno, path, bytes, "fdatasync"));
        }
        return {};
    }

    std::expected<void, journal_error> sync_file(const std::filesystem::path& path) override {
        auto fd = open_checked(path, O_RDONLY);
        if (!fd) return std::unexpected(fd.error());
        descriptor owned(*fd);
        if (::fdatasync(owned.get()) != 0) {
            return std::unexpected(error_from_errno(errno, path, 0, "fdatasync"));
        }
        return {};
    }

    std::expected<void, journal_error> rename_file(const std::filesystem::path& from,
                                                   const std::filesystem::path& to) override {
        if (::rename(from.c_str(), to.c_str()) != 0) {
            return std::unexpected(error_from_errno(errno, from, 0, "rename to " + to.string()));
        }
        return {};
    }

    std::expected<void, journal_error> remove_file(const std::filesystem::path& path) override {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return std::unexpected(error_from_errno(errno, path, 0, "unlink"));
        }
        return {};
    }

    std::expected<bool, journal_error> make_dir(const std::filesystem::path& path) override {
        if (::mkdir(path.c_str(), 0755) == 0) return true;
        if (errno == EEXIST) {
            struct stat status {};
            if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) return false;
            return std::unexpected(journal_error{.code = journal_errc::invalid_argument,
                                                 .system_errno = ENOTDIR,
                                                 .path = path.string(),
                                                 .detail = "exists and is not a directory"});
        }
        return std::unexpected(error_from_errno(errno, path, 0, "mkdir"));
    }

    std::expected<void, journal_error> sync_dir(const std::filesystem::path& path) override {
        const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return std::unexpected(error_from_errno(errno, path, 0, "open directory"));
        descriptor owned(fd);
        if (::fsync(owned.get()) != 0) {
            // EINVAL: a file system that cannot sync a directory, not a bug of ours.
            return std::unexpected(error_from_errno(errno, path, 0, "fsync directory", true));
        }
        return {};
    }

    std::expected<std::vector<std::string>, journal_error> list_dir(
        const std::filesystem::path& path) override {
        DIR* dir = ::opendir(path.c_str());
        if (dir == nullptr) return std::unexpected(error_from_errno(errno, path, 0, "opendir"));
        std::vector<std::string> names;
        while (const dirent* entry = ::readdir(dir)) {
            const std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            names.emplace_back(name);
        }
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        return names;
    }

    std::expected<std::uint64_t, journal_error> file_bytes(
        const std::filesystem::path& path) override {
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            return std::unexpected(error_from_errno(errno, path, 0, "stat"));
        }
        ORDO_ASSERT(status.st_size >= 0);
        return static_cast<std::uint64_t>(status.st_size);
    }

    std::expected<std::uint64_t, journal_error> read_at(const std::filesystem::path& path,
                                                        std::uint64_t offset,
                                                        std::span<std::byte> out) override {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return std::unexpected(error_from_errno(errno, path, offset, "open"));
        descriptor owned(fd);
        std::uint64_t got = 0;
        while (got < out.size()) {
            const ssize_t n = ::pread(owned.get(), out.data() + got, out.size() - got,
                                      static_cast<off_t>(offset + got));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return std::unexpected(error_from_errno(errno, path, offset + got, "read"));
            if (n == 0) break;  // end of file
            got += static_cast<std::uint64_t>(n);
        }
        return got;
    }

    std::expected<file_lock, journal_error> lock_file(const std::filesystem::path& path,
                                                      std::string_view holder) override {
        return posix_lock_file(path, holder);
    }
    std::expected<void, journal_error> wait_for_exited_holder(
        const std::filesystem::path& path) override {
        return posix_wait_for_exited_holder(path);
    }
};

}  // namespace

journal_error error_from_errno(int error, const std::filesystem::path& path,
                               std::uint64_t offset, std::string_view detail,
                               bool einval_is_unsupported) {
    // Our own calls never pass a bad descriptor or pointer: those are bugs.
    ORDO_ASSERT(error != 0);
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
        case ENOENT:
        case ENOTDIR: code = journal_errc::not_found; break;
        case ENAMETOOLONG:
        case ELOOP:
        case EISDIR: code = journal_errc::invalid_argument; break;
        case EINVAL:
        case EOPNOTSUPP: code = journal_errc::unsupported; break;
        default: code = journal_errc::io_error; break;  // EIO, EMFILE, ENOMEM, ...
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

file_system& real_file_system() {
    static posix_file_system files;
    return files;
}

}  // namespace ordo::journal::io
