#pragma once
// Periodic snapshots. The sequencer, at a batch boundary, copies its tables into a shadow
// state allocated at start-up (plain memcpy: the only pause it causes, measured as
// pause_ns_max); a background thread encodes the shadow, waits until every batch the
// snapshot covers is durable, then writes it atomically (temp file, fdatasync, rename,
// directory fsync) and prunes old ones. A snapshot is never on
// disk before the journal it summarises, so recovery can always continue after it.
//
// Threads: maybe_take() and note_durable() from the sequencer thread; the writer thread is
// private. Lifecycle: constructed before the sequencer starts, stop() after it stopped.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/booking_state.h"
#include "journal/io/file_system.h"
#include "journal/writer.h"

namespace ordo::engine {

struct snapshot_options {
    std::filesystem::path data_dir;
    std::uint64_t every_commands = 0;  // 0: never
    std::uint32_t keep = 3;
    int keep_off_cpu = -1;  // the sequencer's CPU: encoding and writing run elsewhere
    // Where snapshots are written (the durable file layer); nullptr: the real file system.
    journal::io::file_system* files = nullptr;
};

class snapshotter {
public:
    // `tables` are the sequencer state's capacities (the shadow copy must match them).
    snapshotter(const snapshot_options& options, const state_options& tables);
    ~snapshotter();
    snapshotter(const snapshotter&) = delete;
    snapshotter& operator=(const snapshotter&) = delete;

    // Sequencer thread, right after a batch was published: `next` is where the journal
    // continues, so the snapshot covers batches [0, next.next_batch_number).
    void maybe_take(const booking_state& state, const journal::journal_position& next);
    // Sequencer thread: batches [0, durable) are durable.
    void note_durable(std::uint64_t durable) noexcept {
        durable_.store(durable, std::memory_order_release);
    }
    // Writes nothing more; waits for a snapshot in progress. Returns its error, if any.
    std::string stop();

    std::uint64_t taken() const noexcept { return taken_.load(std::memory_order_acquire); }
    std::uint64_t pause_ns_max() const noexcept { return pause_ns_max_; }

private:
    void write_loop();

    const snapshot_options options_;
    std::uint64_t next_at_commands_;
    std::uint64_t pause_ns_max_ = 0;
    std::unique_ptr<booking_state> shadow_;  // sequencer thread while idle, writer while busy_
    journal::journal_position covered_{};
    std::atomic<std::uint64_t> durable_{0};
    std::atomic<std::uint64_t> taken_{0};
    std::mutex mutex_;  // guards busy_, stopping_, error_ (off the hot path: once a snapshot)
    std::condition_variable wake_;
    bool busy_ = false;
    bool stopping_ = false;
    std::string error_;
    std::thread writer_;
};

}  // namespace ordo::engine
