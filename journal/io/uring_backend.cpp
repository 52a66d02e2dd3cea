#include "journal/io/uring_backend.h"

#include <sys/uio.h>

#include <cerrno>
#include <vector>

#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::journal::io {

std::expected<std::unique_ptr<uring_backend>, journal_error> uring_backend::create(
    std::uint32_t ring_depth) {
    ORDO_ASSERT(ring_depth >= 2);
    ORDO_ASSERT(ring_depth <= 2 * pending_slots);
    std::unique_ptr<uring_backend> backend(new uring_backend());
    // Completions are posted through task work on the submitter. By default the kernel
    // interrupts the submitter (an IPI) to run it at once: one per batch, about 7% of the
    // sequencer's time under KVM, measured. Cooperative task work runs instead when the
    // sequencer next enters the kernel, and TASKRUN_FLAG marks the ring while some is
    // pending, so reap() enters it then (liburing 2.3's peek does not): no completion waits
    // longer than the next poll. Linux 5.19+; older kernels refuse the flags and get the
    // default.
    int result = io_uring_queue_init(ring_depth, &backend->ring_,
                                     IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
    if (result == -EINVAL) result = io_uring_queue_init(ring_depth, &backend->ring_, 0);
    if (result < 0) {
        const int error = -result;
        if (error == ENOSYS || error == EPERM || error == EACCES) {
            return std::unexpected(journal_error{.code = journal_errc::unsupported,
                                                 .system_errno = error,
                                                 .detail = "io_uring unavailable"});
        }
        if (error == ENOMEM) {
            return std::unexpected(journal_error{.code = journal_errc::unsupported,
                                                 .system_errno = error,
                                                 .detail = "io_uring ring memory refused"});
        }
        return std::unexpected(error_from_errno(error, "io_uring", 0, "io_uring_queue_init"));
    }
    backend->ring_ready_ = true;
    return backend;
}

uring_backend::~uring_backend() {
    if (!ring_ready_) return;
    // With nothing in flight the lock is let go now, so that it is free when its owner
    // releases it (the ring's own teardown is asynchronous). Writes still in flight (a
    // writer that failed) keep it until they land.
    if (file_held_ && in_flight_ == 0) (void)io_uring_unregister_files(&ring_);
    io_uring_queue_exit(&ring_);
}

std::expected<void, journal_error> uring_backend::attach_buffers(
    std::span<const std::span<std::byte>> buffers) {
    ORDO_ASSERT(!buffers_registered_);
    ORDO_ASSERT(!buffers.empty());
    std::vector<iovec> vectors;
    vectors.reserve(buffers.size());
    for (const std::span<std::byte> buffer : buffers) {
        vectors.push_back(iovec{.iov_base = buffer.data(), .iov_len = buffer.size()});
    }
    // Registration pins the pages once; it can fail under a tight RLIMIT_MEMLOCK, in which
    // case plain (unregistered) writes keep every promise, only a little slower.
    const int result = io_uring_register_buffers(&ring_, vectors.data(),
                                                 static_cast<unsigned>(vectors.size()));
    buffers_registered_ = result == 0;
    return {};
}

std::expected<void, journal_error> uring_backend::hold_open_until_idle(int descriptor) {
    ORDO_ASSERT(descriptor >= 0);
    ORDO_ASSERT(!file_held_);
    const int result = io_uring_register_files(&ring_, &descriptor, 1);
    if (result < 0) {
        return std::unexpected(error_from_errno(-result, "io_uring", 0,
                                                "register the data directory's lock"));
    }
    file_held_ = true;
    return {};
}

void uring_backend::place_workers() noexcept {
    ORDO_ASSERT(in_flight_ == 0);  // the first submit: no completion to mix up with the nop's
    const auto cpu = static_cast<std::uint32_t>(keep_off_cpu_);
    keep_off_cpu_ = -1;
    cpu_set_t set;
    if (!base::all_cpus_but(cpu, set)) return;
    // The mask can be set only once this thread has its io_uring context (its first submit
    // makes it), and it reaches only workers started later, so a nop comes first: it
    // completes inline and starts none.
    io_uring_sqe* nop = io_uring_get_sqe(&ring_);
    ORDO_ASSERT(nop != nullptr);
    io_uring_prep_nop(nop);
    io_uring_sqe_set_data64(nop, 0);
    int submitted = 0;
    do {
        submitted = io_uring_submit_and_wait(&ring_, 1);
    } while (submitted == -EINTR);
    io_uring_cqe* cqe = nullptr;
    if (submitted == 1 && io_uring_wait_cqe(&ring_, &cqe) == 0) io_uring_cqe_seen(&ring_, cqe);
    // Linux 5.14+; older kernels keep the default placement, which costs speed only.
    (void)io_uring_register_iowq_aff(&ring_, sizeof(set), &set);
}

std::expected<void, journal_error> uring_backend::submit_write(const write_request& request) {
    ORDO_ASSERT(request.file >= 0);
    ORDO_ASSERT(!request.bytes.empty());
    ORDO_ASSERT(in_flight_ < pending_slots);
    if (keep_off_cpu_ >= 0) place_workers();
    pending* slot = &pending_[request.tag % pending_slots];
    ORDO_ASSERT(!slot->in_use);
    *slot = pending{.tag = request.tag,
                    .bytes = static_cast<std::uint32_t>(request.bytes.size()),
                    .sync = request.sync,
                    .in_use = true};
    io_uring_sqe* write = io_uring_get_sqe(&ring_);
    ORDO_ASSERT(write != nullptr);  // the ring is sized for every request in flight
    void* data = const_cast<std::byte*>(request.bytes.data());
    const auto size = static_cast<unsigned>(request.bytes.size());
    if (buffers_registered_) {
        io_uring_prep_write_fixed(write, request.file, data, size, request.offset,
                                  static_cast<int>(request.buffer_index));
    } else {
        io_uring_prep_write(write, request.file, data, size, request.offset);
    }
    // Durable on completion: the write is not reported before its data and the metadata
    // needed to read it are on stable storage (a device flush here: the disk has no FUA).
    // With a CPU kept for the submitter (keep_workers_off_cpu), straight to an io_uring
    // worker (IOSQE_ASYNC): issued inline, an O_DIRECT write that the device finishes at
    // once runs its RWF_DSYNC flush in this very call (ext4_sync_file -> blkdev_issue_flush,
    // waited for), and the submitter is the sequencer, which would sleep through the flush
    // instead of filling the next batch. Without one, inline: the worker's wake-up costs the
    // commit's tail (journal/README.md, "Measured").
    if (request.sync) {
        write->rw_flags = RWF_DSYNC;
        if (sync_on_workers_) io_uring_sqe_set_flags(write, IOSQE_ASYNC);
    }
    io_uring_sqe_set_data64(write, request.tag);
    int submitted = 0;
    do {
        submitted = io_uring_submit(&ring_);
    } while (submitted == -EINTR);
    if (submitted < 0) {
        slot->in_use = false;
        return std::unexpected(error_from_errno(-submitted, "io_uring", request.offset,
                                                "io_uring_submit"));
    }
    ORDO_ASSERT(submitted == 1);
    ++in_flight_;
    return {};
}

// Turns one CQE into the completion of its request.
io_completion uring_backend::take_cqe(const io_uring_cqe& cqe) {
    const std::uint64_t tag = io_uring_cqe_get_data64(&cqe);
    pending* slot = &pending_[tag % pending_slots];
    ORDO_ASSERT(slot->in_use);
    ORDO_ASSERT(slot->tag == tag);
    io_completion completion{.tag = tag};
    if (cqe.res < 0) {
        completion.error = -cqe.res;
        completion.failed = slot->sync ? io_operation::write_dsync : io_operation::write;
    } else if (static_cast<std::uint32_t>(cqe.res) < slot->bytes) {
        // Never continued: the writer poisons itself rather than guess what landed.
        completion.short_write = true;
    }
    ORDO_ASSERT(cqe.res <= static_cast<std::int32_t>(slot->bytes));
    slot->in_use = false;
    ORDO_ASSERT(in_flight_ > 0);
    --in_flight_;
    return completion;
}

std::uint32_t uring_backend::reap(std::span<io_completion> out, bool wait) {
    ORDO_ASSERT(!out.empty());
    if (wait) ORDO_ASSERT(in_flight_ > 0);
    std::uint32_t count = 0;
    while (count < out.size()) {
        io_uring_cqe* cqe = nullptr;
        int result = io_uring_peek_cqe(&ring_, &cqe);
        if (result == -EAGAIN && task_work_pending()) {
            // Completions wait as task work until this thread enters the kernel (create());
            // a busy sequencer may not for a while, so enter now, only when there is some.
            (void)io_uring_get_events(&ring_);
            result = io_uring_peek_cqe(&ring_, &cqe);
        }
        if (result == -EAGAIN && wait && count == 0) {
            result = io_uring_wait_cqe(&ring_, &cqe);
            if (result == -EINTR) continue;
        }
        if (result == -EAGAIN) break;
        ORDO_ASSERT(result == 0);
        ORDO_ASSERT(cqe != nullptr);
        out[count++] = take_cqe(*cqe);
        io_uring_cqe_seen(&ring_, cqe);
    }
    return count;
}

}  // namespace ordo::journal::io
