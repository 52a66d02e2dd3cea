#pragma once
// What each event does to a customer's reservations (CONTRACT.md section 4, `ordo query
// customer`): a reserve accepted adds the reservation (held, its seats and times); a
// confirm, cancel or expiry changes its status and the time it last changed. Shared by the
// whole view (customers.h) and the view of one customer a query builds (customer_view.h), so
// that the two cannot disagree; so is the reading of one reservation from a checkpoint.
//
// Derived provides, callable from here:
// - void append(const reservation_view& r, std::span<const engine::seat_item> seats): a
//   reservation accepted (a one-customer view keeps only its customer's);
// - void change(std::uint64_t reservation, reservation_status status, std::uint64_t now_ms):
//   a reservation the journal says was held changes status (a one-customer view changes
//   only its customer's).
//
// Thread and lifecycle: projection.h.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "projections/projection.h"

namespace ordo::projections {

enum class reservation_status : std::uint8_t { held = 1, confirmed, cancelled, expired };
std::string_view status_name(reservation_status status) noexcept;

struct reservation_view {
    std::uint64_t id = 0;
    std::uint64_t conference = 0;
    std::uint64_t customer = 0;
    reservation_status status = reservation_status::held;
    std::uint64_t held_at_ms = 0;
    std::uint64_t expires_at_ms = 0;
    std::uint64_t updated_at_ms = 0;
    std::vector<engine::seat_item> seats;  // as reserved (ascending type when printed)
};

// Reservations a customers view holds at most: records are numbered in 32 bits.
inline constexpr std::uint64_t customers_reservations_max = UINT32_MAX - 1;

// One reservation of a customers state (customers::encode_view: 8 words, then 2 a seat),
// checked: into `r` (its seats left empty) and the first `items` of `seats`. False when the
// words are not a reservation the view could have held.
using reservation_seats = std::array<engine::seat_item, engine::reservation_items_max>;
bool read_reservation(state_reader& in, reservation_view& r, reservation_seats& seats,
                      std::size_t& items) noexcept;

template <class Derived>
class customers_rules : public projection {
  protected:
    void on_held(const event_context& at, const engine::reservation_held_v1& e,
                 std::span<const engine::seat_item> items) override {
        self().append(reservation_view{.id = e.reservation,
                                       .conference = e.conference,
                                       .customer = e.customer,
                                       .status = reservation_status::held,
                                       .held_at_ms = at.now_ms,
                                       .expires_at_ms = e.expires_at_ms,
                                       .updated_at_ms = at.now_ms},
                      items);
    }
    void on_confirmed(const event_context& at, std::uint64_t reservation) override {
        self().change(reservation, reservation_status::confirmed, at.now_ms);
    }
    void on_cancelled(const event_context& at, std::uint64_t reservation) override {
        self().change(reservation, reservation_status::cancelled, at.now_ms);
    }
    void on_expired(const event_context& at, const engine::reservation_expired_v1& e,
                    bool) override {
        self().change(e.reservation, reservation_status::expired, at.now_ms);
    }

  private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace ordo::projections
