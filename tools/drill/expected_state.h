#pragma once
// The state a data directory must recover to after the first K commands of a workload,
// computed twice, independently: by the reference model (reference_model.h) and by a fresh
// in-memory engine (no journal). A mismatch between the two is itself a finding.
// Thread: the drill's.

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/schema/outcome.h"

namespace ordo::tools::drill {

// The tables the process drills give ordo (the generator stays well under them).
inline constexpr std::uint64_t drill_conferences_max = 16;
inline constexpr std::uint64_t drill_reservations_max = 4096;

struct expected_history {
    std::vector<std::string> states;  // states[k]: the state JSON after k commands
    std::vector<engine::outcome> outcomes;
};

// Every prefix of `commands`; an error when the reference model and the engine disagree.
std::expected<expected_history, std::string> expect_history(
    std::span<const engine::command> commands);

// The same two replays for a history too long to keep every prefix's state: both advance
// together, forward only, to the prefix asked about; each command's two outcomes must agree,
// and so must the two states wherever one is asked for. Thread: its owner's.
class expected_cursor {
  public:
    explicit expected_cursor(std::span<const engine::command> commands);
    expected_cursor(expected_cursor&&) noexcept;
    expected_cursor& operator=(expected_cursor&&) noexcept;
    ~expected_cursor();

    // Replays up to the first `count` commands (count >= position(); <= the history).
    std::expected<void, std::string> advance_to(std::size_t count);
    std::size_t position() const noexcept;
    // Outcomes of the commands replayed so far, in order.
    const std::vector<engine::outcome>& outcomes() const noexcept;
    // The state JSON after position() commands; an error when the two replays disagree.
    std::expected<std::string, std::string> state_json() const;

  private:
    struct models;
    std::span<const engine::command> commands_;
    std::unique_ptr<models> models_;
    std::vector<engine::outcome> outcomes_;
};

}  // namespace ordo::tools::drill
