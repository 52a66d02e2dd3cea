#include "engine/snapshotter.h"

#include <chrono>

#include "engine/state_codec.h"
#include "base/clock.h"
#include "base/cpu.h"
#include "journal/snapshot_store.h"

namespace ordo::engine {

snapshotter::snapshotter(const snapshot_options& options, const state_options& tables)
    : options_(options), next_at_commands_(options.every_commands) {
    ORDO_ASSERT(options.keep >= journal::snapshot_keep_min);
    ORDO_ASSERT(options.keep <= journal::snapshot_keep_max);
    if (options_.every_commands == 0) return;
    shadow_ = std::make_unique<booking_state>(tables);
    shadow_->prefault();  // the copy must not page-fault while the sequencer waits
    writer_ = std::thread([this] {
        if (options_.keep_off_cpu >= 0) {
            base::keep_current_thread_off(static_cast<std::uint32_t>(options_.keep_off_cpu));
        }
        write_loop();
    });
}

snapshotter::~snapshotter() { stop(); }

void snapshotter::maybe_take(const booking_state& state, const journal::journal_position& next) {
    if (options_.every_commands == 0 || state.commands < next_at_commands_) return;
    {
        std::lock_guard lock(mutex_);
        if (busy_ || stopping_) return;  // the last one is still being written: skip this one
    }
    const std::uint64_t start_ns = base::monotonic_ns();
    shadow_->copy_tables_from(state);
    covered_ = next;
    ORDO_ASSERT(covered_.next_sequence == state.events);
    const std::uint64_t pause_ns = base::monotonic_ns() - start_ns;
    if (pause_ns > pause_ns_max_) pause_ns_max_ = pause_ns;
    next_at_commands_ = state.commands + options_.every_commands;
    {
        std::lock_guard lock(mutex_);
        busy_ = true;
    }
    wake_.notify_one();
}

void snapshotter::write_loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return busy_ || stopping_; });
            if (!busy_) return;
        }
        // Never ahead of the journal: wait until the covered batches are durable.
        // stop() comes after the sequencer's last note_durable(): if the covered batches
        // are still not durable then, they never will be (the sink failed): drop it.
        while (durable_.load(std::memory_order_acquire) < covered_.next_batch_number) {
            {
                std::lock_guard lock(mutex_);
                if (stopping_) return;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        const journal::snapshot_position position{
            .next_batch_number = covered_.next_batch_number,
            .next_sequence = covered_.next_sequence,
            .segment_index = covered_.segment_index,
            .segment_offset = covered_.segment_offset,
            .previous_header_checksum = covered_.previous_header_checksum};
        const std::vector<std::byte> encoding = encode_state(*shadow_);
        journal::io::file_system& files =
            options_.files != nullptr ? *options_.files : journal::io::real_file_system();
        auto written = journal::write_snapshot(options_.data_dir, position, encoding, files);
        std::string error;
        if (!written) {
            error = written.error().message();
        } else if (auto pruned = journal::prune_snapshots(options_.data_dir, options_.keep, files);
                   !pruned) {
            error = pruned.error().message();
        } else {
            taken_.fetch_add(1, std::memory_order_acq_rel);
        }
        std::lock_guard lock(mutex_);
        if (!error.empty() && error_.empty()) error_ = error;
        busy_ = false;
    }
}

std::string snapshotter::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    std::lock_guard lock(mutex_);
    return error_;
}

}  // namespace ordo::engine
