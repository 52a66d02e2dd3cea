#pragma once
// The I/O seam of the journal writer (STYLE.md: io_uring behind one seam). Three backends
// implement it: io_uring (uring_backend.h), plain pwrite + fdatasync chosen at run time
// when io_uring is unavailable (pwrite_backend.h), and an in-memory simulator with fault
// injection for tests (simulated_backend.h).
//
// Threads: every call belongs to the writer's thread (the sequencer). The synchronous
// file-system calls (creating, zeroing, renaming, syncing names) are not here: they go
// through the durable file layer (file_system.h), which the other threads use too.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "journal/errc.h"

namespace ordo::journal {

enum class io_backend_kind : std::uint8_t { automatic, uring, pwrite, simulated };

std::string_view io_backend_name(io_backend_kind kind) noexcept;

namespace io {

class simulated_disk;

using file_id = std::int32_t;

struct open_result {
    file_id file = -1;
    bool direct = false;  // O_DIRECT really in use (the file system may refuse it)
};

// One batch write; with `sync`, durable when it completes (data and what is needed to read
// it: an fdatasync of the range, or the write issued with RWF_DSYNC, which is the same).
struct write_request {
    file_id file = -1;
    std::uint32_t buffer_index = 0;  // which attached buffer `bytes` lies in
    std::span<const std::byte> bytes;
    std::uint64_t offset = 0;
    bool sync = false;
    std::uint64_t tag = 0;  // returned in the completion (the writer uses the batch number)
};

// What failed: the write, its separate fdatasync, or a write with RWF_DSYNC (its data or
// its sync: the kernel does not say which).
enum class io_operation : std::uint8_t { write, sync, write_dsync };

struct io_completion {
    std::uint64_t tag = 0;
    int error = 0;                       // errno of the first failing operation, 0 when ok
    io_operation failed = io_operation::write;
    bool short_write = false;            // the write moved fewer bytes than asked
};

class io_backend {
public:
    virtual ~io_backend() = default;
    virtual io_backend_kind kind() const noexcept = 0;

    // Writer thread. Buffers stay attached (registered) for the backend's lifetime.
    virtual std::expected<void, journal_error> attach_buffers(
        std::span<const std::span<std::byte>> buffers) = 0;
    virtual std::expected<open_result, journal_error> open_file(const std::filesystem::path&,
                                                                bool direct) = 0;
    virtual void close_file(file_id file) noexcept = 0;
    // An error means the request was not submitted; failures of the I/O itself arrive as
    // completions. One completion per request, in any order.
    virtual std::expected<void, journal_error> submit_write(const write_request&) = 0;
    // Copies up to out.size() completions; with `wait`, blocks until at least one arrives
    // (the caller only waits with a request in flight).
    virtual std::uint32_t reap(std::span<io_completion> out, bool wait) = 0;
    // The submitter has `cpu` to itself (the pinned sequencer): the backend's own worker
    // threads (io_uring's) stay off it, and work that would make the submitter wait goes to
    // them. A hint: backends without workers ignore it.
    virtual void keep_workers_off_cpu(std::uint32_t /*cpu*/) noexcept {}
    // Keeps the open file `descriptor` (the data directory's lock) open for as long as a
    // write submitted here may still land: an io_uring ring outlives a killed process until
    // its writes in flight complete, and the lock must too, or the next writer could recover
    // without the batch still landing and have the batch overwrite its own. Backends whose
    // writes complete within the call keep nothing.
    virtual std::expected<void, journal_error> hold_open_until_idle(int /*descriptor*/) {
        return {};
    }
};

// Builds the backend. `automatic` tries io_uring and falls back to pwrite when the kernel
// refuses it (ENOSYS, EPERM, EACCES: io_uring_disabled or seccomp), printing one notice.
// `simulated` requires `disk`. `ring_depth` bounds the requests in flight.
std::expected<std::unique_ptr<io_backend>, journal_error> make_backend(
    io_backend_kind kind, std::uint32_t ring_depth, simulated_disk* disk);

}  // namespace io
}  // namespace ordo::journal
