#include "engine/snapshot_guard.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

#include "base/cpu.h"

namespace ordo::engine {

snapshot_guard::snapshot_guard(std::span<const std::uint64_t> capacity_bytes)
    : table_count_(static_cast<std::uint32_t>(capacity_bytes.size())),
      piece_(new std::byte[piece_bytes]) {
    ORDO_ASSERT(!capacity_bytes.empty());
    ORDO_ASSERT(capacity_bytes.size() <= snapshot_tables_max);
    for (std::uint32_t i = 0; i < table_count_; i++) {
        table_state& t = tables_[i];
        t.chunk_capacity = (capacity_bytes[i] + chunk_bytes - 1) >> chunk_shift;
        t.chunks = std::make_unique<std::atomic<std::uint64_t>[]>(t.chunk_capacity);
        for (std::uint64_t c = 0; c < t.chunk_capacity; c++) {
            t.chunks[c].store(0, std::memory_order_relaxed);  // epoch 0: never settled
        }
        pool_slots_ += t.chunk_capacity;
    }
    ORDO_ASSERT(pool_slots_ < (std::uint64_t{1} << 30));
    // Room for every chunk of every table: a snapshot copies each at most once, so the
    // sequencer never waits for room. Only the pages copies land in are ever touched, and
    // small pages on purpose: a huge page's first touch zeroes 2 MiB while the sequencer
    // waits.
    const std::uint64_t bytes = pool_slots_ << chunk_shift;
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();  // start-up only
    ::madvise(memory, bytes, MADV_NOHUGEPAGE);  // a hint only
    pool_ = static_cast<std::byte*>(memory);
}

snapshot_guard::~snapshot_guard() {
    if (pool_ != nullptr) ::munmap(pool_, pool_slots_ << chunk_shift);
}

void snapshot_guard::start(std::span<const snapshot_table_span> tables) noexcept {
    ORDO_ASSERT(tables.size() == table_count_);
    epoch_++;
    ORDO_ASSERT(epoch_ < (std::uint64_t{1} << 32));
    for (std::uint32_t i = 0; i < table_count_; i++) {
        table_state& t = tables_[i];
        const snapshot_table_span& span = tables[i];
        ORDO_ASSERT(span.element_bytes > 0);
        ORDO_ASSERT(span.base != nullptr || span.bytes == 0);
        t.span = span;
        t.chunk_count = (span.bytes + chunk_bytes - 1) >> chunk_shift;
        ORDO_ASSERT(t.chunk_count <= t.chunk_capacity);
    }
    // The writer learns of the start through the snapshotter's hand-off (a mutex), which
    // orders these stores before its reads.
    next_slot_.store(0, std::memory_order_relaxed);
}

void snapshot_guard::before_write(snapshot_table table, std::uint64_t element) noexcept {
    const auto index = static_cast<std::uint32_t>(table);
    ORDO_ASSERT(index < table_count_);
    table_state& t = tables_[index];
    const std::uint64_t from = element * t.span.element_bytes;
    if (from >= t.span.bytes) return;  // not in the snapshot: the write cannot change it
    const std::uint64_t last = std::min(from + t.span.element_bytes, t.span.bytes) - 1;
    for (std::uint64_t c = from >> chunk_shift; c <= last >> chunk_shift; c++) {
        const std::uint64_t w = t.chunks[c].load(std::memory_order_acquire);
        if (epoch_of(w) == epoch_ && phase_of(w) == phase_settled) continue;  // the usual case
        copy_for_sequencer(t, c);
    }
}

void snapshot_guard::copy_for_sequencer(table_state& t, std::uint64_t chunk) noexcept {
    std::atomic<std::uint64_t>& state = t.chunks[chunk];
    for (;;) {
        std::uint64_t w = state.load(std::memory_order_acquire);
        if (epoch_of(w) == epoch_) {
            if (phase_of(w) == phase_settled) return;
            // The writer is copying this very chunk (one 4 KiB memcpy): wait for it.
            ORDO_ASSERT(phase_of(w) == phase_writer_copying);
            base::cpu_relax();
            continue;
        }
        if (!state.compare_exchange_weak(w, word(epoch_, phase_sequencer_copying, 0),
                                         std::memory_order_acquire, std::memory_order_acquire)) {
            continue;  // the writer claimed it meanwhile
        }
        const std::uint64_t slot = next_slot_.load(std::memory_order_relaxed);
        ORDO_ASSERT(slot < pool_slots_);  // each chunk once per snapshot: the pool has room
        std::memcpy(pool_ + (slot << chunk_shift), t.span.base + (chunk << chunk_shift),
                    valid_bytes(t, chunk));
        next_slot_.store(slot + 1, std::memory_order_release);
        state.store(word(epoch_, phase_settled, slot + 1), std::memory_order_release);
        return;
    }
}

std::uint64_t snapshot_guard::take_chunk(table_state& t, std::uint64_t chunk,
                                         std::byte* into) noexcept {
    std::atomic<std::uint64_t>& state = t.chunks[chunk];
    const std::uint64_t bytes = valid_bytes(t, chunk);
    for (;;) {
        std::uint64_t w = state.load(std::memory_order_acquire);
        if (epoch_of(w) == epoch_) {
            // The sequencer copied it (its only way to settle one): take the pool's copy.
            if (phase_of(w) == phase_settled) {
                ORDO_ASSERT(slot_of(w) >= 1);
                if (into != nullptr) {
                    std::memcpy(into, pool_ + ((slot_of(w) - 1) << chunk_shift), bytes);
                }
                return bytes;
            }
            ORDO_ASSERT(phase_of(w) == phase_sequencer_copying);
            base::cpu_relax();  // one 4 KiB memcpy away
            continue;
        }
        if (!state.compare_exchange_weak(w, word(epoch_, phase_writer_copying, 0),
                                         std::memory_order_acquire, std::memory_order_acquire)) {
            continue;
        }
        // Claimed: the sequencer waits before changing this chunk until it is settled.
        if (into != nullptr) std::memcpy(into, t.span.base + (chunk << chunk_shift), bytes);
        state.store(word(epoch_, phase_settled, 0), std::memory_order_release);
        return bytes;
    }
}

}  // namespace ordo::engine
