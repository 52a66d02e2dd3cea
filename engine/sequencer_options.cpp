#include "engine/sequencer_options.h"

#include "engine/command.h"

#include <bit>

namespace ordo::engine {
namespace {
bool ring_size_ok(std::uint32_t slots) {
    return std::has_single_bit(slots) && slots >= ring_slots_min && slots <= ring_slots_max;
}
}  // namespace

std::optional<std::string> validate(const sequencer_options& o) {
    if (o.producers < 1 || o.producers > producers_max) {
        return "--producers must be 1.." + std::to_string(producers_max);
    }
    if (!ring_size_ok(o.command_ring_slots) || !ring_size_ok(o.reply_ring_slots)) {
        return "ring slots must be a power of two in " + std::to_string(ring_slots_min) + ".." +
               std::to_string(ring_slots_max);
    }
    if (o.drain_slots_max < command_slots_max || o.drain_slots_max > drain_slots_max_limit) {
        return "drain slots must be " + std::to_string(command_slots_max) + ".." +
               std::to_string(drain_slots_max_limit);
    }
    if (o.flush_delay_us > flush_delay_us_max) {
        return "--flush-delay-us must be 0.." + std::to_string(flush_delay_us_max);
    }
    return std::nullopt;
}

}  // namespace ordo::engine
