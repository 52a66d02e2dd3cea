#pragma once
// The commands' ops and their seat items, as the event schema records them
// (command_rejected names the op) and as the workload file spells them. The commands'
// ring layout is the engine's own (engine/command.h).

#include <cstdint>
#include <string_view>

namespace ordo::engine {

enum class op : std::uint8_t {
    create_conference = 1,
    add_seats = 2,
    remove_seats = 3,
    reserve = 4,
    confirm = 5,
    cancel = 6,
    tick = 7,
    close_conference = 8,
};
inline constexpr std::uint8_t op_max = 8;
// Ring filler, never a command: a producer whose next command would run past the end of
// its ring fills the rest with one padding run (slot_count slots), so that every command
// lies in contiguous slots where the sequencer reads it; the sequencer skips the run.
inline constexpr op op_padding = static_cast<op>(0);

// The op's name as the workload file spells it ("create_conference", ...).
inline constexpr std::string_view op_name(op kind) noexcept {
    switch (kind) {
        case op::create_conference: return "create_conference";
        case op::add_seats: return "add_seats";
        case op::remove_seats: return "remove_seats";
        case op::reserve: return "reserve";
        case op::confirm: return "confirm";
        case op::cancel: return "cancel";
        case op::tick: return "tick";
        case op::close_conference: return "close_conference";
    }
    return "unknown";
}

// {seat type: quantity} for reserve, {seat type: capacity} for create_conference,
// and the single (seat_type, quantity) of add_seats / remove_seats.
struct seat_item {
    std::uint32_t quantity;
    std::uint16_t seat_type;
    std::uint16_t reserved_zero;
};
static_assert(sizeof(seat_item) == 8);

}  // namespace ordo::engine
