#include "journal/io/pwrite_backend.h"

#include <unistd.h>

#include <cerrno>

#include "base/assert.h"

namespace ordo::journal::io {

std::expected<void, journal_error> pwrite_backend::attach_buffers(
    std::span<const std::span<std::byte>> buffers) {
    ORDO_ASSERT(!buffers.empty());
    // Any number the writer keeps (its spare buffers for readers are not in flight).
    ORDO_ASSERT(buffers.size() <= batch_buffers_max);
    return {};
}

std::expected<void, journal_error> pwrite_backend::submit_write(const write_request& request) {
    ORDO_ASSERT(request.file >= 0);
    ORDO_ASSERT(done_count_ < queue_slots);
    io_completion completion{.tag = request.tag};
    ssize_t written = -1;
    do {
        written = ::pwrite(request.file, request.bytes.data(), request.bytes.size(),
                           static_cast<off_t>(request.offset));
    } while (written < 0 && errno == EINTR);
    if (written < 0) {
        completion.error = errno;
        completion.failed = io_operation::write;
    } else if (static_cast<std::size_t>(written) < request.bytes.size()) {
        // Never continued: a short write to a regular file means the device is failing
        // or full, and the writer poisons itself rather than guess what landed.
        completion.short_write = true;
    } else if (request.sync && ::fdatasync(request.file) != 0) {
        completion.error = errno;
        completion.failed = io_operation::sync;
    }
    done_[(done_head_ + done_count_) % queue_slots] = completion;
    ++done_count_;
    return {};
}

std::uint32_t pwrite_backend::reap(std::span<io_completion> out, bool wait) {
    ORDO_ASSERT(!out.empty());
    if (wait) ORDO_ASSERT(done_count_ > 0);  // everything completes inside submit
    std::uint32_t count = 0;
    while (count < out.size() && done_count_ > 0) {
        out[count++] = done_[done_head_];
        done_head_ = (done_head_ + 1) % queue_slots;
        --done_count_;
    }
    return count;
}

}  // namespace ordo::journal::io
