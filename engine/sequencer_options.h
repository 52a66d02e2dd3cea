#pragma once
// Configuration of the sequencer, checked at the boundary by validate().

#include <cstdint>
#include <optional>
#include <string>

#include "engine/limits.h"

namespace ordo::engine {

struct sequencer_options {
    std::uint32_t producers = 1;
    std::uint32_t command_ring_slots = 1u << 16;  // per producer, 64-byte slots
    // Per producer; also its in-flight window: replies wait in it, written but not yet
    // published, until their batch is durable.
    std::uint32_t reply_ring_slots = 1u << 18;
    std::uint32_t drain_slots_max = 256;          // per producer per round: fairness
    std::uint32_t flush_delay_us = 200;  // the oldest unpublished record waits at most this
    std::uint32_t park_after_us = 2000;  // idle this long, the sequencer sleeps (futex)
    int pin_cpu = -1;                    // -1: let the scheduler place the thread
};

inline constexpr std::uint32_t drain_slots_max_limit = 4096;
static_assert(drain_slots_max_limit <= ring_peek_slots_max);
inline constexpr std::uint32_t flush_delay_us_max = 1'000'000;

std::optional<std::string> validate(const sequencer_options& options);

}  // namespace ordo::engine
