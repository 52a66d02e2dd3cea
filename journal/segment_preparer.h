#pragma once
// Prepares the next segment ahead of need so rollover never waits for the disk: it writes
// a zero-filled `segment-<index>.prepared` (real zeros, not fallocate: MACHINE.md shows
// overwrites of written blocks commit ~30-50% faster than unwritten extents), syncs it and
// its directory. After the writer renames a prepared file at rollover, the preparer also
// makes that rename durable (directory fsync); the writer reports no batch of the new
// segment durable before names_durable_through() covers it.
//
// Thread: one background thread from construction to destruction. request_*, take and
// wait_* are called by the writer's thread only. Communication is a mutex + condition
// variable (once per segment, never per batch) and one atomic read by poll().

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "journal/errc.h"
#include "journal/io/io_backend.h"

namespace ordo::journal {

class segment_preparer {
public:
    // `named_through`: segments with index <= this already have durable names.
    segment_preparer(io::io_backend* backend, std::filesystem::path dir,
                     std::uint64_t segment_bytes, std::uint32_t named_through);
    ~segment_preparer();
    segment_preparer(const segment_preparer&) = delete;
    segment_preparer& operator=(const segment_preparer&) = delete;

    // Starts preparing segment `index` in the background.
    void request_prepare(std::uint32_t index);
    // Blocks until segment `index` is prepared; returns its `.prepared` path.
    std::expected<std::filesystem::path, journal_error> take(std::uint32_t index);
    // The writer renamed segment `index` into place: make the name durable.
    void request_name_sync(std::uint32_t index);
    // Segments with index <= the returned value have durable names (acquire).
    std::uint32_t names_durable_through() const noexcept {
        return named_through_.load(std::memory_order_acquire);
    }
    // Blocks until segment `index`'s name is durable.
    std::expected<void, journal_error> wait_name_durable(std::uint32_t index);

private:
    void run();
    std::expected<void, journal_error> prepare(std::uint32_t index);

    io::io_backend* backend_;
    const std::filesystem::path dir_;
    const std::uint64_t segment_bytes_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<std::uint32_t> prepare_requested_;   // guarded by mutex_
    std::optional<std::uint32_t> prepared_;            // guarded by mutex_
    std::optional<std::uint32_t> name_sync_requested_; // guarded by mutex_
    std::optional<journal_error> error_;               // guarded by mutex_
    bool stop_ = false;                                // guarded by mutex_
    std::atomic<std::uint32_t> named_through_;
    std::thread thread_;
};

}  // namespace ordo::journal
