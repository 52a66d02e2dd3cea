#include "tools/drill/reference_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <vector>

#include "base/assert.h"

namespace ordo::tools::drill {

using engine::op;
using engine::outcome;

namespace {
// The contract's numbers, written here again on purpose (not engine/schema/limits.h).
constexpr std::uint64_t seat_types_max = 64;
constexpr std::uint64_t capacity_max = 1'000'000;
constexpr std::uint64_t seats_change_max = 10'000;
constexpr std::uint64_t reserve_quantity_max = 10'000;
constexpr std::uint64_t items_max = 8;
constexpr std::uint64_t ttl_min_ms = 1'000;
constexpr std::uint64_t ttl_max_ms = 86'400'000;

bool repeats_a_type(const engine::command& c) {
    std::set<std::uint32_t> seen;
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        if (!seen.insert(c.items[i].seat_type).second) return true;
    }
    return false;
}
}  // namespace

outcome reference_model::execute(const engine::command& c) {
    // Time never runs backwards; due holds expire before the decision.
    if (c.t_ms > now_ms_) now_ms_ = c.t_ms;
    expire_due();
    outcome result = outcome::accepted;
    switch (c.kind) {
        case op::create_conference:
            result = create_conference(c);
            break;
        case op::add_seats:
        case op::remove_seats:
            result = change_seats(c);
            break;
        case op::reserve:
            result = reserve(c);
            break;
        case op::confirm:
            result = confirm(c);
            break;
        case op::cancel:
            result = cancel(c);
            break;
        case op::close_conference:
            result = close_conference(c);
            break;
        case op::tick:
            break;
    }
    // One record for the command itself (its event, or the recorded rejection).
    commands_++;
    events_++;
    return result;
}

void reference_model::expire_due() {
    // Ascending (expires_at, id): collect, then expire in that order.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> due;
    for (auto& [id, r] : reservations_) {
        if (r.state == status::held && r.expires_at_ms <= now_ms_)
            due.emplace_back(r.expires_at_ms, id);
    }
    std::sort(due.begin(), due.end());
    for (const auto& [at, id] : due) expire(id, reservations_.at(id));
}

void reference_model::expire(std::uint64_t, reservation& r) {
    ORDO_ASSERT(r.state == status::held);
    release(r);
    r.state = status::expired;
    events_++;
}

void reference_model::release(reservation& r) {
    conference& c = conferences_.at(r.conference);
    for (const auto& [type, quantity] : r.items) {
        seats& s = c.types.at(type);
        if (r.state == status::held) {
            ORDO_ASSERT(s.held >= quantity);
            s.held -= quantity;
        } else {
            ORDO_ASSERT(r.state == status::confirmed);
            ORDO_ASSERT(s.confirmed >= quantity);
            s.confirmed -= quantity;
        }
    }
}

outcome reference_model::create_conference(const engine::command& c) {
    if (conferences_.contains(c.conference)) return outcome::conference_exists;
    if (c.item_count < 1 || c.item_count > seat_types_max) return outcome::invalid_argument;
    if (c.hold_ttl_ms < ttl_min_ms || c.hold_ttl_ms > ttl_max_ms) return outcome::invalid_argument;
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        if (c.items[i].quantity > capacity_max) return outcome::invalid_argument;
    }
    if (repeats_a_type(c)) return outcome::invalid_argument;
    conference& made = conferences_[c.conference];
    made.hold_ttl_ms = c.hold_ttl_ms;
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        made.types[c.items[i].seat_type].capacity = c.items[i].quantity;
    }
    return outcome::accepted;
}

outcome reference_model::change_seats(const engine::command& c) {
    ORDO_ASSERT(c.item_count == 1);
    const auto found = conferences_.find(c.conference);
    if (found == conferences_.end()) return outcome::unknown_conference;
    conference& conf = found->second;
    if (conf.closed) return outcome::conference_closed;
    const std::uint32_t type = c.items[0].seat_type;
    const std::uint64_t quantity = c.items[0].quantity;
    const bool quantity_ok = quantity >= 1 && quantity <= seats_change_max;
    const auto seat = conf.types.find(type);
    if (c.kind == op::add_seats) {
        if (!quantity_ok) return outcome::invalid_quantity;
        const std::uint64_t before = seat == conf.types.end() ? 0 : seat->second.capacity;
        if (before + quantity > capacity_max) return outcome::invalid_quantity;
        if (seat == conf.types.end() && conf.types.size() >= seat_types_max) {
            return outcome::invalid_argument;
        }
        conf.types[type].capacity = before + quantity;
        return outcome::accepted;
    }
    if (seat == conf.types.end()) return outcome::unknown_seat_type;
    if (!quantity_ok) return outcome::invalid_quantity;
    if (seat->second.available() < quantity) return outcome::insufficient_seats;
    seat->second.capacity -= quantity;
    return outcome::accepted;
}

outcome reference_model::reserve(const engine::command& c) {
    if (reservations_.contains(c.reservation)) return outcome::duplicate;
    const auto found = conferences_.find(c.conference);
    if (found == conferences_.end()) return outcome::unknown_conference;
    conference& conf = found->second;
    if (conf.closed) return outcome::conference_closed;
    if (c.item_count < 1 || c.item_count > items_max) return outcome::invalid_argument;
    if (repeats_a_type(c)) return outcome::invalid_argument;
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        const std::uint64_t q = c.items[i].quantity;
        if (q < 1 || q > reserve_quantity_max) return outcome::invalid_quantity;
    }
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        if (!conf.types.contains(c.items[i].seat_type)) return outcome::unknown_seat_type;
    }
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        if (conf.types.at(c.items[i].seat_type).available() < c.items[i].quantity) {
            return outcome::insufficient_seats;
        }
    }
    reservation& made = reservations_[c.reservation];
    made.conference = c.conference;
    made.expires_at_ms = now_ms_ + conf.hold_ttl_ms;
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        made.items[c.items[i].seat_type] = c.items[i].quantity;
        conf.types.at(c.items[i].seat_type).held += c.items[i].quantity;
    }
    return outcome::accepted;
}

outcome reference_model::confirm(const engine::command& c) {
    const auto found = reservations_.find(c.reservation);
    if (found == reservations_.end()) return outcome::unknown_reservation;
    reservation& r = found->second;
    if (r.state == status::confirmed) return outcome::duplicate;
    if (r.state != status::held) return outcome::not_active;
    for (const auto& [type, quantity] : r.items) {
        seats& s = conferences_.at(r.conference).types.at(type);
        s.held -= quantity;
        s.confirmed += quantity;
    }
    r.state = status::confirmed;
    return outcome::accepted;
}

outcome reference_model::cancel(const engine::command& c) {
    const auto found = reservations_.find(c.reservation);
    if (found == reservations_.end()) return outcome::unknown_reservation;
    reservation& r = found->second;
    if (r.state == status::cancelled) return outcome::duplicate;
    if (r.state == status::expired) return outcome::not_active;
    if (r.state == status::confirmed && conferences_.at(r.conference).closed) {
        return outcome::conference_closed;
    }
    release(r);
    r.state = status::cancelled;
    return outcome::accepted;
}

outcome reference_model::close_conference(const engine::command& c) {
    const auto found = conferences_.find(c.conference);
    if (found == conferences_.end()) return outcome::unknown_conference;
    if (found->second.closed) return outcome::duplicate;
    // Its holds expire now, in ascending reservation id (the map's order), then it closes.
    for (auto& [id, r] : reservations_) {
        if (r.conference == c.conference && r.state == status::held) expire(id, r);
    }
    found->second.closed = true;
    return outcome::accepted;
}

std::string reference_model::state_json() const {
    using nlohmann::ordered_json;
    ordered_json conferences = ordered_json::array();
    for (const auto& [id, conf] : conferences_) {
        ordered_json types = ordered_json::array();
        for (const auto& [type, s] : conf.types) {
            types.push_back({{"type", type},
                             {"capacity", s.capacity},
                             {"held", s.held},
                             {"confirmed", s.confirmed},
                             {"available", s.available()}});
        }
        conferences.push_back({{"id", id},
                               {"hold_ttl_ms", conf.hold_ttl_ms},
                               {"closed", conf.closed},
                               {"seat_types", std::move(types)}});
    }
    std::uint64_t counts[4] = {};
    for (const auto& [id, r] : reservations_) counts[static_cast<int>(r.state)]++;
    const ordered_json document = {
        {"commands", commands_},
        {"events", events_},
        {"now", now_ms_},
        {"conferences", std::move(conferences)},
        {"reservations",
         {{"held", counts[0]},
          {"confirmed", counts[1]},
          {"cancelled", counts[2]},
          {"expired", counts[3]}}},
    };
    return document.dump();
}

}  // namespace ordo::tools::drill
