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

// Fields are set one by one: assigning a whole engine::command copies its 65 item slots.
void load_generator::next(engine::command& out) noexcept {
    const std::uint64_t t_ms = issued_++ / options_.commands_per_ms;
    const std::uint32_t roll = random_.below(1000);
    out.item_count = 0;
    out.t_ms = t_ms;
    if (roll < 480) {  // a new reservation of one or two seat types
        const std::uint64_t id =
            producer_index_ + 1 + reservations_issued_ * producer_count_;
        recent_[reservations_issued_ % recent_slots] = id;
        reservations_issued_++;
        out.kind = engine::op::reserve;
        out.conference = pick_conference();
        out.reservation = id;
        out.customer = 1 + random_.below(1'000'000);
        const std::uint32_t first = 1 + random_.below(options_.seat_types);
        out.add_item(static_cast<std::uint16_t>(first), 1 + random_.below(4));
        if (roll < 60 && options_.seat_types > 1) {
            const std::uint32_t second = first % options_.seat_types + 1;
            out.add_item(static_cast<std::uint16_t>(second), 1 + random_.below(2));
        }
        return;
    }
    if (roll < 880) {  // confirm or cancel; retries of either are duplicates
        out.kind = roll < 800 ? engine::op::confirm : engine::op::cancel;
        out.reservation = recent_reservation();
        return;
    }
    if (roll < 940) {  // a client retrying a reserve it already sent: duplicate
        out.kind = engine::op::reserve;
        out.conference = pick_conference();
        out.reservation = recent_reservation();
        out.customer = 1;
        out.add_item(1, 1);
        return;
    }
    if (roll < 960) {  // a mistyped reservation id: unknown
        out.kind = engine::op::confirm;
        out.reservation = (1ull << 62) + random_.below(1'000'000);
        return;
    }
    if (roll < 975) {  // the organiser adds or releases seats
        out.kind = random_.below(2) == 0 ? engine::op::add_seats : engine::op::remove_seats;
        out.conference = pick_conference();
        out.add_item(static_cast<std::uint16_t>(1 + random_.below(options_.seat_types)),
                     1 + random_.below(100));
        return;
    }
    out.kind = engine::op::tick;
}

}  // namespace ordo::tools
