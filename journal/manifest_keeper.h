#pragma once
// Keeps a writer's DIR/manifest current (manifest.h) without costing the sequencer
// anything per command:
// - the writer publishes its durable end in a durable_end_cell each time its watermark
//   moves (a few relaxed stores, on the writer's thread, per poll that moved it);
// - the keeper's own thread writes the manifest when that end has moved, at most once per
//   `interval_ms` (about a second): what a crash may cut as a torn tail is then bounded by
//   what became durable in the last interval;
// - at each rollover the segment preparer records the new segment (record_segments) after
//   syncing its name and before any batch in it may be reported durable;
// - close() writes the exact end with state `closed`.
// A failed write is a durability failure: failed() turns true and the writer stops
// acknowledging (it poisons itself with failure()).
//
// Threads: the keeper's thread from construction to close() or destruction;
// record_segments() from the segment preparer's thread; close(), failed() and failure()
// from the writer's thread. One mutex serialises the writes (never taken per batch).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "journal/errc.h"
#include "journal/io/file_system.h"
#include "journal/manifest.h"
#include "journal/position.h"

namespace ordo::journal {

// One writer thread stores, any thread loads (a sequence lock: the loader retries while a
// store is under way). Every field is an atomic, so there is no data race to speak of.
class durable_end_cell {
public:
    void store(const journal_position& end) noexcept;
    journal_position load() const noexcept;

private:
    std::atomic<std::uint64_t> version_{0};  // odd while a store is under way
    std::atomic<std::uint64_t> batch_{0};
    std::atomic<std::uint64_t> sequence_{0};
    std::atomic<std::uint64_t> segment_index_{0};
    std::atomic<std::uint64_t> segment_offset_{0};
    std::atomic<std::uint64_t> chain_low_{0};
    std::atomic<std::uint64_t> chain_high_{0};
};

class manifest_keeper {
public:
    static constexpr std::uint32_t interval_ms_min = 1;
    static constexpr std::uint32_t interval_ms_max = 60'000;
    static constexpr std::uint32_t interval_ms_default = 1000;

    // `written` is the manifest as the writer last wrote it (at open); the keeper writes its
    // successors. `durable` outlives the keeper. `keep_off_cpu` >= 0: never run there.
    manifest_keeper(io::file_system* files, std::filesystem::path data_dir, manifest written,
                    const durable_end_cell* durable, std::uint32_t interval_ms,
                    int keep_off_cpu = -1);
    ~manifest_keeper();  // stops the thread; writes nothing more
    manifest_keeper(const manifest_keeper&) = delete;
    manifest_keeper& operator=(const manifest_keeper&) = delete;

    // Segments [0, segment_count) exist (their names are durable): written now.
    std::expected<void, journal_error> record_segments(std::uint32_t segment_count);
    // The writer closes: everything up to `end` is durable. Writes state closed and stops.
    std::expected<void, journal_error> close(const journal_position& end);
    bool failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
    journal_error failure() const;
    std::uint64_t writes() const;  // manifests written by the keeper (for tests)

private:
    void run();
    // Writes `next` as the successor of written_; mutex_ held.
    std::expected<void, journal_error> write_locked(manifest next);

    io::file_system* files_;
    const std::filesystem::path data_dir_;
    const durable_end_cell* durable_;
    const std::uint32_t interval_ms_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    manifest written_;                     // guarded by mutex_
    std::optional<journal_error> failure_;  // guarded by mutex_
    std::uint64_t writes_ = 0;              // guarded by mutex_
    bool stop_ = false;                     // guarded by mutex_
    std::atomic<bool> failed_{false};
    std::thread thread_;
};

}  // namespace ordo::journal
