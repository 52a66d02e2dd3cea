#pragma once
// The reservation aggregate: one 64-byte record, one cache line, so a lookup in a table of
// millions costs one miss (which the sequencer prefetches a batch ahead).

#include <cstdint>
#include <type_traits>

#include "engine/limits.h"

namespace ordo::engine {

enum class reservation_status : std::uint8_t { held = 1, confirmed = 2, cancelled = 3, expired = 4 };

// A reserved item: the seat type's index inside its conference (types are never removed,
// so the index is stable) and the quantity (<= reserve_quantity_max, fits 16 bits).
struct reserved_item {
    std::uint8_t type_index;
    std::uint8_t reserved_zero;
    std::uint16_t quantity;
};
static_assert(reserve_quantity_max <= 0xffff);
static_assert(seat_types_per_conference_max <= 0x100);

struct reservation_state {
    std::uint64_t id;  // 0 = empty slot
    std::uint64_t customer;
    std::uint64_t expires_at_ms;
    std::uint32_t conference_index;
    reservation_status status;
    std::uint8_t item_count;
    std::uint16_t reserved_zero;
    reserved_item items[reservation_items_max];
};
static_assert(sizeof(reservation_state) == 64);
static_assert(std::is_trivially_copyable_v<reservation_state>);

}  // namespace ordo::engine
