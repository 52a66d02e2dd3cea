#pragma once
// On-disk layout of a batch header, version 1 (journal/FORMAT.md is the reference). All
// integers are little-endian; the structs are written as-is, so the build asserts a
// little-endian target and layouts without padding.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "journal/checksum.h"
#include "journal/limits.h"

namespace ordo::journal {

static_assert(std::endian::native == std::endian::little, "the format is little-endian");

inline constexpr std::uint64_t batch_magic = 0x314c4e4a4f44524full;  // "ORDOJNL1"
inline constexpr std::uint16_t batch_format_version = 1;

// Batch 0 chains to this fixed value (all zero), so a default journal_position is the
// position of an empty journal.
inline constexpr checksum128 chain_origin{};

struct batch_header {
    std::uint64_t magic;
    std::uint16_t version;
    std::uint16_t reserved_zero;
    std::uint32_t segment_index;      // the file this batch belongs to: stale bytes of
                                      // another segment never verify here
    std::uint64_t batch_number;       // 0-based, global, +1 per batch
    std::uint64_t first_sequence;     // 0-based, global sequence of the first record
    std::uint32_t record_count;
    std::uint32_t body_bytes;         // records only; padding follows up to a block multiple
    std::uint64_t time_ms;            // given by the caller (domain time, not a clock)
    checksum128 previous_header_checksum;  // hash chain: header_checksum of batch - 1
    checksum128 body_checksum;             // over exactly body_bytes
    checksum128 header_checksum;           // over every header byte before this field
};
static_assert(sizeof(batch_header) == 96);
static_assert(alignof(batch_header) == 8);
static_assert(std::has_unique_object_representations_v<batch_header>);
static_assert(offsetof(batch_header, header_checksum) == sizeof(batch_header) - 16);

inline constexpr std::uint32_t batch_header_bytes = sizeof(batch_header);
inline constexpr std::uint32_t header_checked_bytes = offsetof(batch_header, header_checksum);
static_assert(batch_header_bytes % record_alignment_bytes == 0, "records stay 8-aligned");

inline constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) noexcept {
    return (value + alignment - 1) / alignment * alignment;
}

// Bytes a batch occupies on disk: header + body, zero-padded to whole blocks.
inline constexpr std::uint64_t batch_disk_bytes(std::uint32_t body_bytes) noexcept {
    return align_up(std::uint64_t{batch_header_bytes} + body_bytes, block_bytes);
}

inline checksum128 header_checksum_of(const batch_header& header) noexcept {
    return checksum(&header, header_checked_bytes);
}

// Copies a header out of the bytes (they may be unaligned in a mapping).
inline batch_header load_batch_header(std::span<const std::byte> bytes) noexcept {
    batch_header header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    return header;
}

// True when the header is self-consistent: magic, version and its own checksum. Only then
// may body_bytes be trusted (STYLE.md: header checksum before length).
inline bool header_self_consistent(const batch_header& header) noexcept {
    if (header.magic != batch_magic) return false;
    if (header.header_checksum != header_checksum_of(header)) return false;
    return true;
}

}  // namespace ordo::journal
