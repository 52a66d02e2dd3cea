#include "engine/replay_stop.h"

#include <cstring>

#include "engine/schema/events.h"
#include "journal/record.h"

namespace ordo::engine {

bool past_stop(const booking_state& state, const replay_stop& stop) noexcept {
    if (stop.by == replay_stop::kind::commands) return state.commands > stop.value;
    return state.now_ms > stop.value;
}

batch_prefix records_before_stop(std::span<const std::byte> body, std::uint32_t record_count,
                                 std::uint64_t& commands_before, const replay_stop& stop) noexcept {
    batch_prefix taken;
    for (const journal::record_view r : journal::record_range(body, record_count)) {
        // Every payload starts with now_ms (engine/EVENTS.md); a record too short to hold it
        // is of a type this ordo does not know, and the apply stops there anyway.
        if (stop.by == replay_stop::kind::commands) {
            // This record belongs to command commands_before + 1 (an expiry precedes its
            // command's primary record).
            if (commands_before >= stop.value) break;
        } else if (r.payload.size() >= sizeof(std::uint64_t)) {
            std::uint64_t now_ms = 0;
            std::memcpy(&now_ms, r.payload.data(), sizeof(now_ms));
            if (now_ms > stop.value) break;
        }
        if (is_primary(static_cast<event_type>(r.type))) commands_before++;
        taken.records++;
        taken.bytes += r.bytes.size();
    }
    ORDO_ASSERT(taken.records <= record_count);
    ORDO_ASSERT(taken.bytes <= body.size());
    if (stop.by == replay_stop::kind::commands) ORDO_ASSERT(commands_before <= stop.value);
    return taken;
}

}  // namespace ordo::engine
