#pragma once
// POSIX file-system calls shared by the real backends (io_uring and pwrite), with the
// errno mapping of STYLE.md: EIO/ENOSPC/EDQUOT/EROFS/EACCES become journal_error values,
// EBADF/EFAULT (and EINVAL unless `einval_is_unsupported`) are our bugs and assert.
// Stateless; safe from any thread.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "journal/errc.h"
#include "journal/io/io_backend.h"

namespace ordo::journal::io {

journal_error error_from_errno(int error, const std::filesystem::path& path,
                               std::uint64_t offset, std::string_view detail,
                               bool einval_is_unsupported = false);

// Opens a segment for writing; with `direct`, O_DIRECT, falling back to buffered when the
// file system refuses it (EINVAL), which `open_result::direct` reports.
std::expected<open_result, journal_error> posix_open_for_write(const std::filesystem::path&,
                                                               bool direct);

// Implements the synchronous file-system half of io_backend with real files.
class posix_backend_base : public io_backend {
public:
    std::expected<open_result, journal_error> open_file(const std::filesystem::path&,
                                                        bool direct) override;
    void close_file(file_id file) noexcept override;
    std::expected<void, journal_error> create_zeroed(const std::filesystem::path&,
                                                     std::uint64_t bytes) override;
    std::expected<void, journal_error> zero_range(const std::filesystem::path&,
                                                  std::uint64_t offset,
                                                  std::uint64_t bytes) override;
    std::expected<void, journal_error> append_zeros(const std::filesystem::path&,
                                                    std::uint64_t offset, std::uint64_t bytes,
                                                    bool sync) override;
    std::expected<void, journal_error> rename_file(const std::filesystem::path& from,
                                                   const std::filesystem::path& to) override;
    std::expected<void, journal_error> remove_file(const std::filesystem::path&) override;
    std::expected<void, journal_error> make_dir(const std::filesystem::path&) override;
    std::expected<void, journal_error> sync_dir(const std::filesystem::path&) override;
    std::expected<std::vector<std::string>, journal_error> list_dir(
        const std::filesystem::path&) override;
    std::expected<std::uint64_t, journal_error> file_bytes(
        const std::filesystem::path&) override;
    std::expected<std::uint64_t, journal_error> read_at(const std::filesystem::path&,
                                                        std::uint64_t offset,
                                                        std::span<std::byte> out) override;
};

}  // namespace ordo::journal::io
