#include "tools/view_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/assert.h"
#include "engine/schema/op.h"
#include "engine/schema/outcome.h"

namespace ordo::tools {
namespace {

using nlohmann::ordered_json;

ordered_json conference_value(const projections::conference_view& c) {
    ordered_json seat_types = ordered_json::array();
    for (const projections::seat_type_view& s : c.seat_types) {
        seat_types.push_back({{"type", s.type},
                              {"capacity", s.capacity},
                              {"held", s.held},
                              {"confirmed", s.confirmed},
                              {"available", s.available()}});
    }
    return ordered_json{{"id", c.id},
                        {"hold_ttl_ms", c.hold_ttl_ms},
                        {"closed", c.closed},
                        {"seat_types", std::move(seat_types)}};
}

}  // namespace

std::string conference_json(const projections::conference_view& conference) {
    return conference_value(conference).dump();
}

std::string availability_json(const projections::availability& view, std::uint64_t conference) {
    ordered_json conferences = ordered_json::array();
    if (conference != 0) {
        const projections::conference_view* c = view.conference(conference);
        ORDO_ASSERT(c != nullptr);  // the caller checked
        conferences.push_back(conference_value(*c));
    } else {
        for (const projections::conference_view* c : view.conferences()) {
            conferences.push_back(conference_value(*c));
        }
    }
    if (conference != 0) ORDO_ASSERT(conferences.size() == 1);
    return ordered_json{{"commands", view.commands()}, {"conferences", std::move(conferences)}}
        .dump();
}

std::string customer_json(std::uint64_t customer,
                          const std::vector<projections::reservation_view>& reservations) {
    ordered_json list = ordered_json::array();
    for (const projections::reservation_view& r : reservations) {
        std::vector<engine::seat_item> seats = r.seats;
        std::sort(seats.begin(), seats.end(),
                  [](const engine::seat_item& a, const engine::seat_item& b) {
                      return a.seat_type < b.seat_type;
                  });
        ordered_json seat_map = ordered_json::object();
        for (const engine::seat_item& s : seats) seat_map[std::to_string(s.seat_type)] = s.quantity;
        list.push_back({{"id", r.id},
                        {"conference", r.conference},
                        {"status", projections::status_name(r.status)},
                        {"seats", std::move(seat_map)},
                        {"held_at", r.held_at_ms},
                        {"expires_at", r.expires_at_ms},
                        {"updated_at", r.updated_at_ms}});
    }
    return ordered_json{{"customer", customer}, {"reservations", std::move(list)}}.dump();
}

std::string history_line(const projections::history_entry& entry, bool with_reservation) {
    const std::string_view op = entry.op == projections::op_expire
                                    ? std::string_view("expire")
                                    : engine::op_name(static_cast<engine::op>(entry.op));
    ordered_json line{{"command", entry.command},
                      {"t", entry.t_ms},
                      {"op", op},
                      {"outcome", engine::outcome_status_name(entry.result)}};
    if (engine::is_rejection(entry.result)) line["reason"] = engine::outcome_name(entry.result);
    if (with_reservation && entry.reservation != 0) line["reservation"] = entry.reservation;
    return line.dump();
}

std::string sales_line(const projections::sales_bucket& bucket) {
    return ordered_json{{"from", bucket.from_ms},
                        {"to", bucket.to_ms},
                        {"reserved", bucket.counts.reserved},
                        {"seats_reserved", bucket.counts.seats_reserved},
                        {"confirmed", bucket.counts.confirmed},
                        {"cancelled", bucket.counts.cancelled},
                        {"expired", bucket.counts.expired},
                        {"rejected", bucket.counts.rejected}}
        .dump();
}

}  // namespace ordo::tools
