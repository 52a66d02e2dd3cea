#include "journal/manifest_keeper.h"

#include <algorithm>
#include <chrono>

#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::journal {

// The sequence-lock protocol: the version is odd while the fields change; a loader that
// saw the same even version before and after reading them read one store's fields. Without
// fences (ThreadSanitizer does not model them): each field is stored with release, so a
// loader whose acquire load saw a new field value also sees the odd version after it and
// retries; the last version store (release) publishes every field to a loader whose first
// acquire load of the version sees it. On x86 these are plain moves, as relaxed ones are.
void durable_end_cell::store(const journal_position& end) noexcept {
    const std::uint64_t version = version_.load(std::memory_order_relaxed);
    ORDO_ASSERT(version % 2 == 0);  // one storing thread
    version_.store(version + 1, std::memory_order_relaxed);
    batch_.store(end.next_batch_number, std::memory_order_release);
    sequence_.store(end.next_sequence, std::memory_order_release);
    segment_index_.store(end.segment_index, std::memory_order_release);
    segment_offset_.store(end.segment_offset, std::memory_order_release);
    chain_low_.store(end.previous_header_checksum.low, std::memory_order_release);
    chain_high_.store(end.previous_header_checksum.high, std::memory_order_release);
    version_.store(version + 2, std::memory_order_release);
}

journal_position durable_end_cell::load() const noexcept {
    for (;;) {
        const std::uint64_t before = version_.load(std::memory_order_acquire);
        journal_position end{
            .next_batch_number = batch_.load(std::memory_order_acquire),
            .next_sequence = sequence_.load(std::memory_order_acquire),
            .segment_index = static_cast<std::uint32_t>(
                segment_index_.load(std::memory_order_acquire)),
            .segment_offset = segment_offset_.load(std::memory_order_acquire),
            .previous_header_checksum = {.low = chain_low_.load(std::memory_order_acquire),
                                         .high = chain_high_.load(std::memory_order_acquire)}};
        const std::uint64_t after = version_.load(std::memory_order_relaxed);
        if (before == after && before % 2 == 0) return end;
        base::cpu_relax();
    }
}

manifest_keeper::manifest_keeper(io::file_system* files, std::filesystem::path data_dir,
                                 manifest written, const durable_end_cell* durable,
                                 std::uint32_t interval_ms, int keep_off_cpu)
    : files_(files),
      data_dir_(std::move(data_dir)),
      durable_(durable),
      interval_ms_(interval_ms),
      written_(written) {
    ORDO_ASSERT(files != nullptr);
    ORDO_ASSERT(durable != nullptr);
    ORDO_ASSERT(interval_ms >= interval_ms_min);
    ORDO_ASSERT(interval_ms <= interval_ms_max);
    ORDO_ASSERT(written.state == manifest_state::open);
    thread_ = std::thread([this, keep_off_cpu] {
        if (keep_off_cpu >= 0) {
            base::keep_current_thread_off(static_cast<std::uint32_t>(keep_off_cpu));
        }
        run();
    });
}

manifest_keeper::~manifest_keeper() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void manifest_keeper::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [&] { return stop_; });
        if (stop_) return;
        const journal_position end = durable_->load();
        if (end.next_batch_number <= written_.durable_end.next_batch_number) continue;
        manifest next = written_;
        next.durable_end = end;
        if (auto written = write_locked(next); !written) {
            failure_ = written.error();
            failed_.store(true, std::memory_order_relaxed);
            return;  // the writer poisons itself; nothing more is written
        }
    }
}

std::expected<void, journal_error> manifest_keeper::write_locked(manifest next) {
    ORDO_ASSERT(next.durable_end.next_batch_number >= written_.durable_end.next_batch_number);
    ORDO_ASSERT(next.segment_count >= written_.segment_count);
    if (next.durable_end.next_batch_number > 0) {
        ORDO_ASSERT(next.durable_end.segment_index < next.segment_count);
    }
    next.write_count = written_.write_count + 1;
    if (auto written = write_manifest(data_dir_, next, *files_); !written) return written;
    written_ = next;
    ++writes_;
    return {};
}

std::expected<void, journal_error> manifest_keeper::record_segments(std::uint32_t segment_count) {
    std::lock_guard lock(mutex_);
    if (failure_.has_value()) return std::unexpected(*failure_);
    manifest next = written_;
    next.segment_count = std::max(segment_count, written_.segment_count);
    const journal_position end = durable_->load();
    if (end.next_batch_number > next.durable_end.next_batch_number) next.durable_end = end;
    auto written = write_locked(next);
    if (!written) {
        failure_ = written.error();
        failed_.store(true, std::memory_order_relaxed);
    }
    return written;
}

std::expected<void, journal_error> manifest_keeper::close(const journal_position& end) {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    if (failure_.has_value()) return std::unexpected(*failure_);
    manifest next = written_;
    next.durable_end = end;
    next.state = manifest_state::closed;
    return write_locked(next);
}

journal_error manifest_keeper::failure() const {
    std::lock_guard lock(mutex_);
    ORDO_ASSERT(failure_.has_value());
    return *failure_;
}

std::uint64_t manifest_keeper::writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
}

}  // namespace ordo::journal
