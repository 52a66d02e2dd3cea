#pragma once
// DIR/durable_end: a hint, for readers in other processes (`ordo follow`), of where the
// journal is durable right now. DIR/manifest records that too, but its keeper rewrites it
// about once a second, so a reader learning durability from it lags by up to a second.
// The hint is one 4 KiB page the writer maps MAP_SHARED and updates at every move of its
// durable watermark (after the write and its sync completed: everything it names IS
// durable, so it needs no sync of its own, and a crash leaves it valid or behind). Byte
// layout and rules: journal/DURABLE_HINT_FORMAT.md.
//
// Never an authority: recovery, `ordo state`, `journal verify` and the drills never read
// it. A reader may read up to max(manifest's end, hint's end) when the hint belongs to the
// manifest's writer (durable_hint_view::end_for); a missing, damaged, foreign or stale
// hint only costs latency.
//
// Threads: durable_hint_file is the writer's thread's; a durable_hint_view is one reader
// thread's. Any number of processes share the page (a sequence lock, a futex word).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "journal/manifest.h"
#include "journal/position.h"

namespace ordo::journal {

inline constexpr std::uint64_t durable_hint_magic = 0x31544e484f44524full;  // "ORDOHNT1" LE
inline constexpr std::uint32_t durable_hint_format_version = 1;
inline constexpr std::size_t durable_hint_bytes = 4096;

struct durable_hint_value {
    // The manifest the writer wrote when it opened (its write_count and durable end): which
    // writer, of which journal, the hint belongs to.
    std::uint64_t opened_write_count = 0;
    journal_position opened{};
    // Batches [0, durable.next_batch_number) are durable; CLOCK_MONOTONIC when they became so.
    journal_position durable{};
    std::uint64_t durable_monotonic_ns = 0;
    // The CPU the writer's sequencer is pinned to and spins on, -1 when it is not pinned:
    // a reader in another process keeps off it, as the writer's own threads and in-process
    // readers do (on 2 vCPUs, sharing the spinning CPU cost a follower its p99 lag).
    std::int32_t busy_cpu = -1;
};

// The writer's side. create() maps DIR/durable_end (created, or reused in place so that
// readers' mappings see the new writer) and publishes `opened` as durable.
class durable_hint_file {
  public:
    // `busy_cpu`: durable_hint_value::busy_cpu.
    static std::expected<durable_hint_file, std::string> create(
        const std::filesystem::path& data_dir, std::uint64_t opened_write_count,
        const journal_position& opened, std::int32_t busy_cpu);
    durable_hint_file(durable_hint_file&& other) noexcept : page_(other.page_) {
        other.page_ = nullptr;
    }
    durable_hint_file& operator=(durable_hint_file&&) = delete;
    ~durable_hint_file();

    // A few stores, and a futex wake only when a reader waits. Ends only grow.
    void publish(const journal_position& durable, std::uint64_t monotonic_ns) noexcept;

  private:
    explicit durable_hint_file(void* page) : page_(page) {}
    void* page_;
};

// A reader's side.
class durable_hint_view {
  public:
    // nullopt when DIR has no hint (or it is not one page, or cannot be mapped).
    static std::optional<durable_hint_view> open(const std::filesystem::path& data_dir);
    durable_hint_view(durable_hint_view&& other) noexcept : page_(other.page_) {
        other.page_ = nullptr;
    }
    durable_hint_view& operator=(durable_hint_view&& other) noexcept;
    ~durable_hint_view();

    // A consistent copy; nullopt when the magic or version is wrong or the sequence lock
    // does not settle within a bounded number of tries (a writer that died mid-update).
    std::optional<durable_hint_value> load() const noexcept;
    // The hint's durable end when it belongs to the writer of `recorded` (an open manifest
    // written by it or its keeper since) and is ahead of the manifest's; else nullopt.
    std::optional<durable_hint_value> end_for(const manifest& recorded) const noexcept;
    // Waits until the writer publishes a durable end past `batches`, or `timeout_us`
    // passed: a short spin, then a futex wait counted in the page's waiters.
    void wait_past(std::uint64_t batches, std::uint64_t timeout_us) const noexcept;

  private:
    explicit durable_hint_view(void* page) : page_(page) {}
    void* page_;
};

// Whether `hint` may extend `recorded`: pure, for tests.
bool hint_belongs_to(const durable_hint_value& hint, const manifest& recorded) noexcept;

}  // namespace ordo::journal
