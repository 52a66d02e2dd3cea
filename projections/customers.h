#pragma once
// A customer's reservations (CONTRACT.md section 4, `ordo query customer`): every
// reservation ever accepted for a customer, its conference, seats, status and times: when
// it was held, when its hold expires, and when its status last changed.
//
// Thread and lifecycle: projection.h.

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
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

class customers final : public projection {
  public:
    std::string_view name() const noexcept override { return "customers"; }
    // A customer's reservations, ascending id (empty for a customer with none).
    std::vector<reservation_view> of_customer(std::uint64_t customer) const;

  private:
    void on_held(const event_context&, const engine::reservation_held_v1&,
                 std::span<const engine::seat_item>) override;
    void on_confirmed(const event_context&, std::uint64_t reservation) override;
    void on_cancelled(const event_context&, std::uint64_t reservation) override;
    void on_expired(const event_context&, const engine::reservation_expired_v1&,
                    bool at_close) override;
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;
    void change(std::uint64_t reservation, reservation_status status, std::uint64_t now_ms);

    std::unordered_map<std::uint64_t, reservation_view> reservations_;
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> by_customer_;
};

}  // namespace ordo::projections
