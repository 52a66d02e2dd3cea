#pragma once
// An independent model of the booking contract (CONTRACT.md section 1), written from the
// contract alone: std::map state, one plain function per op, the rules in the order the
// contract lists them. It shares only the command and outcome types with the engine, never
// its decision code (engine/decide.*), so the deterministic simulation can hold the
// engine's outcomes and state against decisions made a second, obviously simple way.
//
// Slow on purpose (maps, a scan for due expiries). Thread: the simulation's.

#include <cstdint>
#include <map>
#include <string>

#include "engine/command.h"
#include "engine/schema/outcome.h"

namespace ordo::tools::drill {

class reference_model {
  public:
    // Decides and applies one command; returns its outcome.
    engine::outcome execute(const engine::command& c);

    // The state as `ordo state` prints it (tools/state_json.h: same keys, same order), so
    // that it compares as a string with the engine's.
    std::string state_json() const;
    std::uint64_t commands() const noexcept { return commands_; }

  private:
    enum class status : std::uint8_t { held, confirmed, cancelled, expired };
    struct seats {
        std::uint64_t capacity = 0;
        std::uint64_t held = 0;
        std::uint64_t confirmed = 0;
        std::uint64_t available() const noexcept { return capacity - held - confirmed; }
    };
    struct conference {
        std::uint64_t hold_ttl_ms = 0;
        bool closed = false;
        std::map<std::uint32_t, seats> types;  // seat type -> seats
    };
    struct reservation {
        std::uint64_t conference = 0;
        std::map<std::uint32_t, std::uint64_t> items;  // seat type -> quantity
        std::uint64_t expires_at_ms = 0;
        status state = status::held;
    };

    void expire_due();
    void expire(std::uint64_t id, reservation& r);
    void release(reservation& r);  // its seats go back (held or confirmed)
    engine::outcome create_conference(const engine::command& c);
    engine::outcome change_seats(const engine::command& c);
    engine::outcome reserve(const engine::command& c);
    engine::outcome confirm(const engine::command& c);
    engine::outcome cancel(const engine::command& c);
    engine::outcome close_conference(const engine::command& c);

    std::map<std::uint64_t, conference> conferences_;
    std::map<std::uint64_t, reservation> reservations_;
    std::uint64_t now_ms_ = 0;
    std::uint64_t commands_ = 0;
    std::uint64_t events_ = 0;
};

}  // namespace ordo::tools::drill
