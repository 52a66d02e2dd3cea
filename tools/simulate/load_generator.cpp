#include "tools/simulate/load_generator.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "engine/limits.h"

namespace ordo::tools {
namespace {

// The fates a ring may have to hold: at most one a command over the time they wait, and at
// most one a seat on sale; past 2^22 (100 MB of rings) a fate is forgotten instead.
std::size_t ring_entries(const load_options& o, std::uint64_t wait_ms) {
    const std::uint64_t by_rate = std::uint64_t{o.commands_per_ms} * wait_ms + 1;
    const std::uint64_t by_seats =
        std::uint64_t{o.conferences} * o.seat_types * o.capacity_max + 1;
    return std::bit_ceil(std::min<std::uint64_t>({by_rate, by_seats, 1u << 22}));
}

}  // namespace

std::optional<std::string> validate(const load_options& o) {
    if (o.conferences < 1 || o.conferences > 4096) return "--conferences must be 1..4096";
    if (o.hot_conferences < 1 || o.hot_conferences > o.conferences) {
        return "--hot-conferences must be 1..--conferences";
    }
    if (o.hot_percent > 100) return "the hot share must be 0..100 percent";
    if (o.seat_types < 1 || o.seat_types > engine::header_items) {
        return "--seat-types must be 1.." + std::to_string(engine::header_items);
    }
    if (o.capacity_min < 1 || o.capacity_min > o.capacity_max ||
        o.capacity_max > engine::capacity_max) {
        return "--capacity-min and --capacity-max must be 1.." +
               std::to_string(engine::capacity_max) + ", min <= max";
    }
    if (o.hold_ttl_ms < engine::hold_ttl_ms_min || o.hold_ttl_ms > engine::hold_ttl_ms_max) {
        return "--hold-ttl-ms must be " + std::to_string(engine::hold_ttl_ms_min) + ".." +
               std::to_string(engine::hold_ttl_ms_max);
    }
    // A payment later than the hold's end is allowed: it comes too late (not_active).
    if (o.pay_ms < 1 || o.pay_ms > engine::hold_ttl_ms_max) {
        return "--pay-ms must be 1.." + std::to_string(engine::hold_ttl_ms_max);
    }
    if (o.sale_ms != 0 && (o.sale_ms < 1000 || o.sale_ms > 1'000'000'000'000)) {
        return "--sale-ms must be 0 (for ever) or 1000..1000000000000";
    }
    if (o.commands_per_ms < 1 || o.commands_per_ms > 1u << 20) {
        return "commands per simulated ms must be 1..1048576";
    }
    return std::nullopt;
}

std::uint64_t conferences_created_max(const load_options& o, std::uint64_t commands) {
    if (o.sale_ms == 0) return o.conferences;
    // A sale lasts at least half of sale_ms, so each slot opens at most one sale that often.
    const std::uint64_t span_ms = commands / o.commands_per_ms + 1;
    return std::uint64_t{o.conferences} * (2 + span_ms / (o.sale_ms / 2));
}

load_generator::load_generator(const load_options& options, std::uint32_t producer_index,
                               std::uint32_t producer_count)
    : options_(options),
      producer_index_(producer_index),
      producer_count_(producer_count),
      random_(options.seed * 0x9e3779b97f4a7c15ull + producer_index + 1),
      sales_(options.conferences),
      hot_(options.hot_conferences, 0),
      hot_count_(options.hot_conferences),
      several_types_(options.seat_types > 1),
      setup_left_(options.hot_conferences),
      // A range of their own, far from the bookings' ids and below the mistyped ones.
      next_rush_id_((1ull << 61) + producer_index + 1) {
    ORDO_ASSERT(!validate(options).has_value());
    ORDO_ASSERT(producer_count >= 1);
    ORDO_ASSERT(producer_index < producer_count);
    ORDO_ASSERT(options.conferences <= 0xffff);  // a fate names its slot in 16 bits
    free_slots_.reserve(options.conferences);
    for (std::uint32_t slot = options.conferences; slot > 0; slot--) {
        free_slots_.push_back(slot - 1);
    }
    fates_.entries.resize(ring_entries(options, options.pay_ms));
    returns_.entries.resize(ring_entries(options, options.hold_ttl_ms));
}

bool load_generator::next_setup(engine::command& out) noexcept {
    if (setup_left_ == 0) return false;
    setup_left_--;
    engine::command_slot slot{.header = {}};
    clear(slot.header, 0);
    open_sale(slot.header);
    out = engine::decode(std::span<const engine::command_slot>(&slot, 1));
    return true;
}

void load_generator::next(engine::command& out) noexcept {
    engine::command_slot slot{.header = {}};
    next(slot.header);
    out = engine::decode(std::span<const engine::command_slot>(&slot, 1));
}

void load_generator::keep_booking(engine::command_header& h, std::uint32_t slot,
                                  std::uint32_t bits) noexcept {
    sale& s = sales_[slot];
    ORDO_ASSERT(h.item_count >= 1);
    ORDO_ASSERT(h.item_count <= 2);
    h.reservation = reservation_id(booked_++);
    fate f{.due_ms = 0, .reservation = h.reservation, .slot = static_cast<std::uint16_t>(slot),
           .generation = s.generation, .cancel = 0, .types = {0, 0}, .quantities = {0, 0}};
    for (std::uint32_t i = 0; i < h.item_count; i++) {
        const std::uint32_t type = h.items[i].seat_type - 1u;
        ORDO_ASSERT(s.free_seats[type] >= h.items[i].quantity);
        s.free_seats[type] -= h.items[i].quantity;
        f.types[i] = static_cast<std::uint8_t>(type + 1);
        f.quantities[i] = static_cast<std::uint8_t>(h.items[i].quantity);
    }
    if (s.samples < samples_per_sale) s.sample[s.samples++] = h.reservation;
    // Its fate: 85% paid, 5% dropped, 10% walk away (the hold expires).
    const std::uint32_t fate_roll = ((bits & 0xff) * 100) >> 8;
    const bool walks_away = fate_roll >= 90;
    f.cancel = static_cast<std::uint8_t>(fate_roll >= 85 && !walks_away);
    f.due_ms = t_ms_ + (walks_away ? options_.hold_ttl_ms : options_.pay_ms);
    (walks_away ? returns_ : fates_).push(f);
    recent_[booked_ % recent_slots] = {.booked = f, .conference = s.id,
                                       .walks_away = walks_away, .cancelled = false};
}

std::uint32_t load_generator::take_free_slot() noexcept {
    ORDO_ASSERT(!free_slots_.empty());
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
}

// A new sale in a free slot: the newest hot one, with capacities drawn log-uniformly, on
// sale for 0.5-1.5x sale_ms.
void load_generator::open_sale(engine::command_header& h) noexcept {
    ORDO_ASSERT(on_sale_ < options_.conferences);
    const std::uint32_t slot = take_free_slot();
    sale& s = sales_[slot];
    ORDO_ASSERT(s.id == 0);
    s.id = conference_id(opened_++);
    s.generation++;
    s.samples = 0;
    const std::uint64_t bits = random_.next();
    const double length = 0.5 + static_cast<double>(bits & 0xffff) / 65536.0;
    s.closes_at_ms = options_.sale_ms == 0
                         ? ~0ull
                         : t_ms_ + static_cast<std::uint64_t>(
                                       length * static_cast<double>(options_.sale_ms));
    h.kind = engine::op::create_conference;
    h.conference = s.id;
    h.hold_ttl_ms = options_.hold_ttl_ms;
    const double spread =
        std::log(static_cast<double>(options_.capacity_max) / options_.capacity_min);
    for (std::uint32_t t = 0; t < options_.seat_types; t++) {
        const double u =
            static_cast<double>(fast_random::scale(random_.next(), 1u << 16)) / 65536.0;
        const auto capacity = static_cast<std::uint32_t>(
            std::min<double>(options_.capacity_max, options_.capacity_min * std::exp(u * spread)));
        s.free_seats[t] = capacity;
        s.capacity[t] = capacity;
        s.added[t] = 0;
        set_item(h, t + 1, capacity);
    }
    hot_[hot_next_] = slot;
    hot_next_ = (hot_next_ + 1) % static_cast<std::uint32_t>(hot_.size());
    on_sale_++;
    next_close_ms_ = std::min(next_close_ms_, s.closes_at_ms);
}

void load_generator::refresh_next_close() noexcept {
    next_close_ms_ = ~0ull;
    for (const sale& s : sales_) {
        if (s.id != 0) next_close_ms_ = std::min(next_close_ms_, s.closes_at_ms);
    }
}

// The sale in `slot` ends: close_conference, and its samples become the bookings late
// clients still name.
void load_generator::close_sale(engine::command_header& h, std::uint32_t slot) noexcept {
    sale& s = sales_[slot];
    ORDO_ASSERT(s.id != 0);
    h.kind = engine::op::close_conference;
    h.conference = s.id;
    for (std::uint32_t i = 0; i < s.samples; i++) {
        closed_[closed_count_++ % closed_slots] = s.sample[i];
    }
    closed_conference_ = s.id;
    s.id = 0;
    free_slots_.push_back(slot);
    on_sale_--;
    refresh_next_close();
}

void load_generator::give_back(const fate& f) noexcept {
    sale& s = sales_[f.slot];
    if (s.id == 0 || s.generation != f.generation) return;  // that sale closed
    for (std::uint32_t i = 0; i < 2; i++) {
        if (f.types[i] != 0) s.free_seats[f.types[i] - 1] += f.quantities[i];
    }
}

// Once a simulated millisecond: the seats of walked-away holds that expire now come back,
// and whether a close or a fate is due.
void load_generator::start_millisecond() noexcept {
    left_this_ms_ = options_.commands_per_ms;
    t_ms_ = issued_ms_++;
    while (!returns_.empty() && returns_.front().due_ms <= t_ms_) {
        give_back(returns_.front());
        returns_.pop();
    }
    due_ = t_ms_ >= next_close_ms_ || (!fates_.empty() && fates_.front().due_ms <= t_ms_);
}

bool load_generator::next_due(engine::command_header& h) noexcept {
    if (t_ms_ >= next_close_ms_) {
        for (std::uint32_t slot = 0; slot < sales_.size(); slot++) {
            if (sales_[slot].id != 0 && sales_[slot].closes_at_ms <= t_ms_) {
                close_sale(h, slot);
                return true;
            }
        }
        ORDO_ASSERT(false && "next_close_ms_ names no sale");
    }
    if (!fates_.empty() && fates_.front().due_ms <= t_ms_) {
        const fate f = fates_.front();
        fates_.pop();
        h.kind = f.cancel != 0 ? engine::op::cancel : engine::op::confirm;
        h.reservation = f.reservation;
        if (f.cancel != 0) give_back(f);
        return true;
    }
    due_ = false;
    return false;
}

// The rest of the mix (roll 800..999): changes of mind, late and stale clients, mistyped
// ids, the organisers, and ticks. `spare`: 32 random bits.
void load_generator::other(engine::command_header& h, std::uint32_t roll,
                           std::uint32_t spare) noexcept {
    if (roll < 840) {  // a change of mind, or a refund of a paid one: its seats come back
        recent_booking& r = recent_[spare % recent_slots];
        if (r.booked.reservation == 0 || r.walks_away || r.cancelled || r.booked.cancel != 0) {
            h.kind = engine::op::tick;  // (a dropped one is cancelled by its fate)
            return;
        }
        h.kind = engine::op::cancel;
        h.reservation = r.booked.reservation;
        r.cancelled = true;
        give_back(r.booked);
        return;
    }
    if (roll < 880) {  // a late payment: its sale has closed
        h.kind = closed_count_ > 0 ? engine::op::confirm : engine::op::tick;
        if (closed_count_ > 0) {
            h.reservation = closed_[spare % std::min<std::uint64_t>(closed_count_, closed_slots)];
        }
        return;
    }
    if (roll < 930) {  // a booking naming a closed sale (a stale page) or a mistyped one
        h.kind = engine::op::reserve;
        const bool stale = roll < 900 && closed_conference_ != 0;
        h.conference = stale ? closed_conference_ : (1ull << 62) + spare % 1'000'000;
        h.reservation = reservation_id(booked_);
        h.customer = 1 + spare % 1'000'000;
        set_item(h, 1, 1);
        return;
    }
    if (roll < 945) {  // a mistyped reservation id
        h.kind = engine::op::confirm;
        h.reservation = (1ull << 62) + spare % 1'000'000;
        return;
    }
    if (roll < 955) {  // the organiser releases seats held back (at most a tenth more), or
                       // takes some back while they are free
        sale& s = sales_[hot_[spare % hot_.size()]];
        const std::uint32_t type = (spare >> 8) % options_.seat_types;
        const std::uint32_t quantity = 1 + (spare >> 16) % 100;
        const bool add = s.id != 0 && s.added[type] + quantity <= s.capacity[type] / 10;
        const bool remove = !add && s.id != 0 && s.free_seats[type] >= quantity;
        if (!add && !remove) {
            h.kind = engine::op::tick;
            return;
        }
        h.kind = add ? engine::op::add_seats : engine::op::remove_seats;
        h.conference = s.id;
        set_item(h, type + 1, quantity);
        if (add) {
            s.added[type] += quantity;
            s.free_seats[type] += quantity;
        } else {
            s.free_seats[type] -= quantity;
        }
        return;
    }
    h.kind = engine::op::tick;
}

}  // namespace ordo::tools
