#pragma once
// Which ring implementation the sequencer is instantiated with: a start-up choice (command
// line, benchmark name), never changed while running.

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/assert.h"

namespace ordo::base {

enum class ring_kind : std::uint8_t {
    own,    // spsc_ring: padded indices with cached peer copies
    boost,  // boost_ring: boost::lockfree::spsc_queue, the reference
};

inline std::string_view ring_kind_name(ring_kind kind) noexcept {
    switch (kind) {
        case ring_kind::own: return "own";
        case ring_kind::boost: return "boost";
    }
    // A value outside the enum is memory corruption or a bad cast, never user input.
    ORDO_ASSERT(false && "ring_kind out of range");
    return {};
}

// The boundary check for names from the command line: unknown names are a value, not a bug.
inline std::optional<ring_kind> ring_kind_from_name(std::string_view name) noexcept {
    if (name == ring_kind_name(ring_kind::own)) return ring_kind::own;
    if (name == ring_kind_name(ring_kind::boost)) return ring_kind::boost;
    return std::nullopt;
}

}  // namespace ordo::base
