#pragma once
// Sales per conference over time (CONTRACT.md section 4, `ordo query sales`): for each
// stamped millisecond that holds anything, the accepted reserves and their seats, the
// accepted confirms and cancels, the expiries, and the rejected commands (not duplicates,
// not unknown_conference) that named the conference. Buckets of any width are sums of
// these points, so the width is the query's choice, not the projection's.
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <utility>
#include <vector>

#include "projections/flat_index.h"
#include "projections/projection.h"
#include "projections/sales_rules.h"

namespace ordo::projections {

class sales final : public sales_rules<sales> {
  public:
    std::string_view name() const noexcept override { return "sales"; }
    // The buckets [from, from + width_ms) that hold anything, ascending; width_ms > 0.
    std::vector<sales_bucket> buckets(std::uint64_t conference, std::uint64_t width_ms) const;

  private:
    friend class sales_rules<sales>;
    void prefetch(std::span<const named_ids> ids) const noexcept override {
        for (const named_ids& named : ids) conference_of_.prefetch(named.reservation);
    }
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    void hold(std::uint64_t reservation, std::uint64_t conference);
    std::uint64_t conference_of(std::uint64_t reservation) const;
    std::uint64_t conference_of_held(std::uint64_t reservation) const {
        const std::uint64_t conference = conference_of(reservation);
        ORDO_ASSERT(conference != 0);
        return conference;
    }
    sales_counts* counts_at(std::uint64_t conference, std::uint64_t t_ms);

    // Each reservation ever held and its conference: in history order for the checkpoint,
    // and indexed by id for the records that name only the reservation.
    struct held_reservation {
        std::uint64_t reservation = 0;
        std::uint64_t conference = 0;
    };
    big_vector<held_reservation> held_;
    flat_index<std::uint64_t> conference_of_;
    // Per conference its points (held in the index: one lookup per record to the open
    // point), the conferences in order of their first point, and every closed point.
    std::vector<std::uint64_t> conference_ids_;
    flat_index<sales_points> points_of_;
    sales_points::store closed_;
};

}  // namespace ordo::projections
