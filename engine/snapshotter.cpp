#include "engine/snapshotter.h"

#include <algorithm>
#include <chrono>

#include "base/clock.h"
#include "base/cpu.h"
#include "journal/snapshot_store.h"

namespace ordo::engine {

snapshotter::snapshotter(const snapshot_options& options, const state_options& tables)
    : options_(options),
      next_at_commands_(options.every_commands),
      guard_(booking_state::snapshot_table_capacity_bytes(tables)) {
    ORDO_ASSERT(options.keep >= journal::snapshot_keep_min);
    ORDO_ASSERT(options.keep <= journal::snapshot_keep_max);
    if (options_.every_commands == 0) return;
    writer_ = std::thread([this] {
        if (options_.keep_off_cpu >= 0) {
            base::keep_current_thread_off(static_cast<std::uint32_t>(options_.keep_off_cpu));
        }
        write_loop();
    });
}

snapshotter::~snapshotter() { stop(); }

void snapshotter::detach_if_copied() noexcept {
    if (attached_ == nullptr || !copied_.load(std::memory_order_acquire)) return;
    attached_->set_snapshot_guard(nullptr);
    attached_ = nullptr;
    sequencer_chunks_ += chunks_copied_.load(std::memory_order_acquire);
}

void snapshotter::maybe_take(booking_state& state, const journal::journal_position& next) {
    if (options_.every_commands == 0) return;
    detach_if_copied();
    if (state.commands < next_at_commands_) return;
    {
        std::lock_guard lock(mutex_);
        if (busy_ || stopping_) return;  // the last one is still being written: skip this one
    }
    detach_if_copied();  // not busy: the last snapshot's chunks were all streamed out
    ORDO_ASSERT(attached_ == nullptr);
    const std::uint64_t start_ns = base::monotonic_ns();
    // The instant: the counters and the tables' lengths. Nothing is copied here.
    parts_ = describe_state(state);
    guard_.start(parts_.tables);
    state.set_snapshot_guard(&guard_);
    attached_ = &state;
    copied_.store(false, std::memory_order_relaxed);  // published to the writer by mutex_
    covered_ = next;
    ORDO_ASSERT(covered_.next_sequence == state.events);
    next_at_commands_ = state.commands + options_.every_commands;
    {
        std::lock_guard lock(mutex_);
        busy_ = true;
    }
    wake_.notify_one();
    const std::uint64_t pause_ns = base::monotonic_ns() - start_ns;
    pause_ns_max_ = std::max(pause_ns_max_, pause_ns);
    pause_ns_[started_ % pause_samples_max] = pause_ns;
    started_++;
}

std::uint64_t snapshotter::pause_ns_p50() const noexcept {
    const std::uint64_t count = std::min<std::uint64_t>(started_, pause_samples_max);
    if (count == 0) return 0;
    std::array<std::uint64_t, pause_samples_max> sorted = pause_ns_;
    std::nth_element(sorted.begin(), sorted.begin() + count / 2, sorted.begin() + count);
    return sorted[count / 2];
}

void snapshotter::write_loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return busy_ || stopping_; });
            if (!busy_) return;
        }
        const std::string error = write_one();
        if (error.empty()) ORDO_ASSERT(copied_.load(std::memory_order_relaxed));
        std::lock_guard lock(mutex_);
        if (!error.empty() && error_.empty()) error_ = error;
        busy_ = false;
    }
}

// Never ahead of the journal: waits until the covered batches are durable. False when
// stop() came first: stop() follows the sequencer's last note_durable(), so batches not
// durable then never will be (the sink failed) and the snapshot is dropped.
bool snapshotter::wait_durable(std::uint64_t batches) {
    while (durable_.load(std::memory_order_acquire) < batches) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

std::string snapshotter::write_one() {
    journal::io::file_system& files =
        options_.files != nullptr ? *options_.files : journal::io::real_file_system();
    auto stream = journal::snapshot_stream::create(options_.data_dir, covered_.next_sequence, files);
    std::string error;
    if (stream) {
        auto put = [&](std::span<const std::byte> piece) {
            auto appended = stream->append(piece);
            if (!appended) error = appended.error().message();
            return appended.has_value();
        };
        if (put(parts_.header)) guard_.copy_out(put);
    } else {
        error = stream.error().message();
    }
    if (!error.empty()) guard_.copy_out([](std::span<const std::byte>) { return false; });
    // Every chunk is settled: the sequencer detaches the guard at its next batch.
    chunks_copied_.store(guard_.sequencer_chunks(), std::memory_order_release);
    copied_.store(true, std::memory_order_release);
    if (!error.empty()) return error;  // the stream's temp file goes with it
    const journal::snapshot_position position{
        .next_batch_number = covered_.next_batch_number,
        .next_sequence = covered_.next_sequence,
        .segment_index = covered_.segment_index,
        .segment_offset = covered_.segment_offset,
        .previous_header_checksum = covered_.previous_header_checksum};
    ORDO_ASSERT(stream->payload_bytes() == parts_.bytes());
    if (auto finished = stream->finish(position); !finished) return finished.error().message();
    if (!wait_durable(covered_.next_batch_number)) return "";
    if (auto published = stream->publish(); !published) return published.error().message();
    if (auto pruned = journal::prune_snapshots(options_.data_dir, options_.keep, files);
        !pruned) {
        return pruned.error().message();
    }
    taken_.fetch_add(1, std::memory_order_acq_rel);
    return "";
}

std::string snapshotter::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    // The sequencer has stopped (stop() comes after it): this thread owns the state now.
    if (attached_ != nullptr) {
        ORDO_ASSERT(copied_.load(std::memory_order_acquire));  // write_one settles every chunk
        detach_if_copied();
    }
    std::lock_guard lock(mutex_);
    return error_;
}

}  // namespace ordo::engine
