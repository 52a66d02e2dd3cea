#include "tools/drill/expected_state.h"

#include <fmt/core.h>

#include <memory>

#include "engine/booking_state.h"
#include "engine/event_buffer.h"
#include "engine/process.h"
#include "tools/drill/reference_model.h"
#include "tools/state_json.h"

namespace ordo::tools::drill {

std::expected<expected_history, std::string> expect_history(
    std::span<const engine::command> commands) {
    expected_history history;
    reference_model reference;
    auto state = std::make_unique<engine::booking_state>(engine::state_options{
        .conferences_max = drill_conferences_max, .reservations_max = drill_reservations_max});
    std::vector<std::byte> body(1 << 20);
    engine::event_buffer buffer;
    buffer.reset(body);
    history.states.push_back(reference.state_json());
    for (std::size_t i = 0; i < commands.size(); i++) {
        const engine::outcome expected = reference.execute(commands[i]);
        engine::command_slot slots[engine::command_slots_max];
        engine::encode(commands[i], slots);
        const engine::outcome decided = engine::process_command(*state, engine::command_view(slots),
                                                                buffer, [&](std::uint32_t bytes) {
                                                                    if (buffer.free_bytes() < bytes)
                                                                        buffer.reset(body);
                                                                });
        std::string json = reference.state_json();
        if (decided != expected || json != state_json(*state)) {
            return std::unexpected(fmt::format(
                "the in-memory engine and the reference model disagree at command {}: {} vs {}",
                i + 1, engine::outcome_name(decided), engine::outcome_name(expected)));
        }
        history.outcomes.push_back(expected);
        history.states.push_back(std::move(json));
    }
    return history;
}

}  // namespace ordo::tools::drill
