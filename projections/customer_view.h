#pragma once
// One customer's reservations, built for `ordo query customer` without the whole view: its
// checkpoint is customers' (the same file, the same bytes), read in one pass that keeps the
// customer's reservations, and the journal after it is applied by the same rules
// (customers_rules.h), keeping only the customer's. The whole view's decode rebuilds the
// index of every reservation ever accepted and of every customer.
//
// Never saved: it is not the view its checkpoint file holds (whole() is false; saving
// asserts).
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "projections/customers_rules.h"

namespace ordo::projections {

class customer_view final : public customers_rules<customer_view> {
  public:
    explicit customer_view(std::uint64_t customer) : customer_(customer) {
        ORDO_ASSERT(customer != 0);
    }
    // Its checkpoint file is customers' (customers::name()).
    std::string_view name() const noexcept override { return "customers"; }
    bool whole() const noexcept override { return false; }
    // The customer's reservations, ascending id (empty for a customer with none).
    std::vector<reservation_view> reservations() const;

  private:
    friend class customers_rules<customer_view>;
    void append(const reservation_view& r, std::span<const engine::seat_item> seats);
    void change(std::uint64_t reservation, reservation_status status, std::uint64_t now_ms);

    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    std::uint64_t customer_;
    std::vector<reservation_view> reservations_;               // in history order
    std::unordered_map<std::uint64_t, std::size_t> position_;  // id -> in reservations_
};

}  // namespace ordo::projections
