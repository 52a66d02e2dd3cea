#pragma once
// What each event adds to history (CONTRACT.md section 4, `ordo query history`): the entry
// a command or an expiry makes, and the conference it names, through its `conference` field
// or, for confirm, cancel and expiry, through the reservation it names when that was held.
// Shared by the whole view (history.h) and the view of one stream a query builds
// (history_stream.h), so that the two cannot disagree.
//
// Derived provides, callable from here:
// - std::uint64_t conference_of(std::uint64_t reservation) const: the conference the
//   reservation was held in (0: never held, or, in a one-stream view, not in its conference);
// - std::uint64_t conference_of_held(std::uint64_t reservation) const: the same for a
//   reservation the journal says was held (confirmed, cancelled, expired);
// - void record(std::uint64_t conference, const history_entry& entry): appends the entry
//   (a reserve accepted holds its reservation in the conference from then on).
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <span>

#include "base/assert.h"
#include "projections/projection.h"

namespace ordo::projections {

// An entry's op: a command's (engine::op, 1..8), or an expiry.
inline constexpr std::uint8_t op_expire = 0;

struct history_entry {
    std::uint64_t command = 0;      // 1-based; an expiry: the command it preceded
    std::uint64_t t_ms = 0;         // stamped time
    std::uint64_t reservation = 0;  // the reservation it is about (0: none)
    std::uint8_t op = 0;            // op_expire or an engine::op
    engine::outcome result = engine::outcome::accepted;
};

// Whether an entry holds its reservation from then on (a reserve accepted).
inline bool holds_reservation(const history_entry& e) noexcept {
    return e.op == static_cast<std::uint8_t>(engine::op::reserve) &&
           e.result == engine::outcome::accepted;
}

template <class Derived>
class history_rules : public projection {
  protected:
    void on_conference_created(const event_context& at, const engine::conference_created_v1& e,
                               std::span<const engine::seat_item>) override {
        self().record(e.conference, accepted(at, engine::op::create_conference, 0));
    }
    void on_seats_changed(const event_context& at, const engine::seats_changed_v1& e,
                          bool added) override {
        self().record(e.conference,
                      accepted(at, added ? engine::op::add_seats : engine::op::remove_seats, 0));
    }
    void on_held(const event_context& at, const engine::reservation_held_v1& e,
                 std::span<const engine::seat_item>) override {
        ORDO_ASSERT(e.conference != 0);
        ORDO_ASSERT(self().conference_of(e.reservation) == 0);  // ids are unique for all time
        self().record(e.conference, accepted(at, engine::op::reserve, e.reservation));
    }
    void on_confirmed(const event_context& at, std::uint64_t reservation) override {
        self().record(self().conference_of_held(reservation),
                      accepted(at, engine::op::confirm, reservation));
    }
    void on_cancelled(const event_context& at, std::uint64_t reservation) override {
        self().record(self().conference_of_held(reservation),
                      accepted(at, engine::op::cancel, reservation));
    }
    void on_expired(const event_context& at, const engine::reservation_expired_v1& e,
                    bool) override {
        self().record(self().conference_of_held(e.reservation),
                      history_entry{.command = at.command,
                                    .t_ms = at.now_ms,
                                    .reservation = e.reservation,
                                    .op = op_expire,
                                    .result = engine::outcome::accepted});
    }
    void on_rejected(const event_context& at, const engine::command_rejected_v1& e) override {
        const bool through_reservation =
            e.kind == engine::op::confirm || e.kind == engine::op::cancel;
        const std::uint64_t conference =
            through_reservation ? self().conference_of(e.reservation) : e.conference;
        self().record(conference, history_entry{.command = at.command,
                                                .t_ms = at.now_ms,
                                                .reservation = e.reservation,
                                                .op = static_cast<std::uint8_t>(e.kind),
                                                .result = e.result});
    }
    void on_closed(const event_context& at, const engine::conference_closed_v1& e) override {
        self().record(e.conference, accepted(at, engine::op::close_conference, 0));
    }

  private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
    static history_entry accepted(const event_context& at, engine::op kind,
                                  std::uint64_t reservation) noexcept {
        return history_entry{.command = at.command,
                             .t_ms = at.now_ms,
                             .reservation = reservation,
                             .op = static_cast<std::uint8_t>(kind),
                             .result = engine::outcome::accepted};
    }
};

}  // namespace ordo::projections
