#pragma once
// What each event adds to sales per conference (CONTRACT.md section 4, `ordo query sales`):
// for each stamped millisecond, the accepted reserves and their seats, the accepted
// confirms and cancels, the expiries, and the rejected commands (not duplicates, not
// unknown_conference) that named the conference, through its `conference` field or, for
// confirm and cancel, through the reservation they name when it was held. Shared by the
// whole view (sales.h) and the view of one conference a query builds (sales_conference.h),
// so that the two cannot disagree.
//
// Derived provides, callable from here:
// - void hold(std::uint64_t reservation, std::uint64_t conference): a reserve accepted;
// - std::uint64_t conference_of(std::uint64_t reservation) const: the conference it was held
//   in (0: never held, or, in a one-conference view, not in its conference);
// - std::uint64_t conference_of_held(std::uint64_t reservation) const: the same for a
//   reservation the journal says was held (confirmed, cancelled, expired);
// - sales_counts* counts_at(std::uint64_t conference, std::uint64_t t_ms): the counts of the
//   conference's point at that time (time never runs backwards), or nullptr for a conference
//   the view does not keep (0 included).
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <span>
#include <vector>

#include "base/assert.h"
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

// One conference's points, ascending time: the closed ones, then the open one, the point of
// the conference's latest time, which the records of that time add to. Closed points are
// only appended, never read back while applying: the counting happens in the few open
// points, which stay in the cache (adding to the newest point in place cost a cache miss on
// every other record: each point had just been appended to fresh memory).
class sales_points {
  public:
    struct point {
        std::uint64_t t_ms = 0;
        sales_counts counts;
    };
    static constexpr std::size_t point_words = 7;  // in a checkpoint: t_ms, then the counts

    // The counts of the point at `t_ms`, opened when the time moved on.
    sales_counts& at(std::uint64_t t_ms) {
        if (!has_open_ || open_.t_ms != t_ms) {
            ORDO_ASSERT(!has_open_ || open_.t_ms < t_ms);
            if (has_open_) closed_.push_back(open_);
            open_ = point{.t_ms = t_ms};
            has_open_ = true;
        }
        return open_.counts;
    }
    std::size_t size() const noexcept { return closed_.size() + (has_open_ ? 1 : 0); }
    template <class F>
    void for_each(F&& f) const {
        for (const point& p : closed_) f(p);
        if (has_open_) f(open_);
    }
    // The buckets [from, from + width_ms) that hold anything, ascending; width_ms > 0.
    std::vector<sales_bucket> buckets(std::uint64_t width_ms) const;

    // A checkpoint's points (point_words each, `count` > 0 of them), ascending time; false
    // when they are not (nothing is kept then).
    bool decode(state_reader& in, std::uint64_t count);
    void encode(state_writer& out) const;

  private:
    std::vector<point> closed_;
    point open_;
    bool has_open_ = false;
};

template <class Derived>
class sales_rules : public projection {
  protected:
    void on_held(const event_context& when, const engine::reservation_held_v1& e,
                 std::span<const engine::seat_item> items) override {
        self().hold(e.reservation, e.conference);
        if (sales_counts* c = self().counts_at(e.conference, when.now_ms)) {
            c->reserved++;
            for (const engine::seat_item& item : items) c->seats_reserved += item.quantity;
        }
    }
    void on_confirmed(const event_context& when, std::uint64_t reservation) override {
        if (sales_counts* c =
                self().counts_at(self().conference_of_held(reservation), when.now_ms)) {
            c->confirmed++;
        }
    }
    void on_cancelled(const event_context& when, std::uint64_t reservation) override {
        if (sales_counts* c =
                self().counts_at(self().conference_of_held(reservation), when.now_ms)) {
            c->cancelled++;
        }
    }
    void on_expired(const event_context& when, const engine::reservation_expired_v1& e,
                    bool) override {
        if (sales_counts* c =
                self().counts_at(self().conference_of_held(e.reservation), when.now_ms)) {
            c->expired++;
        }
    }
    void on_rejected(const event_context& when, const engine::command_rejected_v1& e) override {
        if (!engine::is_rejection(e.result) || e.result == engine::outcome::unknown_conference) {
            return;
        }
        const bool through_reservation =
            e.kind == engine::op::confirm || e.kind == engine::op::cancel;
        const std::uint64_t conference =
            through_reservation ? self().conference_of(e.reservation) : e.conference;
        if (conference == 0) return;
        if (sales_counts* c = self().counts_at(conference, when.now_ms)) c->rejected++;
    }

  private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace ordo::projections
