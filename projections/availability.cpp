#include "projections/availability.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {

seat_type_view& availability::seat_type(std::uint64_t conference, std::uint32_t type) {
    auto found = conferences_.find(conference);
    ORDO_ASSERT(found != conferences_.end());  // the engine accepted an event about it
    std::vector<seat_type_view>& types = found->second.seat_types;
    auto at = std::lower_bound(types.begin(), types.end(), type,
                               [](const seat_type_view& s, std::uint32_t t) { return s.type < t; });
    if (at == types.end() || at->type != type) at = types.insert(at, seat_type_view{.type = type});
    return *at;
}

void availability::on_conference_created(const event_context&,
                                         const engine::conference_created_v1& e,
                                         std::span<const engine::seat_item> items) {
    ORDO_ASSERT(!conferences_.contains(e.conference));
    conferences_[e.conference] = conference_view{.id = e.conference, .hold_ttl_ms = e.hold_ttl_ms};
    for (const engine::seat_item& item : items) {
        seat_type(e.conference, item.seat_type).capacity += item.quantity;
    }
}

void availability::on_seats_changed(const event_context&, const engine::seats_changed_v1& e,
                                    bool added) {
    seat_type_view& s = seat_type(e.conference, e.seat_type);
    if (added) {
        s.capacity += e.quantity;
    } else {
        ORDO_ASSERT(s.available() >= e.quantity);
        s.capacity -= e.quantity;
    }
}

void availability::on_held(const event_context&, const engine::reservation_held_v1& e,
                           std::span<const engine::seat_item> items) {
    live_reservation r{.conference = e.conference,
                       .item_count = static_cast<std::uint32_t>(items.size())};
    for (std::size_t i = 0; i < items.size(); i++) {
        r.items[i] = items[i];
        seat_type_view& s = seat_type(e.conference, items[i].seat_type);
        ORDO_ASSERT(s.available() >= items[i].quantity);
        s.held += items[i].quantity;
    }
    const bool inserted = live_.emplace(e.reservation, r).second;
    ORDO_ASSERT(inserted);  // ids are unique for all time
    counts_.held++;
}

void availability::release_held(const live_reservation& r, bool to_confirmed) {
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        seat_type_view& s = seat_type(r.conference, r.items[i].seat_type);
        ORDO_ASSERT(s.held >= r.items[i].quantity);
        s.held -= r.items[i].quantity;
        if (to_confirmed) s.confirmed += r.items[i].quantity;
    }
}

void availability::on_confirmed(const event_context&, std::uint64_t reservation) {
    auto found = live_.find(reservation);
    ORDO_ASSERT(found != live_.end());
    ORDO_ASSERT(!found->second.confirmed);
    release_held(found->second, true);
    found->second.confirmed = true;
    ORDO_ASSERT(counts_.held > 0);
    counts_.held--;
    counts_.confirmed++;
}

void availability::on_cancelled(const event_context&, std::uint64_t reservation) {
    auto found = live_.find(reservation);
    ORDO_ASSERT(found != live_.end());
    const live_reservation& r = found->second;
    if (r.confirmed) {
        for (std::uint32_t i = 0; i < r.item_count; i++) {
            seat_type_view& s = seat_type(r.conference, r.items[i].seat_type);
            ORDO_ASSERT(s.confirmed >= r.items[i].quantity);
            s.confirmed -= r.items[i].quantity;
        }
        ORDO_ASSERT(counts_.confirmed > 0);
        counts_.confirmed--;
    } else {
        release_held(r, false);
        ORDO_ASSERT(counts_.held > 0);
        counts_.held--;
    }
    counts_.cancelled++;
    live_.erase(found);
}

void availability::on_expired(const event_context&, const engine::reservation_expired_v1& e, bool) {
    auto found = live_.find(e.reservation);
    ORDO_ASSERT(found != live_.end());
    ORDO_ASSERT(!found->second.confirmed);  // only holds expire
    release_held(found->second, false);
    ORDO_ASSERT(counts_.held > 0);
    counts_.held--;
    counts_.expired++;
    live_.erase(found);
}

void availability::on_closed(const event_context&, const engine::conference_closed_v1& e) {
    auto found = conferences_.find(e.conference);
    ORDO_ASSERT(found != conferences_.end());
    ORDO_ASSERT(!found->second.closed);
    found->second.closed = true;
}

void availability::encode_view(state_writer& out) const {
    out.u64(conferences_.size());
    for (const auto& [id, c] : conferences_) {
        out.u64(id);
        out.u64(c.hold_ttl_ms);
        out.u64(c.closed ? 1 : 0);
        out.u64(c.seat_types.size());
        for (const seat_type_view& s : c.seat_types) {
            out.u64(s.type);
            out.u64(s.capacity);
            out.u64(s.held);
            out.u64(s.confirmed);
        }
    }
    const std::vector<std::uint64_t> ids = sorted_keys(live_);
    out.u64(ids.size());
    for (const std::uint64_t id : ids) {
        const live_reservation& r = live_.at(id);
        out.u64(id);
        out.u64(r.conference);
        out.u64(r.confirmed ? 1 : 0);
        out.u64(r.item_count);
        for (std::uint32_t i = 0; i < r.item_count; i++) {
            out.u64(r.items[i].seat_type);
            out.u64(r.items[i].quantity);
        }
    }
    out.u64(counts_.held);
    out.u64(counts_.confirmed);
    out.u64(counts_.cancelled);
    out.u64(counts_.expired);
}

bool availability::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!in.count(count, 4)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        conference_view c;
        std::uint64_t closed = 0;
        std::uint64_t types = 0;
        in.u64(c.id);
        in.u64(c.hold_ttl_ms);
        in.u64(closed);
        if (!in.count(types, 4) || closed > 1) return false;
        c.closed = closed == 1;
        for (std::uint64_t t = 0; t < types; t++) {
            seat_type_view s;
            std::uint64_t type = 0;
            in.u64(type);
            in.u64(s.capacity);
            in.u64(s.held);
            in.u64(s.confirmed);
            if (type == 0 || type > UINT16_MAX || s.held + s.confirmed > s.capacity) return false;
            s.type = static_cast<std::uint32_t>(type);
            c.seat_types.push_back(s);
        }
        conferences_[c.id] = std::move(c);
    }
    if (!in.count(count, 4)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t id = 0;
        std::uint64_t confirmed = 0;
        std::uint64_t items = 0;
        live_reservation r;
        in.u64(id);
        in.u64(r.conference);
        in.u64(confirmed);
        if (!in.u64(items) || items == 0 || items > engine::reservation_items_max) return false;
        if (!conferences_.contains(r.conference)) return false;
        r.confirmed = confirmed == 1;
        r.item_count = static_cast<std::uint32_t>(items);
        for (std::uint64_t k = 0; k < items; k++) {
            std::uint64_t type = 0;
            std::uint64_t quantity = 0;
            in.u64(type);
            in.u64(quantity);
            if (type == 0 || type > UINT16_MAX || quantity > UINT32_MAX) return false;
            r.items[k] = engine::seat_item{.quantity = static_cast<std::uint32_t>(quantity),
                                           .seat_type = static_cast<std::uint16_t>(type),
                                           .reserved_zero = 0};
        }
        live_[id] = r;
    }
    in.u64(counts_.held);
    in.u64(counts_.confirmed);
    in.u64(counts_.cancelled);
    return in.u64(counts_.expired);
}

void availability::clear_view() {
    conferences_.clear();
    live_.clear();
    counts_ = {};
}

}  // namespace ordo::projections
