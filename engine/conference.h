#pragma once
// The conference aggregate: seat types with capacity and the seats held and confirmed, and
// whether its sale is closed (close_conference: for good).
// The type ids are stored together so the seat-type lookup scans contiguous bytes; each
// type's three counters are stored together, so deciding and applying a reservation of
// one type touches two cache lines of its conference (header + ids, then the counters).

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "engine/limits.h"
#include "base/assert.h"

namespace ordo::engine {

inline constexpr std::uint32_t seat_type_index_none = 0xffff'ffffu;

struct seat_counts {
    std::uint32_t capacity;
    std::uint32_t held;
    std::uint32_t confirmed;
};
static_assert(sizeof(seat_counts) == 12);

struct conference_state {
    std::uint64_t id;  // 0 = unused record
    std::uint32_t hold_ttl_ms;
    std::uint16_t type_count;  // seat types in creation order; never removed
    // 1 once its sale is closed (never reopened), else 0. In the header's first 16 bytes,
    // which every decide about the conference reads anyway (id and type_count).
    std::uint8_t closed;
    std::uint8_t reserved_zero;
    std::uint16_t type_ids[seat_types_per_conference_max];
    seat_counts seats[seat_types_per_conference_max];  // by type index

    std::uint32_t find_type(std::uint16_t seat_type) const noexcept {
        ORDO_ASSERT(type_count <= seat_types_per_conference_max);
#if defined(__AVX2__)
        // 16 ids per compare: one step for the usual handful of types. Unused ids are 0
        // and a match at or past type_count is no match, so a seat type 0 finds nothing.
        const __m256i needle = _mm256_set1_epi16(static_cast<short>(seat_type));
        for (std::uint32_t base = 0; base < type_count; base += 16) {
            const __m256i ids =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(type_ids + base));
            const auto hits =
                static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(ids, needle)));
            if (hits == 0) continue;
            const std::uint32_t index = base + static_cast<std::uint32_t>(__builtin_ctz(hits)) / 2;
            return index < type_count ? index : seat_type_index_none;
        }
        return seat_type_index_none;
#else
        for (std::uint32_t i = 0; i < type_count; i++) {
            if (type_ids[i] == seat_type) return i;
        }
        return seat_type_index_none;
#endif
    }
    std::uint32_t available(std::uint32_t index) const noexcept {
        ORDO_ASSERT(index < type_count);
        const seat_counts& s = seats[index];
        const std::uint64_t taken = std::uint64_t{s.held} + s.confirmed;
        ORDO_ASSERT(taken <= s.capacity);  // available never below 0
        return s.capacity - static_cast<std::uint32_t>(taken);
    }
};
static_assert(std::is_trivially_copyable_v<conference_state>);
static_assert(std::has_unique_object_representations_v<conference_state>);  // snapshot bytes
static_assert(sizeof(conference_state) == 16 + 128 + 64 * sizeof(seat_counts));
static_assert(offsetof(conference_state, closed) < 16, "closed shares the id's 16 bytes");
static_assert(seat_types_per_conference_max <= 0xffff, "type_count fits 16 bits");
static_assert(seat_types_per_conference_max % 16 == 0, "find_type loads 16 ids at a time");

}  // namespace ordo::engine
