#include "tools/simulate/load_generator.h"

namespace ordo::tools {

load_generator::load_generator(const load_options& options, std::uint32_t producer_index,
                               std::uint32_t producer_count) noexcept
    : options_(options),
      producer_index_(producer_index),
      producer_count_(producer_count),
      random_(options.seed * 0x9e3779b97f4a7c15ull + producer_index + 1) {
    ORDO_ASSERT(producer_count >= 1);
    ORDO_ASSERT(producer_index < producer_count);
    ORDO_ASSERT(options.hot_conferences >= 1);
    ORDO_ASSERT(options.hot_conferences <= options.conferences);
    ORDO_ASSERT(options.seat_types >= 1);
    ORDO_ASSERT(options.seat_types <= engine::seat_types_per_conference_max);
    setup_next_ = producer_index + 1;
}

bool load_generator::next_setup(engine::command& out) noexcept {
    if (setup_next_ > options_.conferences) return false;
    out = engine::command{.kind = engine::op::create_conference, .t_ms = 0,
                          .conference = setup_next_, .hold_ttl_ms = options_.hold_ttl_ms};
    for (std::uint32_t t = 1; t <= options_.seat_types; t++) {
        out.add_item(static_cast<std::uint16_t>(t), options_.capacity);
    }
    setup_next_ += producer_count_;
    return true;
}

std::uint64_t load_generator::pick_conference() noexcept {
    if (random_.below(100) < options_.hot_percent) return 1 + random_.below(options_.hot_conferences);
    return 1 + random_.below(options_.conferences);
}

std::uint64_t load_generator::recent_reservation() noexcept {
    if (reservations_issued_ == 0) return producer_index_ + 1;  // unknown yet: a rejection
    const std::uint32_t window = reservations_issued_ < recent_slots
                                     ? static_cast<std::uint32_t>(reservations_issued_)
                                     : recent_slots;
    return recent_[random_.below(window)];
}

namespace {

void set_item(engine::command_header& h, std::uint16_t seat_type, std::uint32_t quantity) {
    ORDO_ASSERT(h.item_count < engine::header_items);
    h.items[h.item_count++] = engine::seat_item{.quantity = quantity, .seat_type = seat_type,
                                                .reserved_zero = 0};
}

}  // namespace

// Fields are stored one by one into the slot: a header built aside and copied in would be
// reloaded in wide pieces that wait for store forwarding.
void load_generator::next(engine::command_header& h) noexcept {
    const std::uint64_t t_ms = issued_++ / options_.commands_per_ms;
    const std::uint32_t roll = random_.below(1000);
    h.item_count = 0;
    h.slot_count = 1;
    h.reserved_zero = 0;
    h.hold_ttl_ms = 0;
    h.t_ms = t_ms;
    h.conference = 0;
    h.reservation = 0;
    h.customer = 0;
    if (roll < 480) {  // a new reservation of one or two seat types
        const std::uint64_t id = producer_index_ + 1 + reservations_issued_ * producer_count_;
        recent_[reservations_issued_ % recent_slots] = id;
        reservations_issued_++;
        h.kind = engine::op::reserve;
        h.conference = pick_conference();
        h.reservation = id;
        h.customer = 1 + random_.below(1'000'000);
        const std::uint32_t first = 1 + random_.below(options_.seat_types);
        set_item(h, static_cast<std::uint16_t>(first), 1 + random_.below(4));
        if (roll < 60 && options_.seat_types > 1) {
            const std::uint32_t second = first % options_.seat_types + 1;
            set_item(h, static_cast<std::uint16_t>(second), 1 + random_.below(2));
        }
        return;
    }
    if (roll < 880) {  // confirm or cancel; retries of either are duplicates
        h.kind = roll < 800 ? engine::op::confirm : engine::op::cancel;
        h.reservation = recent_reservation();
        return;
    }
    if (roll < 940) {  // a client retrying a reserve it already sent: duplicate
        h.kind = engine::op::reserve;
        h.conference = pick_conference();
        h.reservation = recent_reservation();
        h.customer = 1;
        set_item(h, 1, 1);
        return;
    }
    if (roll < 960) {  // a mistyped reservation id: unknown
        h.kind = engine::op::confirm;
        h.reservation = (1ull << 62) + random_.below(1'000'000);
        return;
    }
    if (roll < 975) {  // the organiser adds or releases seats
        h.kind = random_.below(2) == 0 ? engine::op::add_seats : engine::op::remove_seats;
        h.conference = pick_conference();
        set_item(h, static_cast<std::uint16_t>(1 + random_.below(options_.seat_types)),
                 1 + random_.below(100));
        return;
    }
    h.kind = engine::op::tick;
}

void load_generator::next(engine::command& out) noexcept {
    engine::command_slot slot{.header = {}};
    next(slot.header);
    out = engine::decode(std::span<const engine::command_slot>(&slot, 1));
}

}  // namespace ordo::tools
