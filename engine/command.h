#pragma once
// Commands as they travel from producers to the sequencer. A command is one to nine
// 64-byte slots: slot 0 (command_header) holds the fields and the first seat items, each
// extension slot holds eight more. Most commands (everything but large conferences and
// reservations of more than three seat types) fit in one slot = one cache line.

#include <array>
#include <cstdint>
#include <span>
#include <type_traits>

#include "engine/limits.h"
#include "engine/schema/op.h"
#include "base/assert.h"

namespace ordo::engine {


inline constexpr std::uint32_t header_items = 3;
inline constexpr std::uint32_t extension_items = 8;

struct command_header {
    op kind;
    // Items carried; command_items_max (= 65) means "more than any op accepts".
    std::uint8_t item_count;
    std::uint8_t slot_count;  // 1 + extension slots; the whole command is published at once
    std::uint8_t reserved_zero;
    std::uint32_t hold_ttl_ms;  // create_conference only (the default already applied)
    std::uint64_t t_ms;
    std::uint64_t conference;
    std::uint64_t reservation;
    std::uint64_t customer;
    seat_item items[header_items];
};
static_assert(sizeof(command_header) == 64);
static_assert(std::is_trivially_copyable_v<command_header>);

union alignas(64) command_slot {
    command_header header;
    seat_item items[extension_items];
};
static_assert(sizeof(command_slot) == 64);
static_assert(std::is_trivially_copyable_v<command_slot>);

inline constexpr std::uint32_t command_slot_count(std::uint32_t item_count) noexcept {
    return item_count <= header_items
               ? 1
               : 1 + (item_count - header_items + extension_items - 1) / extension_items;
}
inline constexpr std::uint32_t command_slots_max = command_slot_count(command_items_max);
static_assert(command_slots_max == 9);

// A whole command as the parser, producers and tests build it.
struct command {
    op kind = op::tick;
    std::uint64_t t_ms = 0;
    std::uint64_t conference = 0;
    std::uint64_t reservation = 0;
    std::uint64_t customer = 0;
    std::uint32_t hold_ttl_ms = 0;
    std::uint32_t item_count = 0;
    std::array<seat_item, command_items_max> items{};

    void add_item(std::uint16_t seat_type, std::uint32_t quantity) noexcept {
        // Past the limit only the count grows: the decision needs "too many", not the rest.
        if (item_count < command_items_max) {
            items[item_count] = seat_item{.quantity = quantity, .seat_type = seat_type,
                                          .reserved_zero = 0};
            item_count++;
        }
    }
    std::uint32_t slot_count() const noexcept { return command_slot_count(item_count); }
};

// Lays `c` into its slots; returns how many were written (out must hold slot_count()).
std::uint32_t encode(const command& c, std::span<command_slot> out) noexcept;
// The inverse of encode(), for tests, tools and the replay of rejected commands.
command decode(std::span<const command_slot> slots) noexcept;

// Read access to an encoded command that lies in contiguous slots.
class command_view {
public:
    explicit command_view(const command_slot* slots) noexcept : slots_(slots) {
        ORDO_ASSERT(slots_[0].header.slot_count >= 1);
        ORDO_ASSERT(slots_[0].header.slot_count <= command_slots_max);
    }
    const command_header& header() const noexcept { return slots_[0].header; }
    std::uint32_t item_count() const noexcept { return slots_[0].header.item_count; }
    seat_item item(std::uint32_t index) const noexcept {
        ORDO_ASSERT(index < item_count());
        if (index < header_items) return slots_[0].header.items[index];
        const std::uint32_t rest = index - header_items;
        return slots_[1 + rest / extension_items].items[rest % extension_items];
    }

private:
    const command_slot* slots_;
};

// Convenience constructors, used by the simulator, tests and benchmarks.
command make_create_conference(std::uint64_t t_ms, std::uint64_t conference,
                               std::span<const seat_item> seats,
                               std::uint32_t hold_ttl_ms = hold_ttl_ms_default) noexcept;
command make_seats_change(op kind, std::uint64_t t_ms, std::uint64_t conference,
                          std::uint16_t seat_type, std::uint32_t quantity) noexcept;
command make_reserve(std::uint64_t t_ms, std::uint64_t conference, std::uint64_t reservation,
                     std::uint64_t customer, std::span<const seat_item> seats) noexcept;
command make_reservation_op(op kind, std::uint64_t t_ms, std::uint64_t reservation) noexcept;
command make_tick(std::uint64_t t_ms) noexcept;
command make_close_conference(std::uint64_t t_ms, std::uint64_t conference) noexcept;

}  // namespace ordo::engine
