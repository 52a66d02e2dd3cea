#include "engine/replay.h"

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "engine/big_array.h"
#include "engine/apply.h"
#include "base/wait/backoff.h"
#include "base/cpu.h"

namespace ordo::engine {
namespace {

// Batches the reader thread may be ahead of the applier: enough to ride out a slow batch
// on either side, few enough (at most 1 MiB each) that the applier finds their records
// still in the last-level cache, where the reader's checksum brought them.
constexpr std::uint32_t slots_count = 4;

// One batch on its way from the reader thread to the applier. The body stays where the
// reader mapped it (a copy cost as much as the checksum): the reader keeps every segment
// a slot may point into mapped (journal::reader::keep_mapped_segments).
struct slot {
    std::uint64_t batch_number = 0;
    const std::byte* body = nullptr;
    std::uint32_t body_bytes = 0;
    std::uint32_t record_count = 0;
};

// Counters on their own lines: each is written by one side and polled by the other.
struct handoff {
    // Slots published by the reader, and released by the applier.
    alignas(base::false_sharing_bytes) std::atomic<std::uint64_t> filled{0};
    alignas(base::false_sharing_bytes) std::atomic<std::uint64_t> applied{0};
    // Set by the reader after its last slot; reader_error is written before it.
    alignas(base::false_sharing_bytes) std::atomic<bool> reader_done{false};
    std::optional<std::string> reader_error;
    std::atomic<bool> stop{false};  // the applier failed: stop reading
};

std::optional<std::string> why_not_applied(const replay_result& replayed,
                                           std::uint64_t batch_number) {
    if (replayed.unknown) {
        return "batch " + std::to_string(batch_number) + " holds a record of type " +
               std::to_string(replayed.unknown->type) + " version " +
               std::to_string(replayed.unknown->schema_version) +
               " that this ordo does not know: upgrade ordo";
    }
    switch (replayed.result) {
        case apply_result::applied: return std::nullopt;
        case apply_result::conferences_full:
            return "the journal holds more conferences than --conferences-max: raise it";
        case apply_result::reservations_full:
            return "the journal holds more reservations than --reservations-max: raise it";
    }
    return "unknown apply result";
}

// The reader thread: verify a batch, wait for a free slot, publish it. (Finding the
// reservations' records ran here too until records were reused: which record a hold takes
// now depends on the frees the applier makes, so the applier finds them itself.)
// With a stop point, the batch that holds it is cut right after the point's command and is
// the last one published.
void read_batches(journal::reader& reader, std::vector<slot>& slots, handoff& h,
                  const replay_stop* stop, std::uint64_t commands_before) {
    base::backoff wait;
    std::uint64_t filled = 0;
    for (;;) {
        auto batch = reader.next();
        if (!batch) {
            h.reader_error = batch.error().message();
            break;
        }
        if (!batch->has_value()) break;
        const journal::batch_view& b = **batch;
        std::span<const std::byte> body = b.body;
        std::uint32_t record_count = b.record_count;
        bool last = false;
        if (stop != nullptr) {
            const batch_prefix prefix =
                records_before_stop(body, record_count, commands_before, *stop);
            if (prefix.records == 0) break;
            last = prefix.records < record_count;
            body = body.first(prefix.bytes);
            record_count = prefix.records;
        }
        bool stopped = false;
        while (filled - h.applied.load(std::memory_order_acquire) == slots.size()) {
            stopped = h.stop.load(std::memory_order_relaxed);
            if (stopped) break;
            wait.idle();
        }
        if (stopped) break;
        wait.reset();
        slot& s = slots[filled % slots.size()];
        ORDO_ASSERT(b.body.size() <= journal::batch_bytes_max);
        s.body = body.data();
        s.batch_number = b.batch_number;
        s.body_bytes = static_cast<std::uint32_t>(body.size());
        s.record_count = record_count;
        filled++;
        h.filled.store(filled, std::memory_order_release);
        if (last) break;  // the stop point cut this batch
    }
    h.reader_done.store(true, std::memory_order_release);
}

}  // namespace

replay_result replay_records(booking_state& state, std::span<const std::byte> body,
                             std::uint32_t record_count) {
    return apply_records(state, body, record_count);
}

std::expected<replay_totals, std::string> replay_journal(journal::reader& reader,
                                                         booking_state& state,
                                                         const replay_progress& on_progress,
                                                         const replay_stop* stop) {
    if (stop != nullptr) ORDO_ASSERT(!past_stop(state, *stop));
    std::vector<slot> slots(slots_count);
    // A slot's batch and the one the reader is returning: slots_count + 1 segments at most.
    static_assert(slots_count + 1 <= journal::reader::kept_segments_max);
    reader.keep_mapped_segments(slots_count + 1);
    handoff h;
    // Read here, before the applier starts changing it.
    const std::uint64_t commands_before = state.commands;
    std::jthread reader_thread([&] { read_batches(reader, slots, h, stop, commands_before); });
    replay_totals totals;
    base::backoff wait;
    std::uint64_t applied = 0;
    base::progress_timer progress(on_progress);
    for (;;) {
        if (applied == h.filled.load(std::memory_order_acquire)) {
            // reader_done comes after the last publish: one more look at filled settles it.
            if (h.reader_done.load(std::memory_order_acquire) &&
                applied == h.filled.load(std::memory_order_acquire)) {
                break;
            }
            wait.idle();
            continue;
        }
        wait.reset();
        const slot& s = slots[applied % slots.size()];
        const replay_result replayed =
            apply_records(state, std::span<const std::byte>(s.body, s.body_bytes),
                          s.record_count);
        totals.records += replayed.applied;
        if (auto failed = why_not_applied(replayed, s.batch_number)) {
            h.stop.store(true, std::memory_order_relaxed);
            reader_thread.join();
            return std::unexpected(*failed);
        }
        totals.batches++;
        applied++;
        h.applied.store(applied, std::memory_order_release);
        progress.step(totals);
    }
    reader_thread.join();
    if (h.reader_error) return std::unexpected(*h.reader_error);
    return totals;
}

}  // namespace ordo::engine
