#pragma once
// Every limit of the journal, named once with its unit (STYLE.md). The reader and the writer
// share these: the torn-tail window of FORMAT.md is derived from them, so changing one is a
// format change.

#include <cstdint>

namespace ordo::journal {

// The unit of on-disk alignment: O_DIRECT needs it, and a batch never shares a block with
// the next, so a torn rewrite of one block cannot destroy an acknowledged batch.
inline constexpr std::uint32_t block_bytes = 4096;

inline constexpr std::uint64_t segment_bytes_default = 256ull << 20;
inline constexpr std::uint64_t segment_bytes_min = 1ull << 20;  // small segments for tests
inline constexpr std::uint64_t segment_bytes_max = 16ull << 30;

// A batch is header + records + zero padding to a block multiple.
inline constexpr std::uint32_t batch_bytes_default = 1u << 20;
inline constexpr std::uint32_t batch_bytes_max = 1u << 20;
// Floor of writer_options::batch_bytes_max: one maximal record always fits a batch.
inline constexpr std::uint32_t batch_bytes_min = 128u << 10;

// Batches submitted but not yet durable. MACHINE.md: 2-4 in flight saturate the disk.
inline constexpr std::uint32_t batches_in_flight_default = 4;
inline constexpr std::uint32_t batches_in_flight_max = 4;

// Batch buffers a writer may keep beyond those in flight: in-process readers take durable
// batches straight from them (reader_gate.h), so each extra buffer lets a reader fall one
// batch further behind before the writer waits for it. 32 MiB at the largest batch rides
// out a reader descheduled for a scheduler slice or two (a few ms) at full rate.
inline constexpr std::uint32_t batch_buffers_max = 32;

// Recovery may cut a torn batch followed by in-flight batches only within this many bytes.
inline constexpr std::uint64_t torn_window_bytes =
    std::uint64_t{batches_in_flight_max} * batch_bytes_max;

// record_header::size_bytes is 16 bits and a multiple of 8.
inline constexpr std::uint32_t record_bytes_max = 65528;
inline constexpr std::uint32_t record_alignment_bytes = 8;

// The segment index and first sequence have fixed widths in file names (FORMAT.md).
inline constexpr std::uint32_t segment_index_max = 999'999;

// The reader maps a segment and walks it; chunked hints keep the kernel reading ahead.
inline constexpr std::uint64_t reader_advise_bytes = 16ull << 20;

// How long a lock whose holder has exited is waited for before it is reported as held:
// the dead writer's io_uring ring keeps it until the writes it had in flight complete, which
// takes a device's write latency, not seconds (file_system::lock_file).
inline constexpr std::uint32_t exited_holder_wait_ms = 10'000;

static_assert((block_bytes & (block_bytes - 1)) == 0, "blocks are a power of two");
static_assert(segment_bytes_min % block_bytes == 0);
static_assert(segment_bytes_default % block_bytes == 0);
static_assert(segment_bytes_default >= segment_bytes_min);
static_assert(segment_bytes_max >= segment_bytes_default);
static_assert(batch_bytes_max % block_bytes == 0);
static_assert(batch_bytes_default <= batch_bytes_max);
static_assert(batch_bytes_max <= segment_bytes_min, "a batch always fits an empty segment");
static_assert(batches_in_flight_default <= batches_in_flight_max);
static_assert(batches_in_flight_max >= 1);
static_assert(batch_buffers_max >= batches_in_flight_max);
static_assert(record_bytes_max % record_alignment_bytes == 0);
static_assert(record_bytes_max <= 0xffff);
static_assert(record_bytes_max + 96 <= batch_bytes_min, "one maximal record fits any batch");
static_assert(batch_bytes_min % block_bytes == 0);

}  // namespace ordo::journal
