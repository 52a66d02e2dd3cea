#pragma once
// io_uring backend: batch buffers registered once (write_fixed), each write linked to an
// fdatasync of the same file (IOSQE_IO_LINK + IORING_FSYNC_DATASYNC) so several batches
// commit as a group without a system call per sync. Owned by the writer's thread; the
// file-system half comes from posix_backend_base.

#include <liburing.h>

#include <array>
#include <expected>
#include <memory>

#include "journal/io/posix_files.h"
#include "journal/limits.h"

namespace ordo::journal::io {

class uring_backend final : public posix_backend_base {
public:
    // Fails with `unsupported` when the kernel refuses io_uring (ENOSYS, EPERM, EACCES).
    static std::expected<std::unique_ptr<uring_backend>, journal_error> create(
        std::uint32_t ring_depth);
    ~uring_backend() override;
    uring_backend(const uring_backend&) = delete;
    uring_backend& operator=(const uring_backend&) = delete;

    io_backend_kind kind() const noexcept override { return io_backend_kind::uring; }
    std::expected<void, journal_error> attach_buffers(
        std::span<const std::span<std::byte>> buffers) override;
    std::expected<void, journal_error> submit_write(const write_request&) override;
    std::uint32_t reap(std::span<io_completion> out, bool wait) override;

private:
    // Write and sync arrive as two CQEs; a request completes when both have.
    struct pending {
        std::uint64_t tag = 0;
        std::uint32_t bytes = 0;
        std::uint8_t cqes_expected = 0;
        std::uint8_t cqes_seen = 0;
        bool in_use = false;
        io_completion completion;
    };
    static constexpr std::uint32_t pending_slots = 2 * batches_in_flight_max;

    uring_backend() = default;
    bool take_cqe(io_uring_cqe* cqe, io_completion* out);

    io_uring ring_{};
    bool ring_ready_ = false;
    bool buffers_registered_ = false;
    std::array<pending, pending_slots> pending_{};
};

}  // namespace ordo::journal::io
