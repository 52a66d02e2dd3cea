#include "tools/state_json.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace ordo::tools {

std::string state_json(const engine::booking_state& state) {
    using nlohmann::ordered_json;
    std::vector<std::uint32_t> order(state.conference_count());
    for (std::uint32_t i = 0; i < order.size(); i++) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return state.conference(a).id < state.conference(b).id;
    });
    ordered_json conferences = ordered_json::array();
    for (const std::uint32_t index : order) {
        const engine::conference_state& c = state.conference(index);
        std::vector<std::uint32_t> types(c.type_count);
        for (std::uint32_t t = 0; t < c.type_count; t++) types[t] = t;
        std::sort(types.begin(), types.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return c.type_ids[a] < c.type_ids[b]; });
        ordered_json seat_types = ordered_json::array();
        for (const std::uint32_t t : types) {
            seat_types.push_back({{"type", c.type_ids[t]},
                                  {"capacity", c.seats[t].capacity},
                                  {"held", c.seats[t].held},
                                  {"confirmed", c.seats[t].confirmed},
                                  {"available", c.available(t)}});
        }
        conferences.push_back(
            {{"id", c.id}, {"hold_ttl_ms", c.hold_ttl_ms}, {"closed", c.closed != 0},
             {"seat_types", std::move(seat_types)}});
    }
    const ordered_json document = {
        {"commands", state.commands},
        {"events", state.events},
        {"now", state.now_ms},
        {"conferences", std::move(conferences)},
        {"reservations",
         {{"held", state.counts.held},
          {"confirmed", state.counts.confirmed},
          {"cancelled", state.counts.cancelled},
          {"expired", state.counts.expired}}},
    };
    return document.dump();
}

}  // namespace ordo::tools
