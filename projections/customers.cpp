#include "projections/customers.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {

std::string_view status_name(reservation_status status) noexcept {
    switch (status) {
        case reservation_status::held:
            return "held";
        case reservation_status::confirmed:
            return "confirmed";
        case reservation_status::cancelled:
            return "cancelled";
        case reservation_status::expired:
            return "expired";
    }
    return "unknown";
}

std::vector<reservation_view> customers::of_customer(std::uint64_t customer) const {
    std::vector<reservation_view> found;
    auto ids = by_customer_.find(customer);
    if (ids == by_customer_.end()) return found;
    for (const std::uint64_t id : ids->second) found.push_back(reservations_.at(id));
    std::sort(found.begin(), found.end(),
              [](const reservation_view& a, const reservation_view& b) { return a.id < b.id; });
    return found;
}

void customers::on_held(const event_context& at, const engine::reservation_held_v1& e,
                        std::span<const engine::seat_item> items) {
    reservation_view r{.id = e.reservation,
                       .conference = e.conference,
                       .customer = e.customer,
                       .status = reservation_status::held,
                       .held_at_ms = at.now_ms,
                       .expires_at_ms = e.expires_at_ms,
                       .updated_at_ms = at.now_ms,
                       .seats = std::vector<engine::seat_item>(items.begin(), items.end())};
    const bool inserted = reservations_.emplace(e.reservation, std::move(r)).second;
    ORDO_ASSERT(inserted);  // ids are unique for all time
    by_customer_[e.customer].push_back(e.reservation);
}

void customers::change(std::uint64_t reservation, reservation_status status, std::uint64_t now_ms) {
    auto found = reservations_.find(reservation);
    ORDO_ASSERT(found != reservations_.end());
    ORDO_ASSERT(found->second.status != status);
    found->second.status = status;
    found->second.updated_at_ms = now_ms;
}

void customers::on_confirmed(const event_context& at, std::uint64_t reservation) {
    change(reservation, reservation_status::confirmed, at.now_ms);
}
void customers::on_cancelled(const event_context& at, std::uint64_t reservation) {
    change(reservation, reservation_status::cancelled, at.now_ms);
}
void customers::on_expired(const event_context& at, const engine::reservation_expired_v1& e, bool) {
    change(e.reservation, reservation_status::expired, at.now_ms);
}

void customers::encode_view(state_writer& out) const {
    const std::vector<std::uint64_t> ids = sorted_keys(reservations_);
    out.u64(ids.size());
    for (const std::uint64_t id : ids) {
        const reservation_view& r = reservations_.at(id);
        out.u64(id);
        out.u64(r.conference);
        out.u64(r.customer);
        out.u64(static_cast<std::uint64_t>(r.status));
        out.u64(r.held_at_ms);
        out.u64(r.expires_at_ms);
        out.u64(r.updated_at_ms);
        out.u64(r.seats.size());
        for (const engine::seat_item& s : r.seats) {
            out.u64(s.seat_type);
            out.u64(s.quantity);
        }
    }
}

bool customers::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!in.count(count, 8)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        reservation_view r;
        std::uint64_t status = 0;
        std::uint64_t items = 0;
        in.u64(r.id);
        in.u64(r.conference);
        in.u64(r.customer);
        in.u64(status);
        in.u64(r.held_at_ms);
        in.u64(r.expires_at_ms);
        in.u64(r.updated_at_ms);
        if (!in.u64(items) || items == 0 || items > engine::reservation_items_max) return false;
        if (status < 1 || status > 4) return false;
        r.status = static_cast<reservation_status>(status);
        for (std::uint64_t k = 0; k < items; k++) {
            std::uint64_t type = 0;
            std::uint64_t quantity = 0;
            in.u64(type);
            in.u64(quantity);
            if (type == 0 || type > UINT16_MAX || quantity > UINT32_MAX) return false;
            r.seats.push_back(engine::seat_item{.quantity = static_cast<std::uint32_t>(quantity),
                                                .seat_type = static_cast<std::uint16_t>(type),
                                                .reserved_zero = 0});
        }
        if (!in.ok() || reservations_.contains(r.id)) return false;
        by_customer_[r.customer].push_back(r.id);
        reservations_.emplace(r.id, std::move(r));
    }
    return in.ok();
}

void customers::clear_view() {
    reservations_.clear();
    by_customer_.clear();
}

}  // namespace ordo::projections
