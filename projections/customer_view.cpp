#include "projections/customer_view.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {

std::vector<reservation_view> customer_view::reservations() const {
    std::vector<reservation_view> found = reservations_;
    std::sort(found.begin(), found.end(),
              [](const reservation_view& a, const reservation_view& b) { return a.id < b.id; });
    return found;
}

void customer_view::append(const reservation_view& r, std::span<const engine::seat_item> seats) {
    ORDO_ASSERT(!seats.empty());
    ORDO_ASSERT(seats.size() <= engine::reservation_items_max);
    if (r.customer != customer_) return;
    const bool fresh = position_.emplace(r.id, reservations_.size()).second;
    ORDO_ASSERT(fresh);  // ids are unique for all time
    reservation_view& kept = reservations_.emplace_back(r);
    kept.seats.assign(seats.begin(), seats.end());
}

void customer_view::change(std::uint64_t reservation, reservation_status status,
                           std::uint64_t now_ms) {
    const auto found = position_.find(reservation);
    if (found == position_.end()) return;  // another customer's
    reservation_view& r = reservations_[found->second];
    ORDO_ASSERT(r.status != status);
    r.status = status;
    r.updated_at_ms = now_ms;
}

void customer_view::encode_view(state_writer&) const {
    // Its bytes would stand in customers' checkpoint for the whole view.
    ORDO_ASSERT(false && "a one-customer view is never saved");
}

bool customer_view::decode_view(state_reader& in) {
    // Customers' state (customers::encode_view), one pass, the customer's kept; every
    // reservation is checked as the whole view checks it but for an id held twice, which
    // needs the index of every id this view does without.
    std::uint64_t count = 0;
    if (!in.count(count, 8) || count > customers_reservations_max) return false;
    reservation_seats seats{};
    for (std::uint64_t i = 0; i < count; i++) {
        reservation_view r;
        std::size_t items = 0;
        if (!read_reservation(in, r, seats, items)) return false;
        if (r.customer == customer_ && position_.contains(r.id)) return false;
        append(r, std::span(seats).first(items));
    }
    return in.ok();
}

void customer_view::clear_view() {
    reservations_.clear();
    position_.clear();
}

}  // namespace ordo::projections
