#include "projections/projection.h"

#include <cstddef>
#include <cstring>

#include "base/assert.h"
#include "journal/record.h"

namespace ordo::projections {
namespace {

using engine::event_type;

// The items after a payload's fixed part, or nullopt when the payload is too short.
std::optional<std::span<const engine::seat_item>> items_of(std::span<const std::byte> payload,
                                                           std::size_t header_bytes,
                                                           std::uint32_t count) {
    if (count > engine::seat_types_per_conference_max) return std::nullopt;
    if (payload.size() < header_bytes + count * sizeof(engine::seat_item)) return std::nullopt;
    // Records are 8-byte aligned and seat_item is 8 bytes of 4-byte alignment.
    static_assert(alignof(engine::seat_item) <= 8);
    return std::span<const engine::seat_item>(
        reinterpret_cast<const engine::seat_item*>(payload.data() + header_bytes), count);
}

template <class T>
bool fits(std::span<const std::byte> payload) {
    return payload.size() >= sizeof(T);
}

// What a record_fault says (built only when one happened).
std::string fault_message(projection_record_fault fault, std::uint8_t type, std::uint8_t version) {
    ORDO_ASSERT(fault != projection_record_fault::none);
    if (fault == projection_record_fault::time_backwards) {
        return "a record whose time runs backwards: the journal is damaged";
    }
    return "a record of type " + std::to_string(type) + " version " + std::to_string(version) +
           " this ordo does not know: upgrade ordo";
}

// How far ahead of the record being applied the views prefetch: enough to cover a miss to
// memory (~100 ns, more on a busy host) with the few tens of ns a record takes.
constexpr std::uint32_t prefetch_records_ahead = 16;

}  // namespace

void projection::prefetch_record(const journal::record_view& r) const noexcept {
    // The reservation's offset in each payload that names one (engine/schema/events.h).
    std::size_t at = 0;
    switch (static_cast<event_type>(r.type)) {
        case event_type::reservation_held:
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close:
            at = offsetof(engine::reservation_changed_v1, reservation);
            break;
        case event_type::command_rejected:
            at = offsetof(engine::command_rejected_v1, reservation);
            break;
        default:
            return;
    }
    static_assert(offsetof(engine::reservation_held_v1, reservation) ==
                  offsetof(engine::reservation_changed_v1, reservation));
    static_assert(offsetof(engine::reservation_expired_v1, reservation) ==
                  offsetof(engine::reservation_changed_v1, reservation));
    if (r.payload.size() < at + sizeof(std::uint64_t)) return;  // apply() refuses it
    std::uint64_t reservation = 0;
    std::memcpy(&reservation, r.payload.data() + at, sizeof(reservation));
    if (reservation != 0) prefetch_reservation(reservation);
}

bool projection::past(const stop_point& stop) const noexcept {
    if (stop.by == stop_point::kind::commands) return commands_ > stop.value;
    return now_ms_ > stop.value;
}

std::expected<applied, std::string> projection::apply(const durable_batch& batch,
                                                      const stop_point* stop) {
    if (batch.batch_number < position_.next_batch_number) return applied::skipped;
    if (batch.batch_number > position_.next_batch_number) {
        return std::unexpected(std::string(name()) + " projection: batch " +
                               std::to_string(batch.batch_number) + " arrived before batch " +
                               std::to_string(position_.next_batch_number));
    }
    ORDO_ASSERT(batch.end.next_batch_number == batch.batch_number + 1);
    if (stop != nullptr) ORDO_ASSERT(!past(*stop));
    const journal::record_range records(batch.body, batch.record_count);
    auto ahead = records.begin();
    for (std::uint32_t i = 0; i < prefetch_records_ahead && ahead != records.end(); i++, ++ahead) {
        prefetch_record(*ahead);
    }
    for (const journal::record_view r : records) {
        if (ahead != records.end()) {
            prefetch_record(*ahead);
            ++ahead;
        }
        if (r.payload.size() < sizeof(std::uint64_t)) {
            return std::unexpected("a record of type " + std::to_string(r.type) +
                                   " too short for its time: upgrade ordo");
        }
        std::uint64_t now_ms = 0;
        std::memcpy(&now_ms, r.payload.data(), sizeof(now_ms));
        if (stop != nullptr) {
            // This record belongs to command commands_ + 1 (an expiry precedes its command).
            const bool beyond = stop->by == stop_point::kind::commands ? commands_ >= stop->value
                                                                       : now_ms > stop->value;
            if (beyond) return applied::cut;
        }
        if (const record_fault fault = apply_record(r.type, r.schema_version, r.payload);
            fault != record_fault::none) {
            return std::unexpected(fault_message(fault, r.type, r.schema_version));
        }
    }
    position_ = batch.end;
    return applied::whole;
}

// Runs for every record of every view: no string is built unless it fails.
projection::record_fault projection::apply_record(std::uint8_t type, std::uint8_t version,
                                                  std::span<const std::byte> payload) {
    constexpr record_fault unknown = record_fault::unknown;
    if (version != engine::event_schema_version || type == 0 || type > engine::event_type_max) {
        return unknown;
    }
    const auto kind = static_cast<event_type>(type);
    std::uint64_t now_ms = 0;
    ORDO_ASSERT(payload.size() >= sizeof(now_ms));  // apply() checked it
    std::memcpy(&now_ms, payload.data(), sizeof(now_ms));
    if (now_ms < now_ms_) return record_fault::time_backwards;
    now_ms_ = now_ms;
    const event_context context{.command = commands_ + 1, .now_ms = now_ms};
    switch (kind) {
        case event_type::conference_created: {
            if (!fits<engine::conference_created_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::conference_created_v1>(payload);
            const auto items = items_of(payload, sizeof(e), e.seat_type_count);
            if (!items) return unknown;
            on_conference_created(context, e, *items);
            break;
        }
        case event_type::seats_added:
        case event_type::seats_removed:
            if (!fits<engine::seats_changed_v1>(payload)) return unknown;
            on_seats_changed(context, engine::read_payload<engine::seats_changed_v1>(payload),
                             kind == event_type::seats_added);
            break;
        case event_type::reservation_held: {
            if (!fits<engine::reservation_held_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::reservation_held_v1>(payload);
            const auto items = items_of(payload, sizeof(e), e.item_count);
            if (!items || e.item_count > engine::reservation_items_max) return unknown;
            on_held(context, e, *items);
            break;
        }
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled: {
            if (!fits<engine::reservation_changed_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::reservation_changed_v1>(payload);
            if (kind == event_type::reservation_confirmed) {
                on_confirmed(context, e.reservation);
            } else {
                on_cancelled(context, e.reservation);
            }
            break;
        }
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close:
            if (!fits<engine::reservation_expired_v1>(payload)) return unknown;
            on_expired(context, engine::read_payload<engine::reservation_expired_v1>(payload),
                       kind == event_type::reservation_expired_at_close);
            break;
        case event_type::command_rejected:
            if (!fits<engine::command_rejected_v1>(payload)) return unknown;
            on_rejected(context, engine::read_payload<engine::command_rejected_v1>(payload));
            break;
        case event_type::ticked:
            break;
        case event_type::conference_closed:
            if (!fits<engine::conference_closed_v1>(payload)) return unknown;
            on_closed(context, engine::read_payload<engine::conference_closed_v1>(payload));
            break;
    }
    if (engine::is_primary(kind)) commands_++;
    return record_fault::none;
}

void projection::encode(state_writer& out) const {
    out.u64(position_.next_batch_number);
    out.u64(position_.next_sequence);
    out.u64(position_.segment_index);
    out.u64(position_.segment_offset);
    out.u64(position_.previous_header_checksum.low);
    out.u64(position_.previous_header_checksum.high);
    out.u64(commands_);
    out.u64(now_ms_);
    static_assert(place_words == position_words + 2, "the words above");
    encode_view(out);
}

std::optional<journal::journal_position> projection::position_in(std::span<const std::byte> state) {
    state_reader in(state);
    journal::journal_position position;
    std::uint64_t segment_index = 0;
    in.u64(position.next_batch_number);
    in.u64(position.next_sequence);
    in.u64(segment_index);
    in.u64(position.segment_offset);
    in.u64(position.previous_header_checksum.low);
    in.u64(position.previous_header_checksum.high);
    if (!in.ok() || segment_index > UINT32_MAX) return std::nullopt;
    position.segment_index = static_cast<std::uint32_t>(segment_index);
    return position;
}

bool projection::decode(std::span<const std::byte> bytes) {
    reset();
    const auto position = position_in(bytes);
    if (!position) return false;
    position_ = *position;
    state_reader in(bytes);
    std::uint64_t skipped = 0;
    for (std::size_t i = 0; i < position_words; i++) in.u64(skipped);
    in.u64(commands_);
    in.u64(now_ms_);
    const bool decoded = in.ok() && decode_view(in) && in.ok() && in.at_end();
    if (!decoded) reset();
    return decoded;
}

void projection::reset() {
    position_ = {};
    commands_ = 0;
    now_ms_ = 0;
    clear_view();
}

}  // namespace ordo::projections
