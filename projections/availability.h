#pragma once
// Availability by conference and seat type: for each seat type its capacity, held and
// confirmed seats (available = capacity - held - confirmed), whether the sale is closed,
// and the reservations by status. Always equal to the engine's aggregates (`ordo state`)
// at the same position: it applies the same events, without deciding anything.
//
// Thread and lifecycle: projection.h.

#include <array>
#include <cstdint>
#include <vector>

#include "projections/flat_index.h"
#include "projections/projection.h"

namespace ordo::projections {

struct seat_type_view {
    std::uint32_t type = 0;
    std::uint64_t capacity = 0;
    std::uint64_t held = 0;
    std::uint64_t confirmed = 0;
    std::uint64_t available() const noexcept { return capacity - held - confirmed; }
};

struct conference_view {
    std::uint64_t id = 0;
    std::uint64_t hold_ttl_ms = 0;
    bool closed = false;
    std::vector<seat_type_view> seat_types;  // ascending type
};

struct status_counts {
    std::uint64_t held = 0;
    std::uint64_t confirmed = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t expired = 0;
};

class availability final : public projection {
  public:
    std::string_view name() const noexcept override { return "availability"; }
    // Every conference, ascending id (sorted when asked: a query's cost, not a record's).
    std::vector<const conference_view*> conferences() const;
    // The conference, or nullptr when the history has none with this id.
    const conference_view* conference(std::uint64_t id) const noexcept;
    const status_counts& reservations() const noexcept { return counts_; }

  private:
    // What a live reservation holds (it is dropped once cancelled or expired).
    struct live_reservation {
        std::uint32_t conference_slot = 0;  // in conferences_
        bool confirmed = false;
        std::uint32_t item_count = 0;
        std::array<engine::seat_item, engine::reservation_items_max> items{};
    };

    void on_conference_created(const event_context&, const engine::conference_created_v1&,
                               std::span<const engine::seat_item>) override;
    void on_seats_changed(const event_context&, const engine::seats_changed_v1&,
                          bool added) override;
    void on_held(const event_context&, const engine::reservation_held_v1&,
                 std::span<const engine::seat_item>) override;
    void on_confirmed(const event_context&, std::uint64_t reservation) override;
    void on_cancelled(const event_context&, std::uint64_t reservation) override;
    void on_expired(const event_context&, const engine::reservation_expired_v1&,
                    bool at_close) override;
    void on_closed(const event_context&, const engine::conference_closed_v1&) override;
    void prefetch(std::span<const named_ids> ids) const noexcept override {
        for (const named_ids& named : ids) live_slot_.prefetch(named.reservation);
    }
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    seat_type_view& seat_type(conference_view& conference, std::uint32_t type);
    // Moves a live reservation's seats out of held (and into confirmed when asked).
    void release_held(const live_reservation& r, bool to_confirmed);

    conference_view& conference_of(std::uint64_t conference);
    void insert_live(std::uint64_t reservation, const live_reservation& r);
    void erase_live(std::uint64_t reservation, std::uint32_t slot);

    // Conferences in creation order, found by id through the index.
    std::vector<conference_view> conferences_;
    flat_index<std::uint32_t> conference_slot_;
    // Live reservations in a pool whose freed slots are reused (the live set is bounded by
    // the market, not the history), found by id through the index.
    std::vector<live_reservation> live_;
    std::vector<std::uint32_t> live_free_;
    flat_index<std::uint32_t> live_slot_;
    status_counts counts_;
};

}  // namespace ordo::projections
