#pragma once
// Prepares the next segment ahead of need so rollover never waits for the disk: it writes
// a zero-filled `segment-<index>.prepared` (real zeros, not fallocate: MACHINE.md shows
// overwrites of written blocks commit ~30-50% faster than unwritten extents) and syncs it.
// After the writer renames a prepared file at rollover, the preparer also makes that rename
// durable (directory fsync); the writer reports no batch of the new segment durable before
// names_durable_through() covers it.
//
// Pacing. Zeros share the disk with commits, and every device flush a commit waits for also
// carries whatever zeros were written since the last one: a whole segment written at full
// speed made commits 4-5x slower for as long as it took (journal/README.md, "Measured").
// So while the writer is active the zeros follow its progress (note_progress()): the next
// segment is zeroed in proportion to how far the writer is through the current one, in
// pieces of at least zero_piece_bytes_min, finishing zero_lead_bytes before the writer
// reaches the end; commits' own flushes make the pieces durable. When the writer has made no
// progress for zero_idle_us the disk is free and the rest is written at full speed,
// each piece synced, so that no later commit has to flush a backlog of zeros. A writer that
// needs the segment before it is done (take()) gets the rest at full speed.
//
// Thread: one background thread from construction to destruction; it wakes once a tick
// (0.1-1 ms) only while a segment is being prepared and the writer is active, and otherwise
// sleeps on its condition variable. request_*, take, wait_* and note_progress are
// called by the writer's thread only. Communication is a mutex + condition variable (once
// per segment, never per batch), one relaxed atomic store per batch (note_progress) and one
// acquire load in poll().

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "journal/errc.h"
#include "journal/io/file_system.h"

namespace ordo::journal {

// How much of the next segment should be zeros when the writer has `remaining_bytes` of the
// current one left: in proportion to its progress through a segment of the same size, and
// all of it once only `lead_bytes` is left. Pure, for the preparer and its tests.
std::uint64_t paced_zero_target_bytes(std::uint64_t segment_bytes, std::uint64_t lead_bytes,
                                      std::uint64_t remaining_bytes) noexcept;
// The lead for `segment_bytes`: segment_preparer::zero_lead_bytes, or a quarter of the
// segment (whole blocks) when that is less.
std::uint64_t zero_lead_bytes_for(std::uint64_t segment_bytes) noexcept;

class segment_preparer {
public:
    // How often the preparer looks at the writer's progress while it paces itself: about
    // once per zero_piece_bytes_min the writer writes, within these bounds.
    static constexpr std::uint32_t zero_tick_us_min = 100;
    static constexpr std::uint32_t zero_tick_us_max = 1000;
    // Time without progress after which the writer counts as idle (the disk is free).
    static constexpr std::uint32_t zero_idle_us = 10'000;
    // Smallest piece written while pacing, and the largest piece. Measured (64 KiB batches,
    // two in flight): 64 KiB pieces gave the best p99 but cost a quarter of the commit rate
    // and three times the CPU (16% of a core); 256 KiB kept the rate and p50 of unpaced
    // zeroing at 5% of a core and still cut its p99 by a quarter.
    static constexpr std::uint64_t zero_piece_bytes_min = 256u << 10;
    static constexpr std::uint64_t zero_piece_bytes_max = 1u << 20;
    // The next segment is complete when the writer still has this much of the current one
    // to fill (a quarter of the segment if that is less).
    static constexpr std::uint64_t zero_lead_bytes = 4u << 20;

    // Called on the preparer's thread once segment `index`'s name is durable and before
    // names_durable_through() covers it (the writer records the segment in its manifest);
    // an error fails the preparer as a failed sync would.
    using name_durable_hook = std::function<std::expected<void, journal_error>(std::uint32_t)>;

    // `named_through`: segments with index <= this already have durable names.
    // `keep_off_cpu` >= 0: the thread never runs there (the sequencer's CPU).
    segment_preparer(io::file_system* files, std::filesystem::path dir,
                     std::uint64_t segment_bytes, std::uint32_t named_through,
                     int keep_off_cpu = -1, name_durable_hook on_name_durable = {});
    ~segment_preparer();
    segment_preparer(const segment_preparer&) = delete;
    segment_preparer& operator=(const segment_preparer&) = delete;

    // Starts preparing segment `index` in the background.
    void request_prepare(std::uint32_t index);
    // Blocks until segment `index` is prepared (hurrying it); returns its `.prepared` path.
    std::expected<std::filesystem::path, journal_error> take(std::uint32_t index);
    // The writer renamed segment `index` into place: make the name durable.
    void request_name_sync(std::uint32_t index);
    // Segments with index <= the returned value have durable names (acquire).
    std::uint32_t names_durable_through() const noexcept {
        return named_through_.load(std::memory_order_acquire);
    }
    // Blocks until segment `index`'s name is durable.
    std::expected<void, journal_error> wait_name_durable(std::uint32_t index);
    // The writer has `remaining_bytes` of its current segment left to fill. Called after
    // every publish and rollover; a hint for pacing only, so relaxed.
    void note_progress(std::uint64_t remaining_bytes) noexcept {
        writer_remaining_bytes_.store(remaining_bytes, std::memory_order_relaxed);
    }

private:
    // The next piece of zeros to write: how many bytes, and whether to sync them.
    struct piece {
        std::uint64_t bytes = 0;  // 0: stop (the preparer is being destroyed)
        bool sync = false;
    };
    // What the preparer last saw of the writer (its thread only).
    struct pace {
        std::uint64_t remaining_bytes = ~std::uint64_t{0};  // nothing seen yet
        std::uint64_t seen_ns = 0;                          // when it last changed
        std::uint64_t tick_ns = std::uint64_t{zero_tick_us_max} * 1000;
        void observe(std::uint64_t remaining, std::uint64_t now_ns) noexcept;
    };

    void run();
    std::expected<void, journal_error> prepare(std::uint32_t index);
    piece next_piece(std::uint64_t zeroed, pace* seen);

    io::file_system* files_;
    const std::filesystem::path dir_;
    const std::uint64_t segment_bytes_;
    const std::uint64_t lead_bytes_;
    const name_durable_hook on_name_durable_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<std::uint32_t> prepare_requested_;   // guarded by mutex_
    std::optional<std::uint32_t> prepared_;            // guarded by mutex_
    std::optional<std::uint32_t> name_sync_requested_; // guarded by mutex_
    std::optional<journal_error> error_;               // guarded by mutex_
    bool hurry_ = false;                               // guarded by mutex_: take() waits
    bool stop_ = false;                                // guarded by mutex_
    std::atomic<std::uint32_t> named_through_;
    std::atomic<std::uint64_t> writer_remaining_bytes_;
    std::thread thread_;
};

}  // namespace ordo::journal
