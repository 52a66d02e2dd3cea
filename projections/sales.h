#pragma once
// Sales per conference over time (CONTRACT.md section 4, `ordo query sales`): for each
// stamped millisecond that holds anything, the accepted reserves and their seats, the
// accepted confirms and cancels, the expiries, and the rejected commands (not duplicates,
// not unknown_conference) that named the conference. Buckets of any width are sums of
// these points, so the width is the query's choice, not the projection's.
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "projections/projection.h"

namespace ordo::projections {

struct sales_counts {
    std::uint64_t reserved = 0;
    std::uint64_t seats_reserved = 0;
    std::uint64_t confirmed = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t expired = 0;
    std::uint64_t rejected = 0;
    void add(const sales_counts& other) noexcept;
};

struct sales_bucket {
    std::uint64_t from_ms = 0;  // a multiple of the width
    std::uint64_t to_ms = 0;    // from_ms + width
    sales_counts counts;
};

class sales final : public projection {
  public:
    std::string_view name() const noexcept override { return "sales"; }
    // The buckets [from, from + width_ms) that hold anything, ascending; width_ms > 0.
    std::vector<sales_bucket> buckets(std::uint64_t conference, std::uint64_t width_ms) const;

  private:
    struct point {
        std::uint64_t t_ms = 0;
        sales_counts counts;
    };

    void on_held(const event_context&, const engine::reservation_held_v1&,
                 std::span<const engine::seat_item>) override;
    void on_confirmed(const event_context&, std::uint64_t reservation) override;
    void on_cancelled(const event_context&, std::uint64_t reservation) override;
    void on_expired(const event_context&, const engine::reservation_expired_v1&,
                    bool at_close) override;
    void on_rejected(const event_context&, const engine::command_rejected_v1&) override;
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    // The conference's point at this time (appended: time never runs backwards).
    sales_counts& at(std::uint64_t conference, std::uint64_t t_ms);
    std::uint64_t conference_of(std::uint64_t reservation) const;

    std::unordered_map<std::uint64_t, std::uint64_t> reservation_conference_;
    std::unordered_map<std::uint64_t, std::vector<point>> points_;
};

}  // namespace ordo::projections
