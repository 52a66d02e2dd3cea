#pragma once
// Sales of one conference, built for `ordo query sales` without the whole view: its
// checkpoint is sales' (the same file, the same bytes), read in one pass that keeps the
// conference's points and the reservations held in it (confirm, cancel and expiry name
// their conference through the reservation), and the journal after it is applied by the
// same rules (sales_rules.h), keeping only the conference's counts. The whole view's
// decode rebuilds the index of every reservation ever held and every conference's points
// (at 30 M commands, 306 MB: 0.23-0.49 s); this keeps a few thousand of each.
//
// Never saved: it is not the view its checkpoint file holds (whole() is false; saving
// asserts).
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "projections/sales_rules.h"

namespace ordo::projections {

class sales_conference_view final : public sales_rules<sales_conference_view> {
  public:
    explicit sales_conference_view(std::uint64_t conference) : conference_(conference) {
        ORDO_ASSERT(conference != 0);
    }
    // Its checkpoint file is sales' (sales::name()).
    std::string_view name() const noexcept override { return "sales"; }
    bool whole() const noexcept override { return false; }
    // The buckets [from, from + width_ms) that hold anything, ascending; width_ms > 0.
    std::vector<sales_bucket> buckets(std::uint64_t width_ms) const {
        return points_.buckets(closed_, width_ms);
    }

  private:
    friend class sales_rules<sales_conference_view>;
    void hold(std::uint64_t reservation, std::uint64_t conference) {
        if (conference == conference_) held_.insert(reservation);
    }
    // The conference for a reservation held in it; 0 for any other.
    std::uint64_t conference_of(std::uint64_t reservation) const {
        return held_.contains(reservation) ? conference_ : 0;
    }
    std::uint64_t conference_of_held(std::uint64_t reservation) const {
        return conference_of(reservation);
    }
    sales_counts* counts_at(std::uint64_t conference, std::uint64_t t_ms) {
        return conference == conference_ ? &points_.at(t_ms, closed_) : nullptr;
    }

    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    std::uint64_t conference_;
    std::unordered_set<std::uint64_t> held_;  // reservations held in it
    sales_points points_;
    sales_points::store closed_;
};

}  // namespace ordo::projections
