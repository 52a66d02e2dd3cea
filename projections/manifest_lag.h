#pragma once
// How far a reader of DIR's segment files in another process than the writer (`ordo
// follow`) is behind the durable end. Its durable-time source is DIR/manifest: the writer's
// keeper replaces it (atomically) when the durable end moved, at most once per interval
// (1 s by default, journal/manifest_keeper.h), so the file's modification time is when the
// durable end it records was recorded (MANIFEST_FORMAT.md, "Readers' lag"). Samples:
// - records: the manifest's durable end (its sequence) minus what the reader had applied
//   when it looked (before the poll), for every poll that then applied something;
// - microseconds: once per manifest written, when the reader has applied everything it
//   records: wall-clock now minus the manifest's modification time.
// Both are lag behind the durable end as the manifest knows it: the true durable end may be
// up to one keeper interval further (and the file system stamps times at its tick, 1-4 ms).
// Once a poll read up to the writer's durable-end hint (journal/durable_hint.h), samples
// come from it alone, per poll that applied batches up to its end: records, its end's sequence
// minus what was applied before the poll; microseconds, CLOCK_MONOTONIC now (system-wide on
// one host) minus when the writer published that end, that is when it became durable.
//
// Thread: the reader's. Lifecycle: before_poll() and after_poll() around each poll.

#include <cstdint>
#include <filesystem>
#include <optional>

#include "journal/durable_hint.h"

#include "projections/lag.h"

namespace ordo::projections {

class manifest_lag {
public:
    explicit manifest_lag(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}

    // Notes the manifest as it is now (a stat; read again only when it changed) and how far
    // the reader is behind it: it has applied records [0, applied_sequence).
    void before_poll(std::uint64_t applied_sequence);
    // The reader has applied batches [0, applied_batches), up to `hint`'s end when the
    // writer's durable-end hint set it (then both samples are taken against the hint).
    void after_poll(std::uint64_t applied_batches, bool applied_any,
                    const std::optional<journal::durable_hint_value>& hint = std::nullopt);

    const reader_lag& lag() const noexcept { return lag_; }

private:
    void read_if_changed();

    std::filesystem::path data_dir_;
    std::int64_t mtime_ns_ = 0;          // of the manifest read last, 0: none
    std::uint64_t durable_batches_ = 0;  // its durable end
    std::uint64_t durable_sequence_ = 0;
    bool open_ = false;       // a writer may be running (a closed manifest has no lag)
    bool sampled_ = false;    // its microseconds sample taken
    std::uint64_t behind_records_ = 0;  // at the last before_poll()
    std::uint64_t applied_sequence_ = 0;  // at the last before_poll()
    bool hint_seen_ = false;  // from then on, samples come from the hint only
    reader_lag lag_;
};

}  // namespace ordo::projections
