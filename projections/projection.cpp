#include "projections/projection.h"

#include <algorithm>
#include <array>
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

// One record's event, checked and read once per walk, whatever the number of views.
struct projection::event {
    event_type kind = event_type::ticked;
    event_context context;
    union {
        engine::conference_created_v1 created;
        engine::seats_changed_v1 seats_changed;
        engine::reservation_held_v1 held;
        engine::reservation_changed_v1 changed;
        engine::reservation_expired_v1 expired;
        engine::command_rejected_v1 rejected;
        engine::conference_closed_v1 closed;
        engine::ticked_v1 ticked{};
    };
    std::span<const engine::seat_item> items;  // conference_created, reservation_held
};

namespace {

// The ids a record names (0: none), for the views' prefetch.
named_ids ids_named(const journal::record_view& r) noexcept {
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
            return {};
    }
    static_assert(offsetof(engine::reservation_held_v1, reservation) ==
                  offsetof(engine::reservation_changed_v1, reservation));
    static_assert(offsetof(engine::reservation_expired_v1, reservation) ==
                  offsetof(engine::reservation_changed_v1, reservation));
    named_ids ids;
    if (r.payload.size() < at + sizeof(std::uint64_t)) return ids;  // the walk refuses it
    std::memcpy(&ids.reservation, r.payload.data() + at, sizeof(ids.reservation));
    constexpr std::size_t customer_at = offsetof(engine::reservation_held_v1, customer);
    if (static_cast<event_type>(r.type) == event_type::reservation_held &&
        r.payload.size() >= customer_at + sizeof(std::uint64_t)) {
        std::memcpy(&ids.customer, r.payload.data() + customer_at, sizeof(ids.customer));
    }
    return ids;
}

}  // namespace

// The record's time is the walk's to check.
projection::record_fault projection::read_event(std::uint8_t type, std::uint8_t version,
                                                std::span<const std::byte> payload, event& e) {
    constexpr record_fault unknown = record_fault::unknown;
    if (version != engine::event_schema_version || type == 0 || type > engine::event_type_max) {
        return unknown;
    }
    e.kind = static_cast<event_type>(type);
    switch (e.kind) {
        case event_type::conference_created: {
            if (!fits<engine::conference_created_v1>(payload)) return unknown;
            e.created = engine::read_payload<engine::conference_created_v1>(payload);
            const auto items = items_of(payload, sizeof(e.created), e.created.seat_type_count);
            if (!items) return unknown;
            e.items = *items;
            break;
        }
        case event_type::seats_added:
        case event_type::seats_removed:
            if (!fits<engine::seats_changed_v1>(payload)) return unknown;
            e.seats_changed = engine::read_payload<engine::seats_changed_v1>(payload);
            break;
        case event_type::reservation_held: {
            if (!fits<engine::reservation_held_v1>(payload)) return unknown;
            e.held = engine::read_payload<engine::reservation_held_v1>(payload);
            const auto items = items_of(payload, sizeof(e.held), e.held.item_count);
            if (!items || e.held.item_count > engine::reservation_items_max) return unknown;
            e.items = *items;
            break;
        }
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
            if (!fits<engine::reservation_changed_v1>(payload)) return unknown;
            e.changed = engine::read_payload<engine::reservation_changed_v1>(payload);
            break;
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close:
            if (!fits<engine::reservation_expired_v1>(payload)) return unknown;
            e.expired = engine::read_payload<engine::reservation_expired_v1>(payload);
            break;
        case event_type::command_rejected:
            if (!fits<engine::command_rejected_v1>(payload)) return unknown;
            e.rejected = engine::read_payload<engine::command_rejected_v1>(payload);
            break;
        case event_type::ticked:
            break;
        case event_type::conference_closed:
            if (!fits<engine::conference_closed_v1>(payload)) return unknown;
            e.closed = engine::read_payload<engine::conference_closed_v1>(payload);
            break;
    }
    return record_fault::none;
}

bool projection::past(const stop_point& stop) const noexcept {
    if (stop.by == stop_point::kind::commands) return commands_ > stop.value;
    return now_ms_ > stop.value;
}

std::expected<applied, std::string> projection::apply(const durable_batch& batch,
                                                      const stop_point* stop) {
    projection* self = this;
    return apply_together(std::span(&self, 1), batch, stop);
}

std::expected<applied, std::string> projection::apply_together(std::span<projection* const> views,
                                                               const durable_batch& batch,
                                                               const stop_point* stop) {
    ORDO_ASSERT(!views.empty());
    ORDO_ASSERT(views.size() <= together_max);
    // The views that apply it: those whose next batch it is.
    std::array<projection*, together_max> group{};
    std::size_t count = 0;
    for (projection* view : views) {
        ORDO_ASSERT(view != nullptr);
        const std::uint64_t next = view->position_.next_batch_number;
        if (batch.batch_number < next) continue;  // applied before: skipped
        if (batch.batch_number > next) {
            return std::unexpected(std::string(view->name()) + " projection: batch " +
                                   std::to_string(batch.batch_number) + " arrived before batch " +
                                   std::to_string(next));
        }
        group[count++] = view;
    }
    if (count == 0) return applied::skipped;
    const auto applying = std::span(group).first(count);
    const bool together = std::all_of(applying.begin(), applying.end(), [&](const projection* v) {
        return v->same_place(*applying[0]);
    });
    if (together) return applying[0]->walk(applying, batch, stop);
    // Views from checkpoints that disagree at the same batch number (another history's):
    // each walks alone, so that each meets the check its own place calls for.
    std::expected<applied, std::string> result = applied::skipped;
    for (projection* view : applying) {
        result = view->walk(std::span(&view, 1), batch, stop);
        if (!result) return result;
    }
    return result;
}

// `this` is the group's first view; every view of the group is at its place.
std::expected<applied, std::string> projection::walk(std::span<projection* const> group,
                                                     const durable_batch& batch,
                                                     const stop_point* stop) {
    ORDO_ASSERT(!group.empty() && group[0] == this);
    ORDO_ASSERT(batch.batch_number == position_.next_batch_number);
    ORDO_ASSERT(batch.end.next_batch_number == batch.batch_number + 1);
    if (stop != nullptr) ORDO_ASSERT(!past(*stop));
    // The place advances in locals and is written to every view however the walk ends (as
    // each handler has run by then), so that all of them stay at one place.
    std::uint64_t commands = commands_;
    std::uint64_t now_ms = now_ms_;
    const auto settle = [&](bool whole) {
        for (projection* view : group) {
            view->commands_ = commands;
            view->now_ms_ = now_ms;
            if (whole) view->position_ = batch.end;
        }
    };
    const auto prefetch = [&](const journal::record_view& r) {
        if (const named_ids ids = ids_named(r); ids.reservation != 0) {
            for (const projection* view : group) view->prefetch(ids);
        }
    };
    const journal::record_range records(batch.body, batch.record_count);
    auto ahead = records.begin();
    for (std::uint32_t i = 0; i < prefetch_records_ahead && ahead != records.end(); i++, ++ahead) {
        prefetch(*ahead);
    }
    event e;
    for (const journal::record_view r : records) {
        if (ahead != records.end()) {
            prefetch(*ahead);
            ++ahead;
        }
        if (r.payload.size() < sizeof(std::uint64_t)) {
            settle(false);
            return std::unexpected("a record of type " + std::to_string(r.type) +
                                   " too short for its time: upgrade ordo");
        }
        std::uint64_t record_ms = 0;
        std::memcpy(&record_ms, r.payload.data(), sizeof(record_ms));
        if (stop != nullptr) {
            // This record belongs to command commands + 1 (an expiry precedes its command).
            const bool beyond = stop->by == stop_point::kind::commands ? commands >= stop->value
                                                                       : record_ms > stop->value;
            if (beyond) {
                settle(false);
                return applied::cut;
            }
        }
        record_fault fault = record_ms < now_ms ? record_fault::time_backwards : record_fault::none;
        if (fault == record_fault::none) {
            fault = read_event(r.type, r.schema_version, r.payload, e);
        }
        if (fault != record_fault::none) {
            settle(false);
            return std::unexpected(fault_message(fault, r.type, r.schema_version));
        }
        now_ms = record_ms;
        e.context = event_context{.command = commands + 1, .now_ms = record_ms};
        for (projection* view : group) view->deliver(e);
        if (engine::is_primary(e.kind)) commands++;
    }
    settle(true);
    return applied::whole;
}

// Runs for every record of every view: the handler of its event.
void projection::deliver(const event& e) {
    const event_context& at = e.context;
    switch (e.kind) {
        case event_type::conference_created:
            on_conference_created(at, e.created, e.items);
            break;
        case event_type::seats_added:
        case event_type::seats_removed:
            on_seats_changed(at, e.seats_changed, e.kind == event_type::seats_added);
            break;
        case event_type::reservation_held:
            on_held(at, e.held, e.items);
            break;
        case event_type::reservation_confirmed:
            on_confirmed(at, e.changed.reservation);
            break;
        case event_type::reservation_cancelled:
            on_cancelled(at, e.changed.reservation);
            break;
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close:
            on_expired(at, e.expired, e.kind == event_type::reservation_expired_at_close);
            break;
        case event_type::command_rejected:
            on_rejected(at, e.rejected);
            break;
        case event_type::ticked:
            break;
        case event_type::conference_closed:
            on_closed(at, e.closed);
            break;
    }
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
