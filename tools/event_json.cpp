#include "tools/event_json.h"

#include "engine/schema/events.h"

namespace ordo::tools {
namespace {

using engine::event_type;
using nlohmann::ordered_json;

ordered_json seats_json(std::span<const std::byte> payload, std::size_t header_bytes,
                        std::uint32_t count, const char* quantity_name) {
    ordered_json seats = ordered_json::array();
    for (std::uint32_t i = 0; i < count; i++) {
        const engine::seat_item item = engine::read_seat_item(payload, header_bytes, i);
        seats.push_back({{"type", item.seat_type}, {quantity_name, item.quantity}});
    }
    return seats;
}

}  // namespace

std::string_view event_type_name(std::uint8_t type) {
    switch (static_cast<event_type>(type)) {
        case event_type::conference_created: return "conference_created";
        case event_type::seats_added: return "seats_added";
        case event_type::seats_removed: return "seats_removed";
        case event_type::reservation_held: return "reservation_held";
        case event_type::reservation_confirmed: return "reservation_confirmed";
        case event_type::reservation_cancelled: return "reservation_cancelled";
        case event_type::reservation_expired: return "reservation_expired";
        case event_type::command_rejected: return "command_rejected";
        case event_type::ticked: return "ticked";
        case event_type::conference_closed: return "conference_closed";
        case event_type::reservation_expired_at_close: return "reservation_expired_at_close";
    }
    return "unknown";
}

ordered_json event_json(std::uint8_t type, std::uint8_t schema_version,
                        std::span<const std::byte> payload) {
    ordered_json out = {{"type", event_type_name(type)}, {"version", schema_version}};
    if (schema_version != engine::event_schema_version) return out;
    switch (static_cast<event_type>(type)) {
        case event_type::conference_created: {
            const auto e = engine::read_payload<engine::conference_created_v1>(payload);
            out.update({{"now", e.now_ms}, {"conference", e.conference},
                        {"hold_ttl_ms", e.hold_ttl_ms},
                        {"seats", seats_json(payload, sizeof(e), e.seat_type_count, "capacity")}});
            break;
        }
        case event_type::seats_added:
        case event_type::seats_removed: {
            const auto e = engine::read_payload<engine::seats_changed_v1>(payload);
            out.update({{"now", e.now_ms}, {"conference", e.conference},
                        {"seat_type", e.seat_type}, {"quantity", e.quantity}});
            break;
        }
        case event_type::reservation_held: {
            const auto e = engine::read_payload<engine::reservation_held_v1>(payload);
            out.update({{"now", e.now_ms}, {"reservation", e.reservation},
                        {"conference", e.conference}, {"customer", e.customer},
                        {"expires_at", e.expires_at_ms},
                        {"seats", seats_json(payload, sizeof(e), e.item_count, "quantity")}});
            break;
        }
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled: {
            const auto e = engine::read_payload<engine::reservation_changed_v1>(payload);
            out.update({{"now", e.now_ms}, {"reservation", e.reservation}});
            break;
        }
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close: {
            const auto e = engine::read_payload<engine::reservation_expired_v1>(payload);
            out.update({{"now", e.now_ms}, {"reservation", e.reservation},
                        {"expires_at", e.expires_at_ms}});
            break;
        }
        case event_type::conference_closed: {
            const auto e = engine::read_payload<engine::conference_closed_v1>(payload);
            out.update({{"now", e.now_ms}, {"conference", e.conference}});
            break;
        }
        case event_type::command_rejected: {
            const auto e = engine::read_payload<engine::command_rejected_v1>(payload);
            out.update({{"now", e.now_ms}, {"op", engine::op_name(e.kind)},
                        {"outcome", engine::outcome_status_name(e.result)},
                        {"reason", engine::outcome_name(e.result)}});
            if (e.conference != 0) out["conference"] = e.conference;
            if (e.reservation != 0) out["reservation"] = e.reservation;
            break;
        }
        case event_type::ticked:
            out["now"] = engine::read_payload<engine::ticked_v1>(payload).now_ms;
            break;
    }
    return out;
}

event_keys event_keys_of(std::uint8_t type, std::span<const std::byte> payload) {
    switch (static_cast<event_type>(type)) {
        case event_type::conference_created:
            return {engine::read_payload<engine::conference_created_v1>(payload).conference, 0};
        case event_type::seats_added:
        case event_type::seats_removed:
            return {engine::read_payload<engine::seats_changed_v1>(payload).conference, 0};
        case event_type::reservation_held: {
            const auto e = engine::read_payload<engine::reservation_held_v1>(payload);
            return {e.conference, e.reservation};
        }
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
            return {0, engine::read_payload<engine::reservation_changed_v1>(payload).reservation};
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close:
            return {0, engine::read_payload<engine::reservation_expired_v1>(payload).reservation};
        case event_type::conference_closed:
            return {engine::read_payload<engine::conference_closed_v1>(payload).conference, 0};
        case event_type::command_rejected: {
            const auto e = engine::read_payload<engine::command_rejected_v1>(payload);
            return {e.conference, e.reservation};
        }
        case event_type::ticked: return {};
    }
    return {};
}

}  // namespace ordo::tools
