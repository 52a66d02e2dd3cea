#pragma once
// Plain pwrite + fdatasync backend: the run-time fallback when io_uring is unavailable
// (kernel.io_uring_disabled, a seccomp profile). Each submit writes and syncs before it
// returns, so one batch is in flight at a time in the kernel; completions are queued for
// reap() so the writer sees the same shape as with io_uring. Owned by the writer's thread.

#include <array>

#include "journal/io/posix_files.h"
#include "journal/limits.h"

namespace ordo::journal::io {

class pwrite_backend final : public posix_backend_base {
public:
    io_backend_kind kind() const noexcept override { return io_backend_kind::pwrite; }
    std::expected<void, journal_error> attach_buffers(
        std::span<const std::span<std::byte>> buffers) override;
    std::expected<void, journal_error> submit_write(const write_request&) override;
    std::uint32_t reap(std::span<io_completion> out, bool wait) override;

private:
    static constexpr std::uint32_t queue_slots = 2 * batches_in_flight_max;
    std::array<io_completion, queue_slots> done_{};
    std::uint32_t done_head_ = 0;   // next to reap
    std::uint32_t done_count_ = 0;
};

}  // namespace ordo::journal::io
