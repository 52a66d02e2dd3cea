#include "projections/sales.h"

#include <algorithm>
#include <array>

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

std::vector<sales_bucket> sales_points::buckets(const store& closed, std::uint64_t width_ms) const {
    ORDO_ASSERT(width_ms > 0);
    std::vector<sales_bucket> out;
    for_each(closed, [&](const point& p) {
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

namespace {

// A point's counts in a checkpoint, in this order after its time.
constexpr std::array<std::uint64_t sales_counts::*, 6> count_words = {
    &sales_counts::reserved,  &sales_counts::seats_reserved, &sales_counts::confirmed,
    &sales_counts::cancelled, &sales_counts::expired,        &sales_counts::rejected};
static_assert(1 + count_words.size() == sales_points::point_words);

}  // namespace

void sales_points::encode(state_writer& out, const store& closed) const {
    out.reserve_words(1 + size() * point_words);
    out.u64(size());
    for_each(closed, [&](const point& p) {
        out.u64(p.t_ms);
        for (const auto field : count_words) out.u64(p.counts.*field);
    });
}

bool sales_points::decode(state_reader& in, std::uint64_t count, store& closed) {
    ORDO_ASSERT(size() == 0);
    if (count == 0) return false;
    for (std::uint64_t k = 0; k < count; k++) {
        point p;
        in.u64(p.t_ms);
        for (const auto field : count_words) in.u64(p.counts.*field);
        if (!in.ok() || (has_open_ && open_.t_ms >= p.t_ms)) return false;
        // The newest point stays the open one: records of its time add to it.
        if (has_open_) close(closed);
        open_ = p;
        has_open_ = true;
    }
    return true;
}

std::vector<sales_bucket> sales::buckets(std::uint64_t conference, std::uint64_t width_ms) const {
    ORDO_ASSERT(width_ms > 0);
    const sales_points* points = points_of_.find(conference);
    if (points == nullptr) return {};
    return points->buckets(closed_, width_ms);
}

sales_counts* sales::counts_at(std::uint64_t conference, std::uint64_t t_ms) {
    ORDO_ASSERT(conference != 0);
    sales_points* points = points_of_.find(conference);
    if (points == nullptr) {
        points = &points_of_.insert(conference, sales_points{});
        conference_ids_.push_back(conference);
    }
    return &points->at(t_ms, closed_);
}

std::uint64_t sales::conference_of(std::uint64_t reservation) const {
    const std::uint64_t* found = conference_of_.find(reservation);
    return found == nullptr ? 0 : *found;
}

void sales::hold(std::uint64_t reservation, std::uint64_t conference) {
    ORDO_ASSERT(conference != 0);
    conference_of_.insert(reservation, conference);  // asserts the id is new
    held_.emplace_back(reservation, conference);
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
    std::vector<std::uint64_t> conferences = conference_ids_;
    std::sort(conferences.begin(), conferences.end());
    out.u64(conferences.size());
    for (const std::uint64_t conference : conferences) {
        out.u64(conference);
        const sales_points* points = points_of_.find(conference);
        ORDO_ASSERT(points != nullptr);
        points->encode(out, closed_);
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
        hold(reservation, conference);
    }
    if (!in.count(count, 2)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t conference = 0;
        std::uint64_t points = 0;
        in.u64(conference);
        if (!in.count(points, sales_points::point_words) || conference == 0) return false;
        if (points_of_.find(conference) != nullptr) return false;
        sales_points decoded;
        if (!decoded.decode(in, points, closed_)) return false;
        points_of_.insert(conference, decoded);
        conference_ids_.push_back(conference);
    }
    return in.ok();
}

void sales::clear_view() {
    held_.clear();
    conference_of_.clear();
    conference_ids_.clear();
    points_of_.clear();
    closed_.clear();
}

}  // namespace ordo::projections
