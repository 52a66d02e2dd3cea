#pragma once
// What the sequencer sends back to a producer for each command, in that producer's order,
// once the command's batch is durable. Eight bytes: the outcome and the command's global
// sequence number (its position among all commands ever sequenced).

#include <cstdint>

#include "engine/schema/outcome.h"
#include "base/assert.h"

namespace ordo::engine {

struct reply {
    std::uint64_t bits = 0;

    static constexpr std::uint64_t sequence_max = (1ull << 56) - 1;
    static reply make(outcome result, std::uint64_t command_sequence) noexcept {
        ORDO_ASSERT(command_sequence <= sequence_max);
        return reply{(command_sequence << 8) | static_cast<std::uint64_t>(result)};
    }
    outcome result() const noexcept { return static_cast<outcome>(bits & 0xff); }
    std::uint64_t command_sequence() const noexcept { return bits >> 8; }
};
static_assert(sizeof(reply) == 8);

}  // namespace ordo::engine
