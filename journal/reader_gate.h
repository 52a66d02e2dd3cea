#pragma once
// The gate between the journal writer and the readers attached to it in the same process
// (the LMAX Disruptor's sequence barrier, with the writer's batch buffers as the ring).
// A reader sees a batch only once the writer's durable watermark has passed it, straight
// in the writer's buffer (no copy), and the writer reuses that buffer only after every
// attached reader has released the batch: a reader is never overrun and never skips, and
// a slow one holds the writer back, by at most the writer's buffers (writer_options::
// batch_buffers, up to batch_buffers_max) of batches (journal/README.md, "In-process
// readers", says why back-pressure).
//
// Protocol, every step one atomic with its order named:
// - writer, publish(): describe(slot) writes the batch's descriptor (plain stores; the slot
//   is free: every reader released the batch that used it before);
// - writer, when the watermark moves: publish_durable() stamps the newly durable batches'
//   time, then stores the durable count with release;
// - reader: loads the durable count with acquire, reads descriptor and buffer, and stores
//   its released count with release when done;
// - writer, claim(): loads each reader's released count with acquire before it writes the
//   slot again.
// A reader that stops early detaches (released = all), so it never holds the writer.
// A reader with nothing to read spins briefly, then parks (base::parker, one each): the
// writer's durable store is followed by wake_if_parked() on each reader's parker (a fence
// and a load when none sleeps; a futex wake when one does). Spinning or yielding readers
// would take the CPU from the producers and the journal's workers on a small machine.
//
// Thread: one writer thread (the sequencer's) and one thread per reader index. Lifecycle:
// built with the reader count before the writer's first batch, writer::attach_readers(),
// then the readers' threads start (they read slot_count_ unsynchronised) and run; close()
// after the writer's close() (or its failure); the readers stop before the writer (whose
// buffers they read) is destroyed.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>

#include "base/assert.h"
#include "base/cpu.h"
#include "base/wait/parker.h"
#include "journal/durable_batch.h"
#include "journal/limits.h"

namespace ordo::journal {

class reader_gate {
public:
    static constexpr std::uint32_t readers_max = 4;

    // A batch as the writer published it, and when it became durable.
    struct slot_record {
        durable_batch batch;
        std::uint64_t durable_ns = 0;  // base::monotonic_ns() when the watermark passed it
    };

    // `readers` attach (1..readers_max); the writer continues the journal at `start`
    // (writer::position() before its first batch), where every reader starts.
    reader_gate(std::uint32_t readers, const journal_position& start) noexcept
        : readers_(readers), start_(start), published_(start.next_batch_number) {
        ORDO_ASSERT(readers >= 1);
        ORDO_ASSERT(readers <= readers_max);
        durable_batches_.value.store(start.next_batch_number, std::memory_order_relaxed);
        durable_sequence_.value.store(start.next_sequence, std::memory_order_relaxed);
        for (auto& r : released_) r.value.store(start.next_batch_number, std::memory_order_relaxed);
    }
    reader_gate(const reader_gate&) = delete;
    reader_gate& operator=(const reader_gate&) = delete;

    std::uint32_t readers() const noexcept { return readers_; }
    const journal_position& start() const noexcept { return start_; }

    // --- The writer's thread ---
    void attach(std::uint32_t slot_count) noexcept {
        ORDO_ASSERT(slot_count >= 1);
        ORDO_ASSERT(slot_count <= batch_buffers_max);
        ORDO_ASSERT(slot_count_ == 0);  // one writer, attached once
        slot_count_ = slot_count;
    }
    void describe(const durable_batch& batch) noexcept {
        ORDO_ASSERT(slot_count_ > 0);
        ORDO_ASSERT(batch.batch_number >= published_);  // not durable yet: no reader sees it
        slots_[batch.batch_number % slot_count_].batch = batch;
    }
    // Batches [.., durable_batches) are durable; records before durable_sequence.
    void publish_durable(std::uint64_t durable_batches, std::uint64_t durable_sequence,
                         std::uint64_t now_ns) noexcept {
        ORDO_ASSERT(durable_batches >= published_);
        ORDO_ASSERT(durable_batches - published_ <= slot_count_);
        for (std::uint64_t b = published_; b < durable_batches; b++) {
            ORDO_ASSERT(slots_[b % slot_count_].batch.batch_number == b);
            slots_[b % slot_count_].durable_ns = now_ns;
        }
        published_ = durable_batches;
        durable_sequence_.value.store(durable_sequence, std::memory_order_relaxed);
        durable_batches_.value.store(durable_batches, std::memory_order_release);
        for (std::uint32_t r = 0; r < readers_; r++) parkers_[r].value.wake_if_parked();
    }
    // The batches every reader has released: [.., released_min()).
    std::uint64_t released_min() const noexcept {
        std::uint64_t least = released_[0].value.load(std::memory_order_acquire);
        for (std::uint32_t r = 1; r < readers_; r++) {
            least = std::min(least, released_[r].value.load(std::memory_order_acquire));
        }
        return least;
    }
    // No batch follows the durable ones: called by the writer's owner after close() or a
    // failure, so that the readers end.
    void close() noexcept {
        closed_.value.store(1, std::memory_order_release);
        for (std::uint32_t r = 0; r < readers_; r++) parkers_[r].value.wake();
    }

    // --- Reader `index`'s thread ---
    std::uint64_t durable_batches() const noexcept {
        return durable_batches_.value.load(std::memory_order_acquire);
    }
    std::uint64_t durable_sequence() const noexcept {
        return durable_sequence_.value.load(std::memory_order_relaxed);
    }
    bool closed() const noexcept { return closed_.value.load(std::memory_order_acquire) != 0; }
    // Valid for a durable batch the reader has not released.
    const slot_record& slot_of(std::uint64_t batch) const noexcept {
        ORDO_ASSERT(slot_count_ > 0);
        return slots_[batch % slot_count_];
    }
    void release(std::uint32_t index, std::uint64_t batch_count) noexcept {
        ORDO_ASSERT(index < readers_);
        ORDO_ASSERT(batch_count <= durable_batches());
        released_[index].value.store(batch_count, std::memory_order_release);
    }
    // Where reader `index` sleeps while nothing is durable (gated_reader::wait()).
    base::parker& parker_of(std::uint32_t index) noexcept {
        ORDO_ASSERT(index < readers_);
        return parkers_[index].value;
    }
    // The reader stops early: the writer no longer waits for it.
    void detach(std::uint32_t index) noexcept {
        ORDO_ASSERT(index < readers_);
        released_[index].value.store(UINT64_MAX, std::memory_order_release);
    }

private:
    struct alignas(base::false_sharing_bytes) padded_counter {
        std::atomic<std::uint64_t> value{0};
    };
    static_assert(sizeof(padded_counter) == base::false_sharing_bytes);

    const std::uint32_t readers_;
    const journal_position start_;
    std::uint32_t slot_count_ = 0;      // set by attach(), before any reader reads
    std::uint64_t published_;           // writer only: durable count published so far
    std::array<slot_record, batch_buffers_max> slots_{};
    padded_counter durable_batches_;
    padded_counter durable_sequence_;
    padded_counter closed_;
    std::array<padded_counter, readers_max> released_;
    // Symmetric fences: membarrier (the default) would interrupt the sequencer's CPU each
    // time a reader parks, thousands of times a second.
    struct reader_parker {
        base::parker value{base::parker_fence::symmetric};
    };
    std::array<reader_parker, readers_max> parkers_;
};

}  // namespace ordo::journal
