#pragma once
// A customer's reservations (CONTRACT.md section 4, `ordo query customer`): every
// reservation ever accepted for a customer, its conference, seats, status and times: when
// it was held, when its hold expires, and when its status last changed.
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <string_view>
#include <vector>

#include "projections/customers_rules.h"
#include "projections/flat_index.h"
#include "projections/projection.h"

namespace ordo::projections {


class customers final : public customers_rules<customers> {
  public:
    std::string_view name() const noexcept override { return "customers"; }
    // A customer's reservations, ascending id (empty for a customer with none).
    std::vector<reservation_view> of_customer(std::uint64_t customer) const;

  private:
    friend class customers_rules<customers>;
    void prefetch(std::span<const named_ids> ids) const noexcept override {
        for (const named_ids& named : ids) {
            by_id_.prefetch(named.reservation);
            // A hold links the reservation after its customer's latest (append): that slot,
            // in an index of every customer ever seen, missed the cache on most holds. Other
            // records name customer 0, whose slot stays cached: no branch on the type.
            latest_of_customer_.prefetch(named.customer);
        }
    }
    void expect_records(std::uint64_t records) override;
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;
    void change(std::uint64_t reservation, reservation_status status, std::uint64_t now_ms);
    // Appends a reservation and links it after its customer's previous one.
    void append(const reservation_view& r, std::span<const engine::seat_item> seats);

    static constexpr std::uint32_t no_record = UINT32_MAX;
    // One reservation, fixed size; its seats lie in seats_ from seats_first.
    struct record {
        std::uint64_t id = 0;
        std::uint64_t conference = 0;
        std::uint64_t customer = 0;
        std::uint64_t held_at_ms = 0;
        std::uint64_t expires_at_ms = 0;
        std::uint64_t updated_at_ms = 0;
        std::uint64_t seats_first = 0;
        std::uint32_t previous_of_customer = no_record;  // the customer's reservation before
        std::uint8_t seat_count = 0;
        reservation_status status = reservation_status::held;
    };
    static_assert(sizeof(record) == 64);

    // Every reservation ever accepted, in history order (append-only), with two indexes:
    // reservation id -> record, customer -> their latest record (the rest by links).
    big_vector<record> records_;
    big_vector<engine::seat_item> seats_;
    flat_index<std::uint32_t> by_id_;
    flat_index<std::uint32_t> latest_of_customer_;
};

}  // namespace ordo::projections
