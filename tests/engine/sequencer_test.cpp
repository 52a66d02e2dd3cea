// The sequencer with several producers: every command gets exactly one reply, each
// producer's replies come in its own submission order, and the state the live run built
// equals the state a replay of its records builds. Commands of 1 to 9 slots go through
// small rings, so they often meet a ring's end and travel behind a padding run.
#include <catch2/catch.hpp>

#include <thread>
#include <type_traits>
#include <vector>

#include "engine/apply.h"
#include "engine/memory_sink.h"
#include "base/ring/boost_ring.h"
#include "base/ring/spsc_ring.h"
#include "engine/sequencer.h"
#include "journal/record.h"
#include "tools/state_json.h"

using namespace ordo::engine;
using namespace ordo::base;

namespace {

constexpr std::uint32_t conferences = 4;
constexpr std::uint16_t seat_types = 8;

command command_for(std::uint32_t producer, std::uint64_t i) {
    const std::uint64_t reservation = 1 + (i * 8 + producer) % 5000;  // retries included
    const std::uint64_t conference = 1 + i % (conferences + 1);       // one unknown id
    switch (i % 7) {
        case 0: {
            const seat_item seats[] = {{.quantity = static_cast<std::uint32_t>(1 + i % 3),
                                        .seat_type = 1, .reserved_zero = 0}};
            return make_reserve(i, conference, reservation, 7, seats);
        }
        case 1: {  // 1..8 items: one or two slots
            std::vector<seat_item> seats;
            for (std::uint16_t t = 1; t <= 1 + i % seat_types; t++) {
                seats.push_back({.quantity = 1, .seat_type = t, .reserved_zero = 0});
            }
            return make_reserve(i, conference, reservation, 7, seats);
        }
        case 2: return make_reservation_op(op::confirm, i, reservation);
        case 3: return make_reservation_op(op::cancel, i, reservation);
        case 4: {  // nine slots, rejected: the conference exists (or 64 types are invalid)
            // Now and then a close instead, late enough that conference 4 takes holds
            // first (then duplicates, or unknown_conference for 5).
            if (i % 14 == 4 && i >= 10'000) {
                return make_close_conference(i, conference == 4 ? 4 : 5);
            }
            std::vector<seat_item> seats;
            for (std::uint16_t t = 1; t <= 64; t++) {
                seats.push_back({.quantity = 1, .seat_type = t, .reserved_zero = 0});
            }
            return make_create_conference(i, conference, seats, 1000);
        }
        default: return make_tick(i * 10);
    }
}

// Applies every record of a back-to-back record stream to `state`.
void replay(booking_state& state, const std::vector<std::byte>& records) {
    std::size_t at = 0;
    while (at < records.size()) {
        ordo::journal::record_header header;
        std::memcpy(&header, records.data() + at, sizeof(header));
        REQUIRE(header.size_bytes >= sizeof(header));
        REQUIRE(apply(state, std::span<const std::byte>(records.data() + at, header.size_bytes)) ==
                apply_result::applied);
        at += header.size_bytes;
    }
}

template <template <class> class Ring>
void run_producers(std::uint32_t producer_count, std::uint64_t per_producer) {
    booking_state state(state_options{.conferences_max = 16, .reservations_max = 1 << 14});
    memory_sink sink(1 << 16, /*keep_records=*/true);
    sequencer_options options{.producers = producer_count, .command_ring_slots = 256,
                              .reply_ring_slots = 256, .drain_slots_max = 32, .flush_delay_us = 50};
    sequencer<Ring> seq(state, sink, options);
    // Conferences first, through producer 0, so every producer finds them.
    std::vector<std::vector<reply>> replies(producer_count);
    seq.start();
    for (std::uint32_t c = 1; c <= conferences; c++) {
        std::vector<seat_item> seats;
        for (std::uint16_t t = 1; t <= seat_types; t++) {
            seats.push_back({.quantity = 3000, .seat_type = t, .reserved_zero = 0});
        }
        REQUIRE(seq.producer_at(0).submit(make_create_conference(0, c, seats, 1000),
                                          [&](reply r) { replies[0].push_back(r); }));
    }
    REQUIRE(seq.producer_at(0).drain([&](reply r) { replies[0].push_back(r); }));
    // Catch2 assertions are not thread-safe: producer threads only record what they saw.
    std::vector<std::thread> threads;
    std::vector<char> producer_ok(producer_count, 1);
    for (std::uint32_t p = 0; p < producer_count; p++) {
        threads.emplace_back([&, p] {
            auto& handle = seq.producer_at(p);
            auto take = [&](reply r) { replies[p].push_back(r); };
            for (std::uint64_t i = 0; i < per_producer; i++) {
                if (!handle.submit(command_for(p, i), take)) producer_ok[p] = 0;
            }
            if (!handle.drain(take)) producer_ok[p] = 0;
        });
    }
    for (auto& t : threads) t.join();
    for (const char ok : producer_ok) REQUIRE(ok == 1);
    REQUIRE(seq.stop());

    const std::uint64_t total = conferences + producer_count * per_producer;
    std::vector<int> seen(total, 0);
    for (std::uint32_t p = 0; p < producer_count; p++) {
        const std::uint64_t expected = per_producer + (p == 0 ? conferences : 0);
        REQUIRE(replies[p].size() == expected);
        for (std::size_t i = 1; i < replies[p].size(); i++) {
            REQUIRE(replies[p][i - 1].command_sequence() < replies[p][i].command_sequence());
        }
        for (const reply r : replies[p]) {
            REQUIRE(r.command_sequence() < total);
            seen[r.command_sequence()]++;
        }
    }
    for (const int count : seen) REQUIRE(count == 1);
    REQUIRE(state.commands == total);
    REQUIRE(seq.stats().commands == total);
    if constexpr (std::is_same_v<Ring<command_slot>, spsc_ring<command_slot>>) {
        // Our ring hands out slots in place, so multi-slot commands met its end and padded.
        REQUIRE(seq.stats().padding_slots > 0);
    }

    REQUIRE(state.conference(state.find_conference(4)).closed == 1);
    REQUIRE(seq.stats().outcomes[static_cast<std::size_t>(outcome::conference_closed)] > 0);

    booking_state replayed(state.options());
    replay(replayed, sink.kept_records());
    REQUIRE(ordo::tools::state_json(replayed) == ordo::tools::state_json(state));
    REQUIRE(replayed.commands == total);
}

}  // namespace

TEST_CASE("every command of several producers gets one reply, in producer order (own ring)",
          "[sequencer][stress]") {
    run_producers<spsc_ring>(3, 40'000);
}

TEST_CASE("every command of several producers gets one reply, in producer order (boost ring)",
          "[sequencer][stress]") {
    run_producers<boost_ring>(2, 20'000);
}
