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

// The views prefetch the ids of a block of this many records at a time, one to two blocks
// ahead of the record being applied: 16 to 32 records cover a miss to memory (~100 ns, more
// on a busy host) with the few tens of ns a record takes.
constexpr std::uint32_t prefetch_block_records = 16;

}  // namespace

namespace {

// Where each type's payload names a reservation and a customer (0: it names none; offset 0
// is every payload's now_ms), indexed by type: the prefetch of a record ahead reads its ids
// without a switch over its type. A walk's switches over the record types were most of its
// cost (each mispredicts as the types change), and this one ran for a record other than the
// one being applied.
struct id_offsets {
    std::array<std::uint8_t, 256> reservation{};
    std::array<std::uint8_t, 256> customer{};
};
constexpr id_offsets named_id_offsets = [] {
    id_offsets o;
    const auto at = [&](event_type type, std::size_t offset) {
        o.reservation[static_cast<std::uint8_t>(type)] = static_cast<std::uint8_t>(offset);
    };
    at(event_type::reservation_held, offsetof(engine::reservation_held_v1, reservation));
    at(event_type::reservation_confirmed, offsetof(engine::reservation_changed_v1, reservation));
    at(event_type::reservation_cancelled, offsetof(engine::reservation_changed_v1, reservation));
    at(event_type::reservation_expired, offsetof(engine::reservation_expired_v1, reservation));
    at(event_type::reservation_expired_at_close,
       offsetof(engine::reservation_expired_v1, reservation));
    at(event_type::command_rejected, offsetof(engine::command_rejected_v1, reservation));
    o.customer[static_cast<std::uint8_t>(event_type::reservation_held)] =
        static_cast<std::uint8_t>(offsetof(engine::reservation_held_v1, customer));
    return o;
}();

// The ids a record names (0: none), for the views' prefetch. No branch on the type: an
// offset of 0 reads the record's time and masks it to 0 (a view prefetching id 0 touches
// the one line its slot 0 is in, which stays cached).
named_ids ids_named(const journal::record_view& r) noexcept {
    const std::size_t reservation_at = named_id_offsets.reservation[r.type];
    const std::size_t customer_at = named_id_offsets.customer[r.type];
    const std::size_t needed = std::max(reservation_at, customer_at) + sizeof(std::uint64_t);
    if (r.payload.size() < needed) return {};  // too short: the walk refuses it
    std::uint64_t reservation = 0;
    std::uint64_t customer = 0;
    std::memcpy(&reservation, r.payload.data() + reservation_at, sizeof(reservation));
    std::memcpy(&customer, r.payload.data() + customer_at, sizeof(customer));
    const std::uint64_t reservation_mask = reservation_at == 0 ? 0 : UINT64_MAX;
    const std::uint64_t customer_mask = customer_at == 0 ? 0 : UINT64_MAX;
    return named_ids{.reservation = reservation & reservation_mask,
                     .customer = customer & customer_mask};
}

}  // namespace

// The record's time is the walk's to check. Inlined into walk(): as a call per record (its
// arguments built on the stack, its result tested after) it cost a third of the walk.
[[gnu::always_inline]] inline projection::record_fault projection::deliver(
    std::span<projection* const> group, const journal::record_view& r, const event_context& at) {
    constexpr record_fault unknown = record_fault::unknown;
    constexpr record_fault none = record_fault::none;
    if (r.schema_version != engine::event_schema_version) return unknown;
    const std::span<const std::byte> payload = r.payload;
    switch (static_cast<event_type>(r.type)) {
        case event_type::conference_created: {
            if (!fits<engine::conference_created_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::conference_created_v1>(payload);
            const auto items = items_of(payload, sizeof(e), e.seat_type_count);
            if (!items) return unknown;
            for (projection* view : group) view->on_conference_created(at, e, *items);
            return none;
        }
        case event_type::seats_added:
        case event_type::seats_removed: {
            if (!fits<engine::seats_changed_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::seats_changed_v1>(payload);
            const bool added = static_cast<event_type>(r.type) == event_type::seats_added;
            for (projection* view : group) view->on_seats_changed(at, e, added);
            return none;
        }
        case event_type::reservation_held: {
            if (!fits<engine::reservation_held_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::reservation_held_v1>(payload);
            const auto items = items_of(payload, sizeof(e), e.item_count);
            if (!items || e.item_count > engine::reservation_items_max) return unknown;
            for (projection* view : group) view->on_held(at, e, *items);
            return none;
        }
        case event_type::reservation_confirmed: {
            if (!fits<engine::reservation_changed_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::reservation_changed_v1>(payload);
            for (projection* view : group) view->on_confirmed(at, e.reservation);
            return none;
        }
        case event_type::reservation_cancelled: {
            if (!fits<engine::reservation_changed_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::reservation_changed_v1>(payload);
            for (projection* view : group) view->on_cancelled(at, e.reservation);
            return none;
        }
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close: {
            if (!fits<engine::reservation_expired_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::reservation_expired_v1>(payload);
            const bool at_close =
                static_cast<event_type>(r.type) == event_type::reservation_expired_at_close;
            for (projection* view : group) view->on_expired(at, e, at_close);
            return none;
        }
        case event_type::command_rejected: {
            if (!fits<engine::command_rejected_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::command_rejected_v1>(payload);
            for (projection* view : group) view->on_rejected(at, e);
            return none;
        }
        case event_type::ticked:
            return none;
        case event_type::conference_closed: {
            if (!fits<engine::conference_closed_v1>(payload)) return unknown;
            const auto e = engine::read_payload<engine::conference_closed_v1>(payload);
            for (projection* view : group) view->on_closed(at, e);
            return none;
        }
    }
    return unknown;  // type 0 or past event_type_max
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
    const journal::record_range records(batch.body, batch.record_count);
    auto ahead = records.begin();
    // The ids of the next block of records not yet prefetched, handed to every view.
    const auto prefetch_block = [&] {
        std::array<named_ids, prefetch_block_records> ids;
        std::size_t count = 0;
        for (; count < ids.size() && ahead != records.end(); count++, ++ahead) {
            ids[count] = ids_named(*ahead);
        }
        if (count == 0) return;
        for (const projection* view : group) view->prefetch(std::span(ids).first(count));
    };
    prefetch_block();
    std::uint32_t index = 0;
    for (const journal::record_view r : records) {
        if (index++ % prefetch_block_records == 0) prefetch_block();
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
            fault = deliver(group, r, event_context{.command = commands + 1, .now_ms = record_ms});
        }
        if (fault != record_fault::none) {
            settle(false);
            return std::unexpected(fault_message(fault, r.type, r.schema_version));
        }
        now_ms = record_ms;
        commands += engine::is_primary(static_cast<event_type>(r.type)) ? 1 : 0;
    }
    settle(true);
    return applied::whole;
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
