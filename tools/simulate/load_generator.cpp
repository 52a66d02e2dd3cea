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

void load_generator::next(engine::command& out) noexcept {
    engine::command_slot slot{.header = {}};
    next(slot.header);
    out = engine::decode(std::span<const engine::command_slot>(&slot, 1));
}

}  // namespace ordo::tools
