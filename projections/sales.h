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
    void prefetch(std::span<const named_ids> ids) const noexcept override {
        for (const named_ids& named : ids) conference_of_.prefetch(named.reservation);
    }
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    // The conference's point at this time (appended: time never runs backwards).
    sales_counts& at(std::uint64_t conference, std::uint64_t t_ms);
    std::uint64_t conference_of(std::uint64_t reservation) const;
    void add_reservation(std::uint64_t reservation, std::uint64_t conference);

    // Each reservation ever held and its conference: in history order for the checkpoint,
    // and indexed by id for the records that name only the reservation.
    struct held_reservation {
        std::uint64_t reservation = 0;
        std::uint64_t conference = 0;
    };
    big_vector<held_reservation> held_;
    flat_index<std::uint64_t> conference_of_;
    // Per conference (numbered in order of its first point) its points, ascending time:
    // the closed ones, then the open one, the point of the conference's latest time, which
    // the records of that time add to. Closed points are only appended, never read back
    // while applying: the counting happens in the few open points, which stay in the cache
    // (adding to the newest point in place cost a cache miss on every other record: each
    // point had just been appended to fresh memory).
    struct conference_points {
        std::vector<point> closed;
        point open;
        bool has_open = false;
        std::size_t size() const noexcept { return closed.size() + (has_open ? 1 : 0); }
        template <class F>
        void for_each(F&& f) const {
            for (const point& p : closed) f(p);
            if (has_open) f(open);
        }
    };
    std::vector<std::uint64_t> conference_ids_;
    std::vector<conference_points> points_;
    flat_index<std::uint32_t> points_slot_;
};

}  // namespace ordo::projections
