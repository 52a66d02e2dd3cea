#pragma once
// The data directory's lock on the real file system (file_system::lock_file and
// wait_for_exited_holder): an flock on DIR/ordo.lock that names its holder.
//
// Why a holder that has exited can still hold it: a writer ties the lock to its io_uring
// ring (io_backend::hold_open_until_idle), and the kernel lets the ring go, and the lock
// with it, only once every write the ring had in flight has completed, which can be after
// the process is reaped (kill -9 does not wait for them). Until then the journal may still
// change, so a writer does not start and a reader does not read: both wait, boundedly.

#include <expected>
#include <filesystem>
#include <string_view>

#include "journal/errc.h"
#include "journal/io/file_system.h"

namespace ordo::journal::io {

std::expected<file_lock, journal_error> posix_lock_file(const std::filesystem::path& path,
                                                        std::string_view holder);

std::expected<void, journal_error> posix_wait_for_exited_holder(const std::filesystem::path& path);

}  // namespace ordo::journal::io
