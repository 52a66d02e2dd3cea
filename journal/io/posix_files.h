#pragma once
// The real file system (file_system.h) with POSIX calls, and what the real batch backends
// (io_uring and pwrite) share: opening a segment for writing. Stateless; any thread.

#include <cstdint>
#include <expected>
#include <filesystem>

#include "journal/errc.h"
#include "journal/io/file_system.h"
#include "journal/io/io_backend.h"

namespace ordo::journal::io {

// Opens a segment for writing; with `direct`, O_DIRECT, falling back to buffered when the
// file system refuses it (EINVAL), which `open_result::direct` reports.
std::expected<open_result, journal_error> posix_open_for_write(const std::filesystem::path&,
                                                               bool direct);

// The segment files of the real backends are real files.
class posix_backend_base : public io_backend {
public:
    std::expected<open_result, journal_error> open_file(const std::filesystem::path&,
                                                        bool direct) override;
    void close_file(file_id file) noexcept override;
};

}  // namespace ordo::journal::io
