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

apply_result apply_conference_created(booking_state& state, const conference_created_v1& e,
                                      std::span<const seat_item> items) noexcept {
    if (state.conferences_full()) return apply_result::conferences_full;
    ORDO_ASSERT(e.seat_type_count >= 1);
    ORDO_ASSERT(e.seat_type_count <= seat_types_per_conference_max);
    ORDO_ASSERT(items.size() == e.seat_type_count);
    conference_state& c = state.conference(state.insert_conference(e.conference));
    c.hold_ttl_ms = e.hold_ttl_ms;
    c.type_count = e.seat_type_count;
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

ORDO_ALWAYS_INLINE apply_result replay_held(booking_state& state,
                                            std::span<const std::byte> payload) noexcept {
    const auto e = read_payload<reservation_held_v1>(payload);
    if (state.reservations_full()) return apply_result::reservations_full;
    ORDO_ASSERT(e.item_count >= 1);
    ORDO_ASSERT(e.item_count <= reservation_items_max);
    seat_item seats[reservation_items_max];
    const std::span<const seat_item> items = items_after(payload, sizeof(e), e.item_count, seats);
    const booking_state::reservation_lookup found = state.find_reservation(e.reservation);
    ORDO_ASSERT(found.record == index_none);
    const std::uint32_t conference_index = state.find_conference(e.conference);
    ORDO_ASSERT(conference_index != index_none);
    const conference_state& c = state.conference(conference_index);
    reserved_item resolved[reservation_items_max];
    for (std::uint32_t i = 0; i < e.item_count; i++) {
        const std::uint32_t t = c.find_type(items[i].seat_type);
        ORDO_ASSERT(t != seat_type_index_none);
        resolved[i] = reserved_item{.type_index = static_cast<std::uint8_t>(t),
                                    .reserved_zero = 0,
                                    .quantity = static_cast<std::uint16_t>(items[i].quantity)};
    }
    apply_held(state, e, resolved, found, conference_index);
    return apply_result::applied;
}

ORDO_ALWAYS_INLINE void replay_status_change(booking_state& state, std::uint64_t now_ms,
                                             std::uint64_t reservation,
                                             reservation_status to) noexcept {
    const std::uint32_t record = state.find_reservation(reservation).record;
    ORDO_ASSERT(record != index_none);
    apply_status_change(state, now_ms, reservation, record, to);
}

// One record whose header says a known type and version.
ORDO_ALWAYS_INLINE apply_result apply_record(booking_state& state, event_type type,
                                             std::span<const std::byte> payload) noexcept {
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
        case event_type::reservation_held: return replay_held(state, payload);
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled: {
            const auto e = read_payload<reservation_changed_v1>(payload);
            replay_status_change(state, e.now_ms, e.reservation,
                                 type == event_type::reservation_confirmed
                                     ? reservation_status::confirmed
                                     : reservation_status::cancelled);
            return apply_result::applied;
        }
        case event_type::reservation_expired: {
            const auto e = read_payload<reservation_expired_v1>(payload);
            ORDO_ASSERT(e.expires_at_ms <= e.now_ms);
            replay_status_change(state, e.now_ms, e.reservation, reservation_status::expired);
            return apply_result::applied;
        }
        case event_type::command_rejected:
            count_record(state, read_payload<command_rejected_v1>(payload).now_ms, true);
            return apply_result::applied;
        case event_type::ticked:
            count_record(state, read_payload<ticked_v1>(payload).now_ms, true);
            return apply_result::applied;
    }
    ORDO_ASSERT(false && "unknown event type");
    return apply_result::applied;
}

journal::record_header header_at(const std::byte* record) noexcept {
    journal::record_header header;
    std::memcpy(&header, record, sizeof(header));
    ORDO_ASSERT(header.size_bytes >= sizeof(header));
    return header;
}

bool known(const journal::record_header& header) noexcept {
    // Types are 1..event_type_max: one unsigned comparison.
    return static_cast<std::uint8_t>(header.type - 1u) < event_type_max &&
           header.schema_version == event_schema_version;
}

// The reservation a record touches (0: none), so replay can prefetch its lines ahead.
// Every event about a reservation has its id right after now_ms (engine/EVENTS.md).
std::uint64_t reservation_of_record_at(const std::byte* record) noexcept {
    switch (static_cast<event_type>(record[2])) {
        case event_type::reservation_held:
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
        case event_type::reservation_expired: {
            std::uint64_t id;
            std::memcpy(&id, record + sizeof(journal::record_header) + 8, sizeof(id));
            return id;
        }
        default: return 0;
    }
}

// Replay walks each batch once and prefetches in two stages, like the sequencer: a
// record's index line prefetch_distance records ahead, and halfway there (that line has
// arrived) the reservation record it points to, which for an expiry is a minute-old
// record long out of the cache. The walk also prefetches the journal a page ahead:
// hardware prefetchers stop at each 4 KiB page, and page-cache pages are scattered.
constexpr std::uint32_t prefetch_distance = 32;
constexpr std::uint32_t window_records = 64;  // a power of two above prefetch_distance
constexpr std::size_t journal_ahead_bytes = 4096;
static_assert(std::has_single_bit(window_records));
static_assert(window_records > prefetch_distance);

}  // namespace

apply_result apply(booking_state& state, std::span<const std::byte> record) noexcept {
    ORDO_ASSERT(record.size() >= sizeof(journal::record_header));
    const journal::record_header header = header_at(record.data());
    ORDO_ASSERT(header.size_bytes == record.size());
    ORDO_ASSERT(known(header));
    return apply_record(state, static_cast<event_type>(header.type),
                        record.subspan(sizeof(header)));
}

replay_result replay_records(booking_state& state, std::span<const std::byte> body,
                             std::uint32_t record_count) noexcept {
    replay_result result;
    struct ahead {
        const std::byte* record;   // where it starts
        std::uint64_t reservation;  // the reservation it touches, 0 for none
    };
    ahead window[window_records];
    const std::byte* cursor = body.data();
    const std::byte* const end = cursor + body.size();
    std::uint32_t walked = 0;
    auto walk_one = [&] {
        ORDO_ASSERT(cursor < end);
        const std::uint64_t id = reservation_of_record_at(cursor);
        window[walked % window_records] = ahead{.record = cursor, .reservation = id};
        if (id != 0) state.prefetch_reservation(id);
        __builtin_prefetch(cursor + journal_ahead_bytes);
        cursor += header_at(cursor).size_bytes;
        walked++;
    };
    while (walked < record_count && walked < prefetch_distance) walk_one();
    for (std::uint32_t i = 0; i < record_count; i++) {
        if (walked < record_count) walk_one();
        if (i + prefetch_distance / 2 < walked) {
            const std::uint64_t id = window[(i + prefetch_distance / 2) % window_records].reservation;
            if (id != 0) state.prefetch_reservation_record(id);
        }
        const std::byte* record = window[i % window_records].record;
        const journal::record_header header = header_at(record);
        ORDO_ASSERT(header.size_bytes <= end - record);
        if (!known(header)) {
            result.unknown = header;
            return result;
        }
        const std::span<const std::byte> payload(record + sizeof(header),
                                                 header.size_bytes - sizeof(header));
        result.result = apply_record(state, static_cast<event_type>(header.type), payload);
        if (result.result != apply_result::applied) return result;
        result.applied++;
    }
    ORDO_ASSERT(cursor == end);
    return result;
}

}  // namespace ordo::engine
