#include "engine/apply.h"

#include <bit>
#include <cstddef>
#include <cstring>

#include "journal/record.h"

namespace ordo::engine {

void apply_seats_changed(booking_state& state, event_type type, const seats_changed_v1& e,
                         std::uint32_t conference_index, std::uint32_t type_index) noexcept {
    conference_state& c = state.conference(conference_index);
    ORDO_ASSERT(c.id == e.conference);
    ORDO_ASSERT(c.closed == 0);  // its capacity is fixed once closed
    std::uint32_t t = type_index;
    if (type == event_type::seats_added) {
        if (t == seat_type_index_none) {
            ORDO_ASSERT(c.find_type(e.seat_type) == seat_type_index_none);
            ORDO_ASSERT(c.type_count < seat_types_per_conference_max);
            t = c.type_count++;
            c.type_ids[t] = e.seat_type;
            c.seats[t] = seat_counts{.capacity = 0, .held = 0, .confirmed = 0};
        }
        ORDO_ASSERT(c.type_ids[t] == e.seat_type);
        c.seats[t].capacity += e.quantity;
        ORDO_ASSERT(c.seats[t].capacity <= capacity_max);
    } else {
        ORDO_ASSERT(type == event_type::seats_removed);
        ORDO_ASSERT(t != seat_type_index_none);
        ORDO_ASSERT(c.type_ids[t] == e.seat_type);
        ORDO_ASSERT(c.available(t) >= e.quantity);
        c.seats[t].capacity -= e.quantity;
    }
    count_record(state, e.now_ms, true);
}

void apply_conference_closed(booking_state& state, const conference_closed_v1& e,
                             std::uint32_t conference_index) noexcept {
    conference_state& c = state.conference(conference_index);
    ORDO_ASSERT(c.id == e.conference);
    ORDO_ASSERT(c.closed == 0);  // a second close is a duplicate, never an event
    for (std::uint32_t t = 0; t < c.type_count; t++) ORDO_ASSERT(c.seats[t].held == 0);
    c.closed = 1;
    // Its confirmed reservations are final now: their records are given back.
    state.finish_confirmed_of_closed(conference_index);
    count_record(state, e.now_ms, true);
}

apply_result apply_conference_created(booking_state& state, const conference_created_v1& e,
                                      std::span<const seat_item> items) noexcept {
    if (state.conferences_full()) return apply_result::conferences_full;
    ORDO_ASSERT(e.seat_type_count >= 1);
    ORDO_ASSERT(e.seat_type_count <= seat_types_per_conference_max);
    ORDO_ASSERT(items.size() == e.seat_type_count);
    conference_state& c = state.conference(state.insert_conference(e.conference));
    c.hold_ttl_ms = e.hold_ttl_ms;
    c.type_count = static_cast<std::uint16_t>(e.seat_type_count);
    for (std::uint32_t i = 0; i < e.seat_type_count; i++) {
        ORDO_ASSERT(items[i].quantity <= capacity_max);
        c.type_ids[i] = items[i].seat_type;
        c.seats[i] = seat_counts{.capacity = items[i].quantity, .held = 0, .confirmed = 0};
    }
    count_record(state, e.now_ms, true);
    return apply_result::applied;
}

namespace {

// The seat items that follow a payload's fixed part, copied out (records are 8-aligned).
std::span<const seat_item> items_after(std::span<const std::byte> payload, std::size_t header_bytes,
                                       std::uint32_t count, seat_item* out) noexcept {
    ORDO_ASSERT(count <= seat_types_per_conference_max);
    ORDO_ASSERT(header_bytes + std::size_t{count} * sizeof(seat_item) <= payload.size());
    // One 8-byte copy per item: a memcpy of a variable size becomes `rep movs`, whose
    // start-up costs more than the handful of items a record holds.
    for (std::uint32_t i = 0; i < count; i++) {
        std::memcpy(out + i, payload.data() + header_bytes + i * sizeof(seat_item),
                    sizeof(seat_item));
    }
    return {out, count};
}

// Where a replayed record's reservation is: found through the index, which apply keeps.
struct index_places {
    booking_state::reservation_lookup new_place(const booking_state& state,
                                                std::uint64_t reservation) const noexcept {
        const booking_state::reservation_lookup where = state.find_reservation(reservation);
        ORDO_ASSERT(where.record == index_none);  // ids are unique for all time
        return where;
    }
    std::uint32_t existing(const booking_state& state, std::uint64_t reservation) noexcept {
        const std::uint32_t record = state.find_reservation(reservation).record;
        ORDO_ASSERT(record != index_none);
        return record;
    }
};

template <class Places>
ORDO_ALWAYS_INLINE apply_result replay_held(booking_state& state, std::span<const std::byte> payload,
                                            Places& places) noexcept {
    const auto e = read_payload<reservation_held_v1>(payload);
    if (state.reservations_full()) return apply_result::reservations_full;
    ORDO_ASSERT(e.item_count >= 1);
    ORDO_ASSERT(e.item_count <= reservation_items_max);
    ORDO_ASSERT(sizeof(e) + std::size_t{e.item_count} * sizeof(seat_item) <= payload.size());
    const std::uint32_t conference_index = state.find_conference(e.conference);
    ORDO_ASSERT(conference_index != index_none);
    const conference_state& c = state.conference(conference_index);
    reserved_item resolved[reservation_items_max];
    // Items are read in the loop that resolves them: a separate copy loop of a variable
    // count becomes `rep movs`, whose start-up costs more than the few items a hold has.
    for (std::uint32_t i = 0; i < e.item_count; i++) {
        const seat_item item = read_seat_item(payload, sizeof(e), i);
        const std::uint32_t t = c.find_type(item.seat_type);
        ORDO_ASSERT(t != seat_type_index_none);
        resolved[i] = reserved_item{.type_index = static_cast<std::uint8_t>(t),
                                    .reserved_zero = 0,
                                    .quantity = static_cast<std::uint16_t>(item.quantity)};
    }
    apply_held(state, e, resolved, conference_index, places.new_place(state, e.reservation));
    return apply_result::applied;
}

// One record whose header says a known type and version.
template <class Places>
ORDO_ALWAYS_INLINE apply_result apply_record(booking_state& state, event_type type,
                                             std::span<const std::byte> payload,
                                             Places& places) noexcept {
    switch (type) {
        case event_type::conference_created: {
            const auto e = read_payload<conference_created_v1>(payload);
            seat_item seats[seat_types_per_conference_max];
            return apply_conference_created(
                state, e, items_after(payload, sizeof(e), e.seat_type_count, seats));
        }
        case event_type::seats_added:
        case event_type::seats_removed: {
            const auto e = read_payload<seats_changed_v1>(payload);
            const std::uint32_t index = state.find_conference(e.conference);
            ORDO_ASSERT(index != index_none);
            apply_seats_changed(state, type, e, index,
                                state.conference(index).find_type(e.seat_type));
            return apply_result::applied;
        }
        case event_type::reservation_held: return replay_held(state, payload, places);
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled: {
            const auto e = read_payload<reservation_changed_v1>(payload);
            apply_status_change(state, e.now_ms, e.reservation,
                                places.existing(state, e.reservation),
                                type == event_type::reservation_confirmed
                                    ? reservation_status::confirmed
                                    : reservation_status::cancelled);
            return apply_result::applied;
        }
        case event_type::reservation_expired: {
            const auto e = read_payload<reservation_expired_v1>(payload);
            ORDO_ASSERT(e.expires_at_ms <= e.now_ms);
            apply_status_change(state, e.now_ms, e.reservation,
                                places.existing(state, e.reservation),
                                reservation_status::expired);
            return apply_result::applied;
        }
        case event_type::command_rejected:
            count_record(state, read_payload<command_rejected_v1>(payload).now_ms, true);
            return apply_result::applied;
        case event_type::ticked:
            count_record(state, read_payload<ticked_v1>(payload).now_ms, true);
            return apply_result::applied;
        case event_type::conference_closed: {
            const auto e = read_payload<conference_closed_v1>(payload);
            const std::uint32_t index = state.find_conference(e.conference);
            ORDO_ASSERT(index != index_none);
            apply_conference_closed(state, e, index);
            return apply_result::applied;
        }
        case event_type::reservation_expired_at_close: {
            const auto e = read_payload<reservation_expired_v1>(payload);
            // Due holds expired before the close was decided: the rest expire early.
            ORDO_ASSERT(e.expires_at_ms > e.now_ms);
            apply_status_change(state, e.now_ms, e.reservation,
                                places.existing(state, e.reservation),
                                reservation_status::expired);
            return apply_result::applied;
        }
    }
    ORDO_ASSERT(false && "unknown event type");
    return apply_result::applied;
}

// The journal a page ahead: hardware prefetchers stop at each 4 KiB page.
constexpr std::size_t journal_ahead_bytes = 4096;

}  // namespace

apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept {
    ORDO_ASSERT(record.size() >= sizeof(journal::record_header));
    const journal::record_header header = record_header_at(record.data());
    ORDO_ASSERT(header.size_bytes == record.size());
    ORDO_ASSERT(is_known_record(header));
    index_places places;
    return apply_record(state, static_cast<event_type>(header.type),
                        record.subspan(sizeof(header)), places);
}

replay_result apply_records(booking_state& state, std::span<const std::byte> body,
                            std::uint32_t record_count) noexcept {
    replay_result result;
    index_places places;
    const std::byte* record = body.data();
    const std::byte* const end = record + body.size();
    for (std::uint32_t i = 0; i < record_count; i++) {
        ORDO_ASSERT(record < end);
        const journal::record_header header = record_header_at(record);
        ORDO_ASSERT(header.size_bytes <= end - record);
        if (!is_known_record(header)) {
            result.unknown = header;
            return result;
        }
        __builtin_prefetch(record + journal_ahead_bytes);
        const std::span<const std::byte> payload(record + sizeof(header),
                                                 header.size_bytes - sizeof(header));
        result.result = apply_record(state, static_cast<event_type>(header.type), payload, places);
        if (result.result != apply_result::applied) return result;
        result.applied++;
        record += header.size_bytes;
    }
    ORDO_ASSERT(record == end);
    return result;
}

}  // namespace ordo::engine
