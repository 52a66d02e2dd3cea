#include "tools/drill/expected_state.h"

#include <fmt/core.h>

#include <memory>

#include "engine/booking_state.h"
#include "engine/event_buffer.h"
#include "engine/process.h"
#include "tools/drill/reference_model.h"
#include "tools/state_json.h"

namespace ordo::tools::drill {

struct expected_cursor::models {
    reference_model reference;
    std::unique_ptr<engine::booking_state> state =
        std::make_unique<engine::booking_state>(engine::state_options{
            .conferences_max = drill_conferences_max, .reservations_max = drill_reservations_max});
    std::vector<std::byte> body = std::vector<std::byte>(1 << 20);
    engine::event_buffer buffer;
};

expected_cursor::expected_cursor(std::span<const engine::command> commands)
    : commands_(commands), models_(std::make_unique<models>()) {
    models_->buffer.reset(models_->body);
    outcomes_.reserve(commands.size());
}
expected_cursor::expected_cursor(expected_cursor&&) noexcept = default;
expected_cursor& expected_cursor::operator=(expected_cursor&&) noexcept = default;
expected_cursor::~expected_cursor() = default;

std::size_t expected_cursor::position() const noexcept {
    return outcomes_.size();
}

const std::vector<engine::outcome>& expected_cursor::outcomes() const noexcept {
    return outcomes_;
}

std::expected<void, std::string> expected_cursor::advance_to(std::size_t count) {
    ORDO_ASSERT(count >= position());
    ORDO_ASSERT(count <= commands_.size());
    models& m = *models_;
    for (std::size_t i = position(); i < count; i++) {
        const engine::outcome expected = m.reference.execute(commands_[i]);
        engine::command_slot slots[engine::command_slots_max];
        engine::encode(commands_[i], slots);
        const engine::outcome decided = engine::process_command(
            *m.state, engine::command_view(slots), m.buffer, [&](std::uint32_t bytes) {
                if (m.buffer.free_bytes() < bytes) m.buffer.reset(m.body);
            });
        if (decided != expected) {
            return std::unexpected(fmt::format(
                "the in-memory engine and the reference model disagree at command {}: {} vs {}",
                i + 1, engine::outcome_name(decided), engine::outcome_name(expected)));
        }
        outcomes_.push_back(expected);
    }
    ORDO_ASSERT(position() == count);
    return {};
}

std::expected<std::string, std::string> expected_cursor::state_json() const {
    std::string json = models_->reference.state_json();
    if (json != tools::state_json(*models_->state)) {
        return std::unexpected(fmt::format(
            "the in-memory engine and the reference model disagree on the state after {} "
            "commands",
            position()));
    }
    return json;
}

std::expected<expected_history, std::string> expect_history(
    std::span<const engine::command> commands) {
    expected_history history;
    expected_cursor cursor(commands);
    auto first = cursor.state_json();
    if (!first) return std::unexpected(first.error());
    history.states.push_back(std::move(*first));
    for (std::size_t i = 0; i < commands.size(); i++) {
        if (auto advanced = cursor.advance_to(i + 1); !advanced) {
            return std::unexpected(advanced.error());
        }
        auto json = cursor.state_json();
        if (!json) return std::unexpected(json.error());
        history.states.push_back(std::move(*json));
    }
    history.outcomes = cursor.outcomes();
    return history;
}

}  // namespace ordo::tools::drill
