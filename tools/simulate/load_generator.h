#pragma once
// The booking load of `ordo simulate`: a ticket sale. Most traffic goes to a small hot set
// of conferences; customers reserve, then mostly confirm, sometimes cancel, sometimes walk
// away (the hold expires); clients retry (duplicates) and mistype ids (unknown ids).
//
// Thread: one generator per producer thread; deterministic for a given seed and producer.

#include <cstdint>

#include "engine/command.h"
#include "journal/base/assert.h"

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
    std::uint32_t below(std::uint32_t bound) noexcept {
        ORDO_ASSERT(bound > 0);
        return static_cast<std::uint32_t>(((next() & 0xffff'ffffull) * bound) >> 32);
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
    void next(engine::command_header& out) noexcept;
    // The same as a whole command (tests and the domain benchmark).
    void next(engine::command& out) noexcept;

private:
    static constexpr std::uint32_t recent_slots = 4096;  // reservations we may act on again

    std::uint64_t pick_conference() noexcept;
    std::uint64_t recent_reservation() noexcept;

    load_options options_;
    std::uint32_t producer_index_;
    std::uint32_t producer_count_;
    fast_random random_;
    std::uint64_t setup_next_ = 0;
    std::uint64_t issued_ = 0;
    std::uint64_t reservations_issued_ = 0;
    std::uint64_t recent_[recent_slots] = {};
};

}  // namespace ordo::tools
