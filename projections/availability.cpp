#include "projections/availability.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {

std::vector<const conference_view*> availability::conferences() const {
    std::vector<const conference_view*> ascending;
    ascending.reserve(conferences_.size());
    for (const conference_view& c : conferences_) ascending.push_back(&c);
    std::sort(ascending.begin(), ascending.end(),
              [](const conference_view* a, const conference_view* b) { return a->id < b->id; });
    return ascending;
}

const conference_view* availability::conference(std::uint64_t id) const noexcept {
    const std::uint32_t* slot = conference_slot_.find(id);
    return slot == nullptr ? nullptr : &conferences_[*slot];
}

conference_view& availability::conference_of(std::uint64_t conference) {
    const std::uint32_t* slot = conference_slot_.find(conference);
    ORDO_ASSERT(slot != nullptr);  // the engine accepted an event about it
    ORDO_ASSERT(*slot < conferences_.size());
    return conferences_[*slot];
}

seat_type_view& availability::seat_type(conference_view& conference, std::uint32_t type) {
    std::vector<seat_type_view>& types = conference.seat_types;
    auto at = std::lower_bound(types.begin(), types.end(), type,
                               [](const seat_type_view& s, std::uint32_t t) { return s.type < t; });
    if (at == types.end() || at->type != type) at = types.insert(at, seat_type_view{.type = type});
    return *at;
}

void availability::insert_live(std::uint64_t reservation, const live_reservation& r) {
    std::uint32_t slot = 0;
    if (live_free_.empty()) {
        ORDO_ASSERT(live_.size() < UINT32_MAX);
        slot = static_cast<std::uint32_t>(live_.size());
        live_.push_back(r);
    } else {
        slot = live_free_.back();
        live_free_.pop_back();
        live_[slot] = r;
    }
    live_slot_.insert(reservation, slot);  // asserts the id is new: ids are unique for all time
}

void availability::erase_live(std::uint64_t reservation, std::uint32_t slot) {
    ORDO_ASSERT(slot < live_.size());
    live_slot_.erase(reservation);
    live_free_.push_back(slot);
}

void availability::on_conference_created(const event_context&,
                                         const engine::conference_created_v1& e,
                                         std::span<const engine::seat_item> items) {
    ORDO_ASSERT(conference_slot_.find(e.conference) == nullptr);
    ORDO_ASSERT(conferences_.size() < UINT32_MAX);
    conference_slot_.insert(e.conference, static_cast<std::uint32_t>(conferences_.size()));
    conference_view& c = conferences_.emplace_back(
        conference_view{.id = e.conference, .hold_ttl_ms = e.hold_ttl_ms});
    for (const engine::seat_item& item : items)
        seat_type(c, item.seat_type).capacity += item.quantity;
}

void availability::on_seats_changed(const event_context&, const engine::seats_changed_v1& e,
                                    bool added) {
    seat_type_view& s = seat_type(conference_of(e.conference), e.seat_type);
    if (added) {
        s.capacity += e.quantity;
    } else {
        ORDO_ASSERT(s.available() >= e.quantity);
        s.capacity -= e.quantity;
    }
}

void availability::on_held(const event_context&, const engine::reservation_held_v1& e,
                           std::span<const engine::seat_item> items) {
    const std::uint32_t* slot = conference_slot_.find(e.conference);
    ORDO_ASSERT(slot != nullptr);
    conference_view& c = conferences_[*slot];
    live_reservation r{.conference_slot = *slot,
                       .item_count = static_cast<std::uint32_t>(items.size())};
    ORDO_ASSERT(items.size() <= r.items.size());
    for (std::size_t i = 0; i < items.size(); i++) {
        r.items[i] = items[i];
        seat_type_view& s = seat_type(c, items[i].seat_type);
        ORDO_ASSERT(s.available() >= items[i].quantity);
        s.held += items[i].quantity;
    }
    insert_live(e.reservation, r);
    counts_.held++;
}

void availability::release_held(const live_reservation& r, bool to_confirmed) {
    conference_view& c = conferences_[r.conference_slot];
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        seat_type_view& s = seat_type(c, r.items[i].seat_type);
        ORDO_ASSERT(s.held >= r.items[i].quantity);
        s.held -= r.items[i].quantity;
        if (to_confirmed) s.confirmed += r.items[i].quantity;
    }
}

void availability::on_confirmed(const event_context&, std::uint64_t reservation) {
    const std::uint32_t* slot = live_slot_.find(reservation);
    ORDO_ASSERT(slot != nullptr);
    live_reservation& r = live_[*slot];
    ORDO_ASSERT(!r.confirmed);
    release_held(r, true);
    r.confirmed = true;
    ORDO_ASSERT(counts_.held > 0);
    counts_.held--;
    counts_.confirmed++;
}

void availability::on_cancelled(const event_context&, std::uint64_t reservation) {
    const std::uint32_t* found = live_slot_.find(reservation);
    ORDO_ASSERT(found != nullptr);
    const std::uint32_t slot = *found;
    const live_reservation& r = live_[slot];
    if (r.confirmed) {
        conference_view& c = conferences_[r.conference_slot];
        for (std::uint32_t i = 0; i < r.item_count; i++) {
            seat_type_view& s = seat_type(c, r.items[i].seat_type);
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
    erase_live(reservation, slot);
}

void availability::on_expired(const event_context&, const engine::reservation_expired_v1& e, bool) {
    const std::uint32_t* found = live_slot_.find(e.reservation);
    ORDO_ASSERT(found != nullptr);
    const std::uint32_t slot = *found;
    ORDO_ASSERT(!live_[slot].confirmed);  // only holds expire
    release_held(live_[slot], false);
    ORDO_ASSERT(counts_.held > 0);
    counts_.held--;
    counts_.expired++;
    erase_live(e.reservation, slot);
}

void availability::on_closed(const event_context&, const engine::conference_closed_v1& e) {
    conference_view& c = conference_of(e.conference);
    ORDO_ASSERT(!c.closed);
    c.closed = true;
}

void availability::encode_view(state_writer& out) const {
    // Conferences and live reservations in ascending id: both sets are bounded by the
    // market (the live ones only), so sorting them here is cheap and keeps the format.
    const std::vector<const conference_view*> ascending = conferences();
    out.u64(ascending.size());
    for (const conference_view* c : ascending) {
        out.u64(c->id);
        out.u64(c->hold_ttl_ms);
        out.u64(c->closed ? 1 : 0);
        out.u64(c->seat_types.size());
        for (const seat_type_view& s : c->seat_types) {
            out.u64(s.type);
            out.u64(s.capacity);
            out.u64(s.held);
            out.u64(s.confirmed);
        }
    }
    std::vector<std::pair<std::uint64_t, std::uint32_t>> ids;
    ids.reserve(live_slot_.size());
    live_slot_.for_each([&](std::uint64_t id, std::uint32_t slot) { ids.emplace_back(id, slot); });
    std::sort(ids.begin(), ids.end());
    out.u64(ids.size());
    for (const auto& [id, slot] : ids) {
        const live_reservation& r = live_[slot];
        out.u64(id);
        out.u64(conferences_[r.conference_slot].id);
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
        if (!in.count(types, 4) || closed > 1 || c.id == 0) return false;
        if (conference_slot_.find(c.id) != nullptr) return false;
        c.closed = closed == 1;
        for (std::uint64_t t = 0; t < types; t++) {
            seat_type_view s;
            std::uint64_t type = 0;
            in.u64(type);
            in.u64(s.capacity);
            in.u64(s.held);
            in.u64(s.confirmed);
            if (type == 0 || type > UINT16_MAX || s.held + s.confirmed > s.capacity) return false;
            if (!c.seat_types.empty() && c.seat_types.back().type >= type) return false;
            s.type = static_cast<std::uint32_t>(type);
            c.seat_types.push_back(s);
        }
        conference_slot_.insert(c.id, static_cast<std::uint32_t>(conferences_.size()));
        conferences_.push_back(std::move(c));
    }
    if (!in.count(count, 4)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t id = 0;
        std::uint64_t conference = 0;
        std::uint64_t confirmed = 0;
        std::uint64_t items = 0;
        live_reservation r;
        in.u64(id);
        in.u64(conference);
        in.u64(confirmed);
        if (!in.u64(items) || items == 0 || items > engine::reservation_items_max) return false;
        const std::uint32_t* slot = conference_slot_.find(conference);
        if (slot == nullptr || id == 0 || live_slot_.find(id) != nullptr) return false;
        r.conference_slot = *slot;
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
        insert_live(id, r);
    }
    in.u64(counts_.held);
    in.u64(counts_.confirmed);
    in.u64(counts_.cancelled);
    return in.u64(counts_.expired);
}

void availability::clear_view() {
    conferences_.clear();
    conference_slot_.clear();
    live_.clear();
    live_free_.clear();
    live_slot_.clear();
    counts_ = {};
}

}  // namespace ordo::projections
