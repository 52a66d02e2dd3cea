#include "projections/sales.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {

void sales_counts::add(const sales_counts& other) noexcept {
    reserved += other.reserved;
    seats_reserved += other.seats_reserved;
    confirmed += other.confirmed;
    cancelled += other.cancelled;
    expired += other.expired;
    rejected += other.rejected;
}

std::vector<sales_bucket> sales::buckets(std::uint64_t conference, std::uint64_t width_ms) const {
    ORDO_ASSERT(width_ms > 0);
    std::vector<sales_bucket> out;
    const std::uint32_t* slot = points_slot_.find(conference);
    if (slot == nullptr) return out;
    ORDO_ASSERT(*slot < points_.size());
    points_[*slot].for_each([&](const point& p) {
        const std::uint64_t from = p.t_ms / width_ms * width_ms;
        if (out.empty() || out.back().from_ms != from) {
            ORDO_ASSERT(out.empty() || out.back().from_ms < from);
            // to_ms saturates for a bucket at the very end of time.
            const std::uint64_t to = from > UINT64_MAX - width_ms ? UINT64_MAX : from + width_ms;
            out.push_back(sales_bucket{.from_ms = from, .to_ms = to});
        }
        out.back().counts.add(p.counts);
    });
    return out;
}

sales_counts& sales::at(std::uint64_t conference, std::uint64_t t_ms) {
    std::uint32_t& slot = points_slot_.find_or_insert(conference, UINT32_MAX);
    if (slot == UINT32_MAX) {
        ORDO_ASSERT(points_.size() < UINT32_MAX);
        slot = static_cast<std::uint32_t>(points_.size());
        points_.emplace_back();
        conference_ids_.push_back(conference);
    }
    conference_points& points = points_[slot];
    if (!points.has_open || points.open.t_ms != t_ms) {
        ORDO_ASSERT(!points.has_open || points.open.t_ms < t_ms);
        if (points.has_open) points.closed.push_back(points.open);
        points.open = point{.t_ms = t_ms};
        points.has_open = true;
    }
    return points.open.counts;
}

std::uint64_t sales::conference_of(std::uint64_t reservation) const {
    const std::uint64_t* found = conference_of_.find(reservation);
    return found == nullptr ? 0 : *found;
}

void sales::add_reservation(std::uint64_t reservation, std::uint64_t conference) {
    ORDO_ASSERT(conference != 0);
    conference_of_.insert(reservation, conference);  // asserts the id is new
    held_.emplace_back(reservation, conference);
}

void sales::on_held(const event_context& when, const engine::reservation_held_v1& e,
                    std::span<const engine::seat_item> items) {
    add_reservation(e.reservation, e.conference);
    sales_counts& c = at(e.conference, when.now_ms);
    c.reserved++;
    for (const engine::seat_item& item : items) c.seats_reserved += item.quantity;
}

void sales::on_confirmed(const event_context& when, std::uint64_t reservation) {
    const std::uint64_t conference = conference_of(reservation);
    ORDO_ASSERT(conference != 0);
    at(conference, when.now_ms).confirmed++;
}

void sales::on_cancelled(const event_context& when, std::uint64_t reservation) {
    const std::uint64_t conference = conference_of(reservation);
    ORDO_ASSERT(conference != 0);
    at(conference, when.now_ms).cancelled++;
}

void sales::on_expired(const event_context& when, const engine::reservation_expired_v1& e, bool) {
    const std::uint64_t conference = conference_of(e.reservation);
    ORDO_ASSERT(conference != 0);
    at(conference, when.now_ms).expired++;
}

void sales::on_rejected(const event_context& when, const engine::command_rejected_v1& e) {
    if (!engine::is_rejection(e.result) || e.result == engine::outcome::unknown_conference) return;
    const bool through_reservation = e.kind == engine::op::confirm || e.kind == engine::op::cancel;
    const std::uint64_t conference =
        through_reservation ? conference_of(e.reservation) : e.conference;
    if (conference != 0) at(conference, when.now_ms).rejected++;
}

void sales::encode_view(state_writer& out) const {
    // Reservations in history order (no sort of every id); conferences, a bounded few per
    // sale, in ascending id.
    out.reserve_words(1 + held_.size() * 2);
    out.u64(held_.size());
    for (const auto& [reservation, conference] : held_) {
        out.u64(reservation);
        out.u64(conference);
    }
    std::vector<std::pair<std::uint64_t, std::uint32_t>> conferences;
    conferences.reserve(conference_ids_.size());
    for (std::size_t i = 0; i < conference_ids_.size(); i++) {
        conferences.emplace_back(conference_ids_[i], static_cast<std::uint32_t>(i));
    }
    std::sort(conferences.begin(), conferences.end());
    out.u64(conferences.size());
    for (const auto& [conference, slot] : conferences) {
        const conference_points& points = points_[slot];
        out.reserve_words(2 + points.size() * 7);
        out.u64(conference);
        out.u64(points.size());
        points.for_each([&](const point& p) {
            out.u64(p.t_ms);
            out.u64(p.counts.reserved);
            out.u64(p.counts.seats_reserved);
            out.u64(p.counts.confirmed);
            out.u64(p.counts.cancelled);
            out.u64(p.counts.expired);
            out.u64(p.counts.rejected);
        });
    }
}

bool sales::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!in.count(count, 2)) return false;
    held_.reserve(count);
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t reservation = 0;
        std::uint64_t conference = 0;
        in.u64(reservation);
        if (!in.u64(conference) || reservation == 0 || conference == 0) return false;
        if (conference_of(reservation) != 0) return false;
        add_reservation(reservation, conference);
    }
    if (!in.count(count, 2)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t conference = 0;
        std::uint64_t points = 0;
        in.u64(conference);
        if (!in.count(points, 7) || conference == 0 || points == 0) return false;
        if (points_slot_.find(conference) != nullptr) return false;
        points_slot_.insert(conference, static_cast<std::uint32_t>(points_.size()));
        conference_ids_.push_back(conference);
        conference_points& kept = points_.emplace_back();
        std::vector<point>& list = kept.closed;
        list.reserve(points);
        for (std::uint64_t k = 0; k < points; k++) {
            point p;
            in.u64(p.t_ms);
            in.u64(p.counts.reserved);
            in.u64(p.counts.seats_reserved);
            in.u64(p.counts.confirmed);
            in.u64(p.counts.cancelled);
            in.u64(p.counts.expired);
            in.u64(p.counts.rejected);
            if (!list.empty() && list.back().t_ms >= p.t_ms) return false;
            list.push_back(p);
        }
        // The newest point is the open one: records of its time add to it.
        kept.open = list.back();
        kept.has_open = true;
        list.pop_back();
    }
    return in.ok();
}

void sales::clear_view() {
    held_.clear();
    conference_of_.clear();
    conference_ids_.clear();
    points_.clear();
    points_slot_.clear();
}

}  // namespace ordo::projections
