#pragma once
// Copy-on-write for snapshots, kept by the engine itself. A snapshot is the state at one
// instant, but writing it takes a while (hundreds of MB at page-cache speed) and the
// sequencer must not stop for it. So the sequencer only notes the instant (start(): the
// tables' lengths, no copying), and a writer thread then streams the tables out chunk by
// chunk (copy_out) while the sequencer keeps changing them. Every change to a snapshotted
// table first passes before_write(): if the chunk it lands in has not been streamed yet, the
// sequencer copies that chunk (4 KiB, well under a microsecond) into a side pool as it was,
// and the writer takes it from there. A chunk is copied once per snapshot, by whichever
// side gets to it first (one atomic state word per chunk), so the pool never holds more
// than the tables and in practice holds only the chunks written meanwhile (the hot ones).
//
// Why not fork(): measured on this kind of machine (engine/README.md), fork() of the engine's
// process stops the calling thread for milliseconds (its page tables, growing with the
// tables once copy-on-write faults have split their huge pages), and each copy-on-write
// fault afterwards costs the sequencer tens of microseconds; at millions of writes a second
// the faults alone would take most of a core. Here nothing is mapped, protected or faulted:
// the pool is an anonymous mapping touched only where chunks land, and its pages are reused
// by every later snapshot.
//
// Thread: start() and before_write() on the sequencer thread (the state's owner); copy_out()
// on one writer thread between a start() and the next; the counters on either after
// copy_out() returned. Lifecycle: built at start-up (its chunk states and pool are sized
// for the tables' capacities), reused by every snapshot.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/assert.h"

namespace ordo::engine {

// The tables a snapshot streams after its header (state_codec.h), in payload order.
enum class snapshot_table : std::uint8_t {
    conferences = 0,
    reservations = 1,
    finished_pages = 2,
    finished_page_keys = 3,
    finished_scattered = 4,
};
inline constexpr std::uint32_t snapshot_tables_max = 8;

// One table as a snapshot sees it: `bytes` of elements of `element_bytes` from `base`.
struct snapshot_table_span {
    const std::byte* base = nullptr;
    std::uint64_t bytes = 0;
    std::uint32_t element_bytes = 0;
};

class snapshot_guard {
public:
    static constexpr std::uint32_t chunk_shift = 12;
    static constexpr std::uint64_t chunk_bytes = std::uint64_t{1} << chunk_shift;
    // Bytes copy_out hands over at a time (the last piece may be shorter).
    static constexpr std::uint64_t piece_bytes = std::uint64_t{1} << 20;

    // `capacity_bytes[t]`: the most bytes table t can ever hold (its element capacity).
    explicit snapshot_guard(std::span<const std::uint64_t> capacity_bytes);
    ~snapshot_guard();
    snapshot_guard(const snapshot_guard&) = delete;
    snapshot_guard& operator=(const snapshot_guard&) = delete;

    // Sequencer: a new snapshot of `tables` (one span per snapshot_table, in order) as they
    // are now. O(1): no copying. The previous snapshot's copy_out must have returned.
    void start(std::span<const snapshot_table_span> tables) noexcept;

    // Sequencer, before changing element `element` of `table`: copies the chunks holding it
    // to the pool unless they were streamed or copied already. A write past the table's
    // length at start() changes nothing the snapshot holds and copies nothing.
    void before_write(snapshot_table table, std::uint64_t element) noexcept;

    // Writer thread: the snapshot's tables as they were at start(), in order, handed to
    // out(std::span<const std::byte>) in pieces of piece_bytes; out returns false to stop
    // (a write failed). Every chunk is settled when it returns, however it returned, so
    // before_write() finds nothing more to copy until the next start().
    template <class Out>
    bool copy_out(Out&& out);

    // Chunks the sequencer copied for the last snapshot, and the bytes (writer thread, or
    // the sequencer once copy_out has returned).
    std::uint64_t sequencer_chunks() const noexcept {
        return next_slot_.load(std::memory_order_acquire);
    }

private:
    // A chunk's state word: the snapshot (epoch) it was settled for, its phase, and the
    // pool slot + 1 holding its copy (0: the writer streamed it from the table itself).
    // A word from an earlier epoch means "not yet settled for this snapshot".
    static constexpr std::uint64_t phase_writer_copying = 1;
    static constexpr std::uint64_t phase_sequencer_copying = 2;
    static constexpr std::uint64_t phase_settled = 3;
    static std::uint64_t word(std::uint64_t epoch, std::uint64_t phase,
                              std::uint64_t slot) noexcept {
        ORDO_ASSERT(phase <= 3);
        ORDO_ASSERT(slot < (std::uint64_t{1} << 30));
        return epoch << 32 | phase << 30 | slot;
    }
    static std::uint64_t epoch_of(std::uint64_t w) noexcept { return w >> 32; }
    static std::uint64_t phase_of(std::uint64_t w) noexcept { return (w >> 30) & 3; }
    static std::uint64_t slot_of(std::uint64_t w) noexcept { return w & ((1u << 30) - 1); }

    struct table_state {
        snapshot_table_span span;  // as at start()
        std::uint64_t chunk_count = 0;  // chunks of span.bytes
        std::uint64_t chunk_capacity = 0;
        std::unique_ptr<std::atomic<std::uint64_t>[]> chunks;
    };

    void copy_for_sequencer(table_state& t, std::uint64_t chunk) noexcept;
    // Writer: the chunk's bytes as at start() into `into` (chunk_bytes at most).
    std::uint64_t take_chunk(table_state& t, std::uint64_t chunk, std::byte* into) noexcept;
    static std::uint64_t valid_bytes(const table_state& t, std::uint64_t chunk) noexcept {
        ORDO_ASSERT(chunk < t.chunk_count);
        const std::uint64_t from = chunk << chunk_shift;
        return t.span.bytes - from < chunk_bytes ? t.span.bytes - from : chunk_bytes;
    }

    table_state tables_[snapshot_tables_max];
    std::uint32_t table_count_ = 0;
    std::uint64_t epoch_ = 0;  // the snapshot being taken (sequencer writes at start())
    std::byte* pool_ = nullptr;  // pool_slots_ chunks, touched only where copies land
    std::uint64_t pool_slots_ = 0;
    std::atomic<std::uint64_t> next_slot_{0};  // the sequencer's next pool slot
    std::unique_ptr<std::byte[]> piece_;  // the writer's piece being filled
};

template <class Out>
bool snapshot_guard::copy_out(Out&& out) {
    ORDO_ASSERT(epoch_ > 0);
    std::uint64_t filled = 0;
    bool ok = true;
    for (std::uint32_t i = 0; i < table_count_; i++) {
        table_state& t = tables_[i];
        for (std::uint64_t c = 0; c < t.chunk_count; c++) {
            if (!ok) {
                take_chunk(t, c, nullptr);  // settle it: nothing is written any more
                continue;
            }
            if (filled + chunk_bytes > piece_bytes) {
                ok = out(std::span<const std::byte>(piece_.get(), filled));
                filled = 0;
            }
            filled += take_chunk(t, c, ok ? piece_.get() + filled : nullptr);
        }
    }
    if (ok && filled > 0) ok = out(std::span<const std::byte>(piece_.get(), filled));
    return ok;
}

}  // namespace ordo::engine
