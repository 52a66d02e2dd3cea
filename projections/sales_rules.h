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

#include <algorithm>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "projections/big_vector.h"
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
//
// The closed points of every conference of a view live in one append-only array of blocks
// (a `sales_points::store`), each block a run of one conference's points linked to its next:
// appending streams into one array and never copies (per-conference vectors copied their
// points at each doubling: an eighth of sales' time in a catch-up), reading a conference's
// points follows one link per block, not per point, and this object stays small and
// trivially copyable, so that a view's index of conferences holds it in place (one lookup
// to the open point, not two).
class sales_points {
  public:
    struct point {
        std::uint64_t t_ms = 0;
        sales_counts counts;
    };
    static constexpr std::size_t block_points = 64;
    struct block {
        point points[block_points];
        std::uint64_t next = 0;  // 1 + the index of the conference's next block; 0: none
    };
    using store = big_vector<block>;
    static constexpr std::size_t point_words = 7;  // in a checkpoint: t_ms, then the counts

    // The counts of the point at `t_ms`, opened when the time moved on (the open one closed
    // into `closed`).
    sales_counts& at(std::uint64_t t_ms, store& closed) {
        if (!has_open_ || open_.t_ms != t_ms) {
            ORDO_ASSERT(!has_open_ || open_.t_ms < t_ms);
            if (has_open_) close(closed);
            open_ = point{.t_ms = t_ms};
            has_open_ = true;
        }
        return open_.counts;
    }
    std::uint64_t size() const noexcept { return closed_count_ + (has_open_ ? 1 : 0); }
    // Calls f(point) for each point, ascending time.
    template <class F>
    void for_each(const store& closed, F&& f) const {
        std::uint64_t left = closed_count_;
        for (std::uint64_t at = first_block_; at != 0; at = closed[at - 1].next) {
            ORDO_ASSERT(at <= closed.size() && left > 0);
            const block& b = closed[at - 1];
            // The next block lies elsewhere in the store: asked for while this one is read.
            if (b.next != 0) __builtin_prefetch(&closed[b.next - 1]);
            const std::uint64_t count = std::min<std::uint64_t>(left, block_points);
            for (std::uint64_t i = 0; i < count; i++) f(b.points[i]);
            left -= count;
        }
        ORDO_ASSERT(left == 0);
        if (has_open_) f(open_);
    }
    // The buckets [from, from + width_ms) that hold anything, ascending; width_ms > 0.
    std::vector<sales_bucket> buckets(const store& closed, std::uint64_t width_ms) const;

    // A checkpoint's points (point_words each, `count` > 0 of them), ascending time, the
    // closed ones appended to `closed`; false when they are not (the caller's decode then
    // fails, and its view is cleared).
    bool decode(state_reader& in, std::uint64_t count, store& closed);
    void encode(state_writer& out, const store& closed) const;

  private:
    void close(store& closed) {
        const std::uint64_t in_block = closed_count_ % block_points;
        if (in_block == 0) {
            closed.emplace_back();
            const std::uint64_t fresh = closed.size();
            if (last_block_ == 0) {
                first_block_ = fresh;
            } else {
                closed[last_block_ - 1].next = fresh;
            }
            last_block_ = fresh;
        }
        closed[last_block_ - 1].points[in_block] = open_;
        closed_count_++;
    }

    point open_;
    std::uint64_t first_block_ = 0;  // 1 + its index in the store; 0: none
    std::uint64_t last_block_ = 0;
    std::uint64_t closed_count_ = 0;
    bool has_open_ = false;
};
static_assert(std::is_trivially_copyable_v<sales_points>);

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
