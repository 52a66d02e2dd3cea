#pragma once
// Failures of the world (disk, file system, damaged bytes) as values. Bugs (EBADF, EFAULT,
// EINVAL from a call we built) are not here: they assert.

#include <cstdint>
#include <string>
#include <string_view>

namespace ordo::journal {

enum class journal_errc : std::uint8_t {
    io_error = 1,         // EIO and other device failures
    no_space,             // ENOSPC, EDQUOT
    short_write,          // the kernel accepted fewer bytes than asked
    permission_denied,    // EACCES, EPERM, EROFS
    not_found,            // a directory or file that must exist does not
    damaged,              // a checksum, the chain or a sequence does not hold before the tail
    unsupported,          // e.g. O_DIRECT refused by the file system, io_uring unavailable
    format_version,       // written by a newer format we cannot read
    invalid_argument,     // an option outside its limits (checked at the boundary)
    locked,               // another process holds the data directory's lock (a writer)
};

std::string_view journal_errc_name(journal_errc code) noexcept;

// One error: what failed, where, and the errno when there was one. `message()` is the
// single line the CLI prints, naming the file and the error.
struct journal_error {
    journal_errc code = journal_errc::io_error;
    int system_errno = 0;
    std::string path;      // file or directory involved
    std::uint64_t offset = 0;  // byte offset in `path` where it applies (damage, writes)
    std::string detail;    // e.g. "body checksum mismatch in batch 17"

    std::string message() const;
};

}  // namespace ordo::journal
