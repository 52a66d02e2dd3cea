#pragma once
// The event schema: what the engine writes to the journal, one record per event. Shared
// with projections (header-only, no engine code needed to read it). Every payload starts
// with now_ms, the sequencer's time when the event happened: replay never reads a clock.
//
// Every command ends in exactly one "primary" record (an accepted event, ticked, or
// command_rejected for rejections and duplicates); the expiries its time triggered come
// just before it (and, for an accepted close_conference, the expiries of the conference's
// holds after those). So the journal alone tells how many commands were sequenced (count of
// primary records) and how each ended.
//
// Layouts are versioned by the record's schema_version; when one changes, the old struct
// stays here as _v1 and the decoder upcasts it (journal/FORMAT.md).

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "base/assert.h"
#include "engine/schema/limits.h"
#include "engine/schema/op.h"
#include "engine/schema/outcome.h"

namespace ordo::engine {

enum class event_type : std::uint8_t {
    conference_created = 1,
    seats_added = 2,
    seats_removed = 3,
    reservation_held = 4,
    reservation_confirmed = 5,
    reservation_cancelled = 6,
    reservation_expired = 7,
    command_rejected = 8,
    ticked = 9,
    conference_closed = 10,
    reservation_expired_at_close = 11,
};
inline constexpr std::uint8_t event_type_max = 11;
// Every type is at version 1 (types 10 and 11 were added later as new types, so journals
// written before them hold only types 1-9 and still replay).
inline constexpr std::uint8_t event_schema_version = 1;

// The expiries are the only records that do not end a command.
inline constexpr bool is_primary(event_type type) noexcept {
    return type != event_type::reservation_expired &&
           type != event_type::reservation_expired_at_close;
}

struct conference_created_v1 {
    std::uint64_t now_ms;
    std::uint64_t conference;
    std::uint32_t hold_ttl_ms;
    std::uint32_t seat_type_count;
    // Followed by seat_type_count seat_item {quantity = capacity, seat_type}.
};
struct seats_changed_v1 {  // seats_added and seats_removed
    std::uint64_t now_ms;
    std::uint64_t conference;
    std::uint32_t quantity;
    std::uint16_t seat_type;
    std::uint16_t reserved_zero;
};
struct reservation_held_v1 {
    std::uint64_t now_ms;
    std::uint64_t reservation;
    std::uint64_t conference;
    std::uint64_t customer;
    std::uint64_t expires_at_ms;
    std::uint32_t item_count;
    std::uint32_t reserved_zero;
    // Followed by item_count seat_item {quantity, seat_type}.
};
struct reservation_changed_v1 {  // reservation_confirmed and reservation_cancelled
    std::uint64_t now_ms;
    std::uint64_t reservation;
};
struct reservation_expired_v1 {  // reservation_expired and reservation_expired_at_close
    std::uint64_t now_ms;
    std::uint64_t reservation;
    // reservation_expired: the hold's expiry, <= now_ms. reservation_expired_at_close: the
    // expiry it would have had, > now_ms (a hold due by now expired before the close).
    std::uint64_t expires_at_ms;
};
struct command_rejected_v1 {  // rejections and duplicates
    std::uint64_t now_ms;
    std::uint64_t conference;   // as the command gave it (0 when the op has none)
    std::uint64_t reservation;  // as the command gave it (0 when the op has none)
    op kind;
    outcome result;
    std::uint16_t reserved_zero;
    std::uint32_t reserved_zero2;
};
struct ticked_v1 {
    std::uint64_t now_ms;
};
struct conference_closed_v1 {
    std::uint64_t now_ms;
    std::uint64_t conference;
};

static_assert(sizeof(conference_created_v1) == 24);
static_assert(sizeof(seats_changed_v1) == 24);
static_assert(sizeof(reservation_held_v1) == 48);
static_assert(sizeof(reservation_changed_v1) == 16);
static_assert(sizeof(reservation_expired_v1) == 24);
static_assert(sizeof(command_rejected_v1) == 32);
static_assert(sizeof(ticked_v1) == 8);
static_assert(sizeof(conference_closed_v1) == 16);
static_assert(std::has_unique_object_representations_v<reservation_expired_v1>);
static_assert(std::has_unique_object_representations_v<conference_closed_v1>);
static_assert(std::has_unique_object_representations_v<reservation_held_v1>);
static_assert(std::has_unique_object_representations_v<command_rejected_v1>);
static_assert(std::has_unique_object_representations_v<seats_changed_v1>);

// Every record's payload is at most this large (conference_created with 64 types).
inline constexpr std::uint32_t event_payload_bytes_max =
    sizeof(conference_created_v1) + seat_types_per_conference_max * sizeof(seat_item);

// Reads a payload struct out of record bytes (records are only 8-byte aligned, and the
// copy lets the compiler use plain loads).
template <class T>
inline T read_payload(std::span<const std::byte> payload) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    ORDO_ASSERT(payload.size() >= sizeof(T));
    T value;
    std::memcpy(&value, payload.data(), sizeof(T));
    return value;
}
inline seat_item read_seat_item(std::span<const std::byte> payload, std::size_t header_bytes,
                                std::uint32_t index) noexcept {
    const std::size_t offset = header_bytes + index * sizeof(seat_item);
    ORDO_ASSERT(offset + sizeof(seat_item) <= payload.size());
    seat_item item;
    std::memcpy(&item, payload.data() + offset, sizeof(seat_item));
    return item;
}

}  // namespace ordo::engine
