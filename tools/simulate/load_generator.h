#pragma once
// The booking load of `ordo simulate`: a ticket sale. Most traffic goes to a small hot set
// of conferences; customers reserve, then mostly confirm, sometimes cancel, sometimes walk
// away (the hold expires); clients retry (duplicates) and mistype ids (unknown ids).
//
// Thread: one generator per producer thread; deterministic for a given seed and producer.

#include <cstdint>

#include "engine/command.h"
#include "base/assert.h"

namespace ordo::tools {

struct load_options {
    std::uint32_t conferences = 1000;
    std::uint32_t hot_conferences = 10;  // take hot_percent of the traffic
    std::uint32_t hot_percent = 90;
    std::uint32_t seat_types = 4;
    std::uint32_t capacity = 1'000'000;     // per seat type
    std::uint32_t hold_ttl_ms = 60'000;
    std::uint32_t commands_per_ms = 64;     // simulated time: per producer
    std::uint64_t seed = 1;
};

// wyrand: one multiply per 64 random bits, good enough for load shaping.
class fast_random {
public:
    explicit fast_random(std::uint64_t seed) noexcept : state_(seed) {}
    std::uint64_t next() noexcept {
        state_ += 0xa0761d6478bd642full;
        const __uint128_t product =
            static_cast<__uint128_t>(state_) * (state_ ^ 0xe7037ed1a0b428dbull);
        return static_cast<std::uint64_t>(product >> 64) ^ static_cast<std::uint64_t>(product);
    }
    // Uniform-enough in [0, bound) without division.
    std::uint32_t below(std::uint32_t bound) noexcept { return scale(next(), bound); }
    // The same from 32 random bits: each 64-bit draw serves two choices.
    static std::uint32_t scale(std::uint64_t bits, std::uint32_t bound) noexcept {
        ORDO_ASSERT(bound > 0);
        return static_cast<std::uint32_t>(((bits & 0xffff'ffffull) * bound) >> 32);
    }

private:
    std::uint64_t state_;
};

class load_generator {
public:
    load_generator(const load_options& options, std::uint32_t producer_index,
                   std::uint32_t producer_count) noexcept;

    // The commands that create this producer's share of the conferences (conference ids
    // producer_index + 1, + producer_count, ...). Returns false when there are no more.
    bool next_setup(engine::command& out) noexcept;
    // The next command of the load, written straight into a ring slot: every command of
    // the load fits one slot (at most two seat items), and every header field is set.
    // Inline: the producer calls it once a command, and on a core it may share with the
    // sequencer every instruction it saves is the sequencer's.
    inline void next(engine::command_header& out) noexcept;
    // The same as a whole command (tests and the domain benchmark).
    void next(engine::command& out) noexcept;

private:
    static constexpr std::uint32_t recent_slots = 4096;  // reservations we may act on again

    std::uint64_t pick_conference(std::uint64_t bits) const noexcept;
    std::uint64_t recent_reservation(std::uint64_t bits) const noexcept;

    load_options options_;
    std::uint32_t producer_index_;
    std::uint32_t producer_count_;
    fast_random random_;
    std::uint64_t setup_next_ = 0;
    std::uint64_t t_ms_ = 0;                // simulated time: commands_per_ms commands a ms
    std::uint64_t issued_ms_ = 0;           // the next millisecond to start
    std::uint32_t left_this_ms_ = 0;        // commands left in t_ms_
    std::uint64_t reservations_issued_ = 0;
    std::uint64_t recent_[recent_slots] = {};
};

namespace load_detail {

inline void set_item(engine::command_header& h, std::uint16_t seat_type, std::uint32_t quantity) {
    ORDO_ASSERT(h.item_count < engine::header_items);
    h.items[h.item_count++] = engine::seat_item{.quantity = quantity, .seat_type = seat_type,
                                                .reserved_zero = 0};
}

}  // namespace load_detail

// Two hot/any and which-conference choices from 64 random bits.
inline std::uint64_t load_generator::pick_conference(std::uint64_t bits) const noexcept {
    const bool hot = fast_random::scale(bits >> 32, 100) < options_.hot_percent;
    return 1 + fast_random::scale(bits, hot ? options_.hot_conferences : options_.conferences);
}

inline std::uint64_t load_generator::recent_reservation(std::uint64_t bits) const noexcept {
    if (reservations_issued_ == 0) return producer_index_ + 1;  // unknown yet: a rejection
    const std::uint32_t window = reservations_issued_ < recent_slots
                                     ? static_cast<std::uint32_t>(reservations_issued_)
                                     : recent_slots;
    return recent_[fast_random::scale(bits, window)];
}

// Fields are stored one by one into the slot: a header built aside and copied in would be
// reloaded in wide pieces that wait for store forwarding. Each 64-bit random draw makes
// two choices (its halves), so a reservation costs three draws.
inline void load_generator::next(engine::command_header& h) noexcept {
    if (left_this_ms_ == 0) {
        left_this_ms_ = options_.commands_per_ms;
        t_ms_ = issued_ms_++;
    }
    left_this_ms_--;
    const std::uint64_t first_draw = random_.next();
    const std::uint32_t roll = fast_random::scale(first_draw, 1000);
    const std::uint64_t spare_bits = first_draw >> 32;  // for one more choice
    h.item_count = 0;
    h.slot_count = 1;
    h.reserved_zero = 0;
    h.hold_ttl_ms = 0;
    h.t_ms = t_ms_;
    h.conference = 0;
    h.reservation = 0;
    h.customer = 0;
    if (roll < 480) {  // a new reservation of one or two seat types
        const std::uint64_t id = producer_index_ + 1 + reservations_issued_ * producer_count_;
        recent_[reservations_issued_ % recent_slots] = id;
        reservations_issued_++;
        const std::uint64_t where = random_.next();
        const std::uint64_t what = random_.next();
        h.kind = engine::op::reserve;
        h.conference = pick_conference(where);
        h.reservation = id;
        h.customer = 1 + fast_random::scale(spare_bits, 1'000'000);
        const std::uint32_t first = 1 + fast_random::scale(what, options_.seat_types);
        load_detail::set_item(h, static_cast<std::uint16_t>(first),
                              1 + fast_random::scale(what >> 32, 4));
        if (roll < 60 && options_.seat_types > 1) {
            const std::uint32_t second = first % options_.seat_types + 1;
            load_detail::set_item(h, static_cast<std::uint16_t>(second),
                                  1 + static_cast<std::uint32_t>((where >> 40) & 1));
        }
        return;
    }
    if (roll < 880) {  // confirm or cancel; retries of either are duplicates
        h.kind = roll < 800 ? engine::op::confirm : engine::op::cancel;
        h.reservation = recent_reservation(spare_bits);
        return;
    }
    if (roll < 940) {  // a client retrying a reserve it already sent: duplicate
        h.kind = engine::op::reserve;
        h.conference = pick_conference(random_.next());
        h.reservation = recent_reservation(spare_bits);
        h.customer = 1;
        load_detail::set_item(h, 1, 1);
        return;
    }
    if (roll < 960) {  // a mistyped reservation id: unknown
        h.kind = engine::op::confirm;
        h.reservation = (1ull << 62) + fast_random::scale(spare_bits, 1'000'000);
        return;
    }
    if (roll < 975) {  // the organiser adds or releases seats
        const std::uint64_t what = random_.next();
        h.kind = (spare_bits & 1) == 0 ? engine::op::add_seats : engine::op::remove_seats;
        h.conference = pick_conference(random_.next());
        const std::uint32_t seat_type = 1 + fast_random::scale(what, options_.seat_types);
        load_detail::set_item(h, static_cast<std::uint16_t>(seat_type),
                              1 + fast_random::scale(what >> 32, 100));
        return;
    }
    h.kind = engine::op::tick;
}

}  // namespace ordo::tools
