#include "projections/customers.h"

#include <algorithm>
#include <array>

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
    const std::uint32_t* latest = latest_of_customer_.find(customer);
    for (std::uint32_t at = latest == nullptr ? no_record : *latest; at != no_record;
         at = records_[at].previous_of_customer) {
        ORDO_ASSERT(at < records_.size());
        const record& r = records_[at];
        ORDO_ASSERT(r.customer == customer);
        const auto seats = std::span(seats_).subspan(r.seats_first, r.seat_count);
        found.push_back(
            reservation_view{.id = r.id,
                             .conference = r.conference,
                             .customer = r.customer,
                             .status = r.status,
                             .held_at_ms = r.held_at_ms,
                             .expires_at_ms = r.expires_at_ms,
                             .updated_at_ms = r.updated_at_ms,
                             .seats = std::vector<engine::seat_item>(seats.begin(), seats.end())});
    }
    std::sort(found.begin(), found.end(),
              [](const reservation_view& a, const reservation_view& b) { return a.id < b.id; });
    return found;
}

void customers::append(const reservation_view& r, std::span<const engine::seat_item> seats) {
    ORDO_ASSERT(records_.size() < customers_reservations_max);
    ORDO_ASSERT(!seats.empty());
    ORDO_ASSERT(seats.size() <= engine::reservation_items_max);
    const auto number = static_cast<std::uint32_t>(records_.size());
    std::uint32_t& latest = latest_of_customer_.find_or_insert(r.customer, no_record);
    records_.push_back(record{.id = r.id,
                              .conference = r.conference,
                              .customer = r.customer,
                              .held_at_ms = r.held_at_ms,
                              .expires_at_ms = r.expires_at_ms,
                              .updated_at_ms = r.updated_at_ms,
                              .seats_first = seats_.size(),
                              .previous_of_customer = latest,
                              .seat_count = static_cast<std::uint8_t>(seats.size()),
                              .status = r.status});
    latest = number;
    seats_.append(seats.data(), seats.data() + seats.size());
    by_id_.insert(r.id, number);  // asserts the id is new: ids are unique for all time
}

void customers::change(std::uint64_t reservation, reservation_status status, std::uint64_t now_ms) {
    const std::uint32_t* found = by_id_.find(reservation);
    ORDO_ASSERT(found != nullptr);
    ORDO_ASSERT(*found < records_.size());
    record& r = records_[*found];
    ORDO_ASSERT(r.status != status);
    r.status = status;
    r.updated_at_ms = now_ms;
}

void customers::expect_records(std::uint64_t records) {
    // At most one reservation a record; the room past the ones that come is never touched,
    // so it costs address space, not memory.
    reserve_hint(records_, std::min(records_.size() + records, customers_reservations_max));
}

void customers::encode_view(state_writer& out) const {
    // History order (the records' own): deterministic, and no sort of every reservation.
    out.reserve_words(1 + records_.size() * 8 + seats_.size() * 2);
    out.u64(records_.size());
    for (const record& r : records_) {
        out.u64(r.id);
        out.u64(r.conference);
        out.u64(r.customer);
        out.u64(static_cast<std::uint64_t>(r.status));
        out.u64(r.held_at_ms);
        out.u64(r.expires_at_ms);
        out.u64(r.updated_at_ms);
        out.u64(r.seat_count);
        for (const engine::seat_item& s : std::span(seats_).subspan(r.seats_first, r.seat_count)) {
            out.u64(s.seat_type);
            out.u64(s.quantity);
        }
    }
}

bool read_reservation(state_reader& in, reservation_view& r, reservation_seats& seats,
                      std::size_t& items) noexcept {
    std::uint64_t status = 0;
    std::uint64_t count = 0;
    in.u64(r.id);
    in.u64(r.conference);
    in.u64(r.customer);
    in.u64(status);
    in.u64(r.held_at_ms);
    in.u64(r.expires_at_ms);
    in.u64(r.updated_at_ms);
    if (!in.u64(count) || count == 0 || count > seats.size()) return false;
    if (status < 1 || status > 4) return false;
    r.status = static_cast<reservation_status>(status);
    for (std::uint64_t k = 0; k < count; k++) {
        std::uint64_t type = 0;
        std::uint64_t quantity = 0;
        in.u64(type);
        in.u64(quantity);
        if (type == 0 || type > UINT16_MAX || quantity > UINT32_MAX) return false;
        seats[k] = engine::seat_item{.quantity = static_cast<std::uint32_t>(quantity),
                                     .seat_type = static_cast<std::uint16_t>(type),
                                     .reserved_zero = 0};
    }
    items = count;
    return in.ok() && r.id != 0 && r.customer != 0;
}

bool customers::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!in.count(count, 8) || count > customers_reservations_max) return false;
    records_.reserve(count);
    reservation_seats seats{};
    for (std::uint64_t i = 0; i < count; i++) {
        reservation_view r;
        std::size_t items = 0;
        if (!read_reservation(in, r, seats, items) || by_id_.find(r.id) != nullptr) return false;
        append(r, std::span(seats).first(items));
    }
    return in.ok();
}

void customers::clear_view() {
    records_.clear();
    seats_.clear();
    by_id_.clear();
    latest_of_customer_.clear();
}

}  // namespace ordo::projections
