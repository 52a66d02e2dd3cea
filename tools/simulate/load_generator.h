#pragma once
// The booking load of `ordo simulate`: a ticket market that can run for ever. Conferences
// go on sale with a finite number of seats; the newest few are hot and take most of the new
// bookings, sell out, and a new conference opens when a hot one has sold out (while fewer
// than `conferences` are on sale); each sale closes (close_conference) some simulated hours
// after it opened. The live reservations are then bounded by the market's shape (at most
// `conferences` x `seat_types` x `capacity_max` seats on sale), whatever the run's length.
//
// The generator keeps a model of each sale's free seats, so it knows which bookings the
// engine will accept: those get the next reservation id (ids come in increasing runs) and a
// fate (paid: confirmed `pay_ms` later; dropped: cancelled then; walked away: left to
// expire). Bookings the model finds no seats for still go out, as in a real rush (they are
// rejected, insufficient_seats), under the next id, which is not used up by them. Clients
// also retry (duplicates), mistype ids, confirm late and name sales that already closed.
// At 64 commands per simulated ms demand far exceeds supply: as in a real hot sale, most
// booking attempts find the sale sold out.
//
// Thread: one generator per producer thread, each with its own conferences (ids
// producer_index + 1 + k * producer_count) and reservation ids; deterministic for a given
// seed and producer.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/command.h"
#include "base/assert.h"
#include "base/cpu.h"

namespace ordo::tools {

struct load_options {
    std::uint32_t conferences = 32;     // on sale at once, at most (per producer)
    std::uint32_t hot_conferences = 4;  // the newest on sale, taking hot_percent of bookings
    std::uint32_t hot_percent = 90;
    std::uint32_t seat_types = 3;       // per conference, 1..3 (every command is one ring slot)
    std::uint32_t capacity_min = 100;   // seats of each type, drawn per conference between
    std::uint32_t capacity_max = 10'000;  // these (log-uniform: many small, a few large)
    std::uint32_t hold_ttl_ms = 300'000;  // a hold lasts 5 minutes of simulated time
    std::uint64_t sale_ms = 7'200'000;    // a sale lasts 0.5-1.5x this (2 hours); 0: for ever
    std::uint32_t pay_ms = 5'000;         // a paid hold is confirmed this long after it is made
    std::uint32_t commands_per_ms = 64;   // simulated time: per producer
    std::uint64_t seed = 1;
};

// nullopt when valid, else one line naming the option (as `ordo simulate` spells it).
std::optional<std::string> validate(const load_options& options);
// The most conferences one producer creates over `commands` commands (the table to size).
std::uint64_t conferences_created_max(const load_options& options, std::uint64_t commands);

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
                   std::uint32_t producer_count);

    // The commands that open this producer's first sales (the hot ones), at time 0. Returns
    // false when there are no more.
    bool next_setup(engine::command& out) noexcept;
    // The next command of the load, written straight into a ring slot: every command of the
    // load fits one slot, and every header field is set. Inline: the producer calls it once
    // a command, and on a core it may share with the sequencer every instruction it saves is
    // the sequencer's.
    inline void next(engine::command_header& out) noexcept;
    // The same as a whole command (tests and the domain benchmark).
    void next(engine::command& out) noexcept;

    // Conferences opened so far, and on sale now.
    std::uint64_t conferences_opened() const noexcept { return opened_; }
    std::uint32_t conferences_on_sale() const noexcept { return on_sale_; }

private:
    static constexpr std::uint32_t recent_slots = 1024;  // accepted bookings clients act on again
    static constexpr std::uint32_t closed_slots = 1024;  // bookings of sales that closed
    static constexpr std::uint32_t samples_per_sale = 4;  // of each sale's bookings, kept for then
    static constexpr std::uint32_t seat_types_max = engine::header_items;

    // One conference on sale, as the model sees it.
    struct sale {
        std::uint64_t id = 0;  // 0: the slot is free
        std::uint64_t closes_at_ms = 0;
        std::uint32_t free_seats[seat_types_max] = {};
        std::uint32_t capacity[seat_types_max] = {};  // as opened
        std::uint32_t added[seat_types_max] = {};     // seats the organiser added since
        std::uint32_t samples = 0;
        std::uint64_t sample[samples_per_sale] = {};
        std::uint8_t generation = 0;  // bumped when the slot takes a new sale
    };
    // A model-accepted hold's fate, due pay_ms after it was made: paid (a confirm) or
    // dropped (a cancel; its seats come back). Or, due when the hold expires, the seats of
    // one the client walked away from coming back (no command).
    struct fate {
        std::uint64_t due_ms;
        std::uint64_t reservation;
        std::uint16_t slot;
        std::uint8_t generation;
        std::uint8_t cancel;  // 1: dropped, 0: paid
        std::uint8_t types[2];  // seat type index + 1; 0: none
        std::uint8_t quantities[2];
    };
    static_assert(sizeof(fate) == 24);
    // An accepted booking clients may come back to: its fate (what the model knows of it).
    struct recent_booking {
        fate booked;
        std::uint64_t conference;
        bool walks_away;  // left to expire: clients do not come back to it
        bool cancelled;   // a change of mind cancelled it (its seats came back once)
    };
    // A ring of fates in due order (all due the same time after they were kept). When it is
    // full the fate is forgotten: the hold then expires, and the model counts its seats as
    // gone (it errs towards turning bookings into rushes, never the other way).
    struct fate_ring {
        std::vector<fate> entries;  // a power of two
        std::uint64_t head = 0;
        std::uint64_t tail = 0;
        bool empty() const noexcept { return head == tail; }
        const fate& front() const noexcept { return entries[head & (entries.size() - 1)]; }
        void pop() noexcept { head++; }
        void push(const fate& f) noexcept {
            if (tail - head == entries.size()) return;
            entries[tail++ & (entries.size() - 1)] = f;
        }
    };

    std::uint64_t reservation_id(std::uint64_t n) const noexcept {
        return producer_index_ + 1 + n * producer_count_;
    }
    std::uint64_t conference_id(std::uint64_t k) const noexcept {
        return producer_index_ + 1 + k * producer_count_;
    }
    static void clear(engine::command_header& h, std::uint64_t t_ms) noexcept {
        h.item_count = 0;
        h.slot_count = 1;
        h.reserved_zero = 0;
        h.hold_ttl_ms = 0;
        h.t_ms = t_ms;
        h.conference = 0;
        h.reservation = 0;
        h.customer = 0;
    }
    static void set_item(engine::command_header& h, std::uint32_t seat_type,
                         std::uint32_t quantity) noexcept {
        ORDO_ASSERT(h.item_count < engine::header_items);
        h.items[h.item_count++] = engine::seat_item{
            .quantity = quantity, .seat_type = static_cast<std::uint16_t>(seat_type),
            .reserved_zero = 0};
    }

    // The rare paths, out of line so that next() stays small.
    void start_millisecond() noexcept;
    bool next_due(engine::command_header& h) noexcept;  // a close or a fate, if one is due
    void open_sale(engine::command_header& h) noexcept;
    void close_sale(engine::command_header& h, std::uint32_t slot) noexcept;
    void other(engine::command_header& h, std::uint32_t roll, std::uint32_t spare) noexcept;
    void give_back(const fate& f) noexcept;  // a fate's seats return to its sale, if open
    void refresh_next_close() noexcept;
    std::uint32_t take_free_slot() noexcept;

    void book(engine::command_header& h, std::uint32_t spare) noexcept;
    // The accepted booking in `h` (its items set): the next id, its seats, its fate.
    void keep_booking(engine::command_header& h, std::uint32_t slot, std::uint32_t bits) noexcept;
    // A choice in [0, bound) from the low 16 bits of `bits` (bound <= 65536).
    static std::uint32_t bits16(std::uint64_t bits, std::uint32_t bound) noexcept {
        return static_cast<std::uint32_t>(((bits & 0xffff) * bound) >> 16);
    }

    load_options options_;
    std::uint32_t producer_index_;
    std::uint32_t producer_count_;
    fast_random random_;
    // Simulated time: commands_per_ms commands a millisecond.
    std::uint64_t t_ms_ = 0;
    std::uint64_t issued_ms_ = 0;    // the next millisecond to start
    std::uint32_t left_this_ms_ = 0;  // commands left in t_ms_
    bool due_ = false;  // a close or a fate may be due in t_ms_
    // Sales: slots, the free ones, and the newest (hot) ones as a ring of slot numbers.
    std::vector<sale> sales_;
    std::vector<std::uint32_t> free_slots_;
    std::vector<std::uint32_t> hot_;
    std::uint32_t hot_count_ = 0;    // hot_.size()
    bool several_types_ = false;     // seat_types > 1: a booking may take two types
    std::uint32_t hot_next_ = 0;     // where the next opened sale goes in hot_
    std::uint32_t on_sale_ = 0;
    std::uint64_t opened_ = 0;
    std::uint64_t next_close_ms_ = ~0ull;
    std::uint32_t setup_left_ = 0;
    // Bookings.
    std::uint64_t booked_ = 0;  // model-accepted reservations: the next id is booked_'s
    std::uint64_t next_rush_id_;  // rushes (bookings the model found no seats for)
    recent_booking recent_[recent_slots] = {};
    std::uint64_t closed_[closed_slots] = {};  // reservations of closed sales
    std::uint64_t closed_count_ = 0;
    std::uint64_t closed_conference_ = 0;      // the last sale closed (a stale page names it)
    fate_ring fates_;    // paid and dropped: due pay_ms after the hold
    fate_ring returns_;  // walked away: due when the hold expires
};

// A new booking: accepted if the model has the seats (it takes the next id and a fate,
// keep_booking); otherwise a new sale opens (if a hot one sold out and there is room), or it
// goes out as a rush that the engine turns down. Every choice comes from one 64-bit draw and
// `spare` (32 bits): 16 bits where a bound needs them, fewer where a power of two does.
ORDO_ALWAYS_INLINE void load_generator::book(engine::command_header& h,
                                             std::uint32_t spare) noexcept {
    const std::uint64_t bits = random_.next();
    const bool hot = bits16(bits, 100) < options_.hot_percent;
    std::uint32_t slot = hot ? hot_[bits16(bits >> 16, hot_count_)]
                             : bits16(bits >> 16, options_.conferences);
    if (sales_[slot].id == 0) slot = hot_[0];  // a slot with no sale: the newest instead
    sale& s = sales_[slot];
    const std::uint32_t first = bits16(bits >> 32, options_.seat_types);
    const std::uint32_t first_quantity = 1 + static_cast<std::uint32_t>((bits >> 48) & 3);
    const bool two = ((bits >> 50) & 7) == 0 && several_types_;  // one booking in eight
    const std::uint32_t second = first + 1 == options_.seat_types ? 0 : first + 1;
    const std::uint32_t second_quantity = 1 + static_cast<std::uint32_t>((bits >> 53) & 1);
    const bool fits = s.id != 0 && s.free_seats[first] >= first_quantity &&
                      (!two || s.free_seats[second] >= second_quantity);
    if (!fits && hot && on_sale_ < options_.conferences) [[unlikely]] {
        open_sale(h);
        return;
    }
    h.kind = engine::op::reserve;
    h.conference = s.id;
    h.customer = 1 + (spare & 0xf'ffff);
    h.item_count = two ? 2 : 1;
    h.items[0] = engine::seat_item{.quantity = first_quantity,
                                   .seat_type = static_cast<std::uint16_t>(first + 1),
                                   .reserved_zero = 0};
    if (two) {
        h.items[1] = engine::seat_item{.quantity = second_quantity,
                                       .seat_type = static_cast<std::uint16_t>(second + 1),
                                       .reserved_zero = 0};
    }
    if (fits) {
        keep_booking(h, slot, spare >> 20);
        return;
    }
    // A rush takes an id of its own range: the engine turns most of them down, and those it
    // takes (seats the model did not know were free) must not turn later rushes into
    // duplicates, nor leave gaps in the bookings' ids.
    h.reservation = next_rush_id_;
    next_rush_id_ += producer_count_;
}

// Fields are stored one by one into the slot: a header built aside and copied in would be
// reloaded in wide pieces that wait for store forwarding.
inline void load_generator::next(engine::command_header& h) noexcept {
    if (left_this_ms_ == 0) start_millisecond();
    left_this_ms_--;
    clear(h, t_ms_);
    if (due_ && next_due(h)) return;
    const std::uint64_t bits = random_.next();
    const std::uint32_t roll = fast_random::scale(bits, 1000);
    const auto spare = static_cast<std::uint32_t>(bits >> 32);
    if (roll < 600) {
        book(h, spare);
        return;
    }
    if (roll < 800) {  // a client retrying a booking (a duplicate) or its payment
        const recent_booking& r = recent_[spare % recent_slots];
        if (r.booked.reservation == 0 || r.walks_away) {
            h.kind = engine::op::tick;
            return;
        }
        h.reservation = r.booked.reservation;
        if (roll < 700) {
            h.kind = engine::op::reserve;
            h.conference = r.conference;
            h.customer = 1;
            set_item(h, 1, 1);
        } else {
            h.kind = engine::op::confirm;
        }
        return;
    }
    other(h, roll, spare);
}

}  // namespace ordo::tools
