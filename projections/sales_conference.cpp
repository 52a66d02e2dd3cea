#include "projections/sales_conference.h"

#include "base/assert.h"

namespace ordo::projections {

void sales_conference_view::encode_view(state_writer&) const {
    // Its bytes would stand in sales' checkpoint for the whole view.
    ORDO_ASSERT(false && "a one-conference view is never saved");
}

bool sales_conference_view::decode_view(state_reader& in) {
    // Sales' state (sales::encode_view), one pass, the conference's part kept. The checks are
    // those of the part kept; the whole view's decode also refuses a reservation held twice
    // and another conference's points out of order.
    std::uint64_t count = 0;
    if (!in.count(count, 2)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t reservation = 0;
        std::uint64_t conference = 0;
        in.u64(reservation);
        if (!in.u64(conference) || reservation == 0 || conference == 0) return false;
        hold(reservation, conference);
    }
    if (!in.count(count, 2)) return false;
    std::uint64_t previous = 0;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t conference = 0;
        std::uint64_t points = 0;
        in.u64(conference);
        if (!in.count(points, sales_points::point_words) || conference <= previous) return false;
        previous = conference;  // ascending: each conference once
        if (conference == conference_) {
            if (!points_.decode(in, points, closed_)) return false;
        } else if (points == 0 || !in.skip_words(points * sales_points::point_words)) {
            return false;
        }
    }
    return in.ok();
}

void sales_conference_view::clear_view() {
    held_.clear();
    points_ = sales_points{};
    closed_.clear();
}

}  // namespace ordo::projections
