#pragma once
// Periodic snapshots without stopping the sequencer. At a batch boundary the sequencer
// notes the instant: the state's counters (the encoding's header) and its tables' lengths,
// and attaches a copy-on-write guard to the state (engine/snapshot_guard.h); that is all it
// waits for (pause_ns_max, well under a millisecond at any table size). A writer thread,
// off the sequencer's CPU, then streams the tables out chunk by chunk into the snapshot's
// temp file while the sequencer goes on; a chunk the sequencer is about to change before it
// was streamed is copied aside first, by the sequencer, 4 KiB at a time. Once every chunk
// is out the guard is detached (at the next batch boundary). The file is fdatasynced, and
// made visible (rename, directory fsync) only once every batch it covers is durable, so a
// snapshot is never on disk before the journal it summarises; then old ones are pruned.
//
// Threads: maybe_take() and note_durable() from the sequencer thread; the writer thread is
// private. Lifecycle: constructed before the sequencer starts (the guard's chunk states and
// pool are sized for the tables' capacities), stop() after it stopped.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "engine/booking_state.h"
#include "engine/snapshot_guard.h"
#include "engine/state_codec.h"
#include "journal/io/file_system.h"
#include "journal/writer.h"

namespace ordo::engine {

struct snapshot_options {
    std::filesystem::path data_dir;
    std::uint64_t every_commands = 0;  // 0: never
    std::uint32_t keep = 3;
    int keep_off_cpu = -1;  // the sequencer's CPU: streaming and writing run elsewhere
    // Where snapshots are written (the durable file layer); nullptr: the real file system.
    journal::io::file_system* files = nullptr;
};

class snapshotter {
public:
    // `tables` are the sequencer state's capacities (they size the guard).
    snapshotter(const snapshot_options& options, const state_options& tables);
    ~snapshotter();
    snapshotter(const snapshotter&) = delete;
    snapshotter& operator=(const snapshotter&) = delete;

    // Sequencer thread, right after a batch was published: `next` is where the journal
    // continues, so the snapshot covers batches [0, next.next_batch_number). Starts one when
    // it is due and the last one is written; detaches the guard once a snapshot's tables
    // are streamed out.
    void maybe_take(booking_state& state, const journal::journal_position& next);
    // Sequencer thread: batches [0, durable) are durable.
    void note_durable(std::uint64_t durable) noexcept {
        durable_.store(durable, std::memory_order_release);
    }
    // Writes nothing more; waits for a snapshot in progress (published only if the batches
    // it covers are durable) and detaches the guard. Returns the first error, if any.
    std::string stop();

    std::uint64_t taken() const noexcept { return taken_.load(std::memory_order_acquire); }
    // Sequencer pauses to start a snapshot (the sequencer thread, or any after stop()).
    std::uint64_t pause_ns_max() const noexcept { return pause_ns_max_; }
    std::uint64_t pause_ns_p50() const noexcept;
    std::uint64_t started() const noexcept { return started_; }
    // Chunks the sequencer copied aside, over every snapshot (after stop()).
    std::uint64_t sequencer_chunks() const noexcept { return sequencer_chunks_; }

private:
    void write_loop();
    // Writes the snapshot started last; "" when it was published or dropped at stop().
    std::string write_one();
    bool wait_durable(std::uint64_t batches);
    void detach_if_copied() noexcept;

    static constexpr std::uint32_t pause_samples_max = 1024;

    const snapshot_options options_;
    std::uint64_t next_at_commands_;
    snapshot_guard guard_;
    // The snapshot being written: the sequencer sets them before it hands over (under
    // mutex_), the writer reads them after.
    state_parts parts_{};
    journal::journal_position covered_{};
    booking_state* attached_ = nullptr;  // sequencer thread: the state the guard is on
    std::atomic<bool> copied_{false};    // the writer streamed every chunk out
    std::atomic<std::uint64_t> durable_{0};
    std::atomic<std::uint64_t> taken_{0};
    std::atomic<std::uint64_t> chunks_copied_{0};  // writer: the guard's count, per snapshot
    // Sequencer thread only.
    std::uint64_t pause_ns_max_ = 0;
    std::uint64_t started_ = 0;
    std::array<std::uint64_t, pause_samples_max> pause_ns_{};
    std::uint64_t sequencer_chunks_ = 0;
    std::mutex mutex_;  // guards busy_, stopping_, error_ (off the hot path: once a snapshot)
    std::condition_variable wake_;
    bool busy_ = false;
    bool stopping_ = false;
    std::string error_;
    std::thread writer_;
};

}  // namespace ordo::engine
