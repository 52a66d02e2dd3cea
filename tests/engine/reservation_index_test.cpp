// The reservation index: ids issued in order share index lines, and the table finds every
// id it holds (ordered, random, or colliding whole lines) up to a full arena, also after
// ids leave it (erase shifts the probe run back) and their records are reused.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "engine/booking_state.h"
#include "engine/hash.h"

using namespace ordo::engine;

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64: random-looking ids, reproducible
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void insert_all(booking_state& state, const std::vector<std::uint64_t>& ids) {
    if (state.conference_count() == 0) state.insert_conference(1);
    for (const std::uint64_t id : ids) {
        const auto where = state.find_reservation(id);
        REQUIRE(where.record == index_none);
        state.add_reservation(where, id, 0);
    }
}

void require_all_found(const booking_state& state, const std::vector<std::uint64_t>& ids) {
    for (std::uint32_t i = 0; i < ids.size(); i++) {
        const auto found = state.find_reservation(ids[i]);
        REQUIRE(found.record == i);
        REQUIRE(state.reservation(found.record).id == ids[i]);
    }
}

}  // namespace

TEST_CASE("eight ids in order share one index line, and slots stay inside the table") {
    const std::uint32_t slots = 1u << 10;
    const std::uint32_t shift = line_shift_for(slots);
    for (std::uint64_t first = 8; first < 8 * 1000; first += 8) {
        const std::uint32_t home = line_grouped_home_slot(first, shift);
        REQUIRE(home % ids_per_index_line == 0);
        for (std::uint64_t id = first; id < first + 8; id++) {
            const std::uint32_t slot = line_grouped_home_slot(id, shift);
            REQUIRE(slot < slots);
            REQUIRE(slot / ids_per_index_line == home / ids_per_index_line);
        }
    }
    // The smallest index is two lines; every id lands in it, random ones too.
    for (std::uint64_t i = 1; i < 1000; i++) {
        REQUIRE(line_grouped_home_slot(i, line_shift_for(index_slots_min)) < index_slots_min);
        REQUIRE(line_grouped_home_slot(mix(i), line_shift_for(index_slots_min)) < index_slots_min);
    }
}

TEST_CASE("lines of ids in order spread over the whole index") {
    const std::uint32_t slots = 1u << 12;
    const std::uint32_t shift = line_shift_for(slots);
    std::vector<std::uint32_t> per_line(slots / ids_per_index_line, 0);
    const std::uint32_t ids = slots / 2;  // half full
    for (std::uint64_t id = 1; id <= ids; id++) per_line[line_grouped_home_slot(id, shift) / 8]++;
    std::uint32_t used_lines = 0;
    for (const std::uint32_t n : per_line) used_lines += n > 0 ? 1 : 0;
    // 2048 ids in 257 groups of 8 (or fewer) over 512 lines: Fibonacci hashing spreads
    // consecutive groups evenly, so hardly any two share a line.
    INFO("lines used: " << used_lines);
    REQUIRE(used_lines >= ids / ids_per_index_line * 9 / 10);
}

TEST_CASE("the reservation index finds every id up to a full arena") {
    for (const std::uint32_t reservations_max : {1u, 7u, 64u, 5000u}) {
        SECTION("ids in order, max " + std::to_string(reservations_max)) {
            booking_state state(state_options{.conferences_max = 1, .reservations_max = reservations_max});
            std::vector<std::uint64_t> ids;
            for (std::uint64_t id = 1; id <= reservations_max; id++) ids.push_back(id);
            insert_all(state, ids);
            REQUIRE(state.reservations_full());
            require_all_found(state, ids);
            REQUIRE(state.find_reservation(reservations_max + 1).record == index_none);
        }
        SECTION("random ids, max " + std::to_string(reservations_max)) {
            booking_state state(state_options{.conferences_max = 1, .reservations_max = reservations_max});
            std::vector<std::uint64_t> ids;
            for (std::uint64_t i = 0; i < reservations_max; i++) ids.push_back(mix(i) | 1);
            insert_all(state, ids);
            require_all_found(state, ids);
            REQUIRE(state.find_reservation(mix(reservations_max + 7) | 1).record == index_none);
        }
        SECTION("ids whose lines collide, max " + std::to_string(reservations_max)) {
            // Ids 8 * 2^k apart hash their lines from multiples of a power of two: many share
            // a home line, so whole groups are displaced and probed past.
            booking_state state(state_options{.conferences_max = 1, .reservations_max = reservations_max});
            std::vector<std::uint64_t> ids;
            for (std::uint64_t i = 0; ids.size() < reservations_max; i++) {
                ids.push_back(((i / 8) << 40) + (i % 8) + 1);
            }
            insert_all(state, ids);
            require_all_found(state, ids);
        }
    }
}

TEST_CASE("ids leaving the index keep every other id reachable, and their records are reused") {
    // Proves erase (backward shift, no tombstones) on ordered, random and line-colliding
    // ids: after every third id finishes, the rest are found at their records, the finished
    // ones are not (finished_ids answers for them), and new ids take the freed records.
    constexpr std::uint32_t reservations_max = 3000;
    const auto ordered = [](std::uint64_t i) { return i + 1; };
    const auto random = [](std::uint64_t i) { return mix(i) | 1; };
    const auto colliding = [](std::uint64_t i) { return ((i / 8) << 40) + (i % 8) + 1; };
    for (const auto& id_of : {+ordered, +random, +colliding}) {
        booking_state state(
            state_options{.conferences_max = 1, .reservations_max = reservations_max});
        std::vector<std::uint64_t> ids;
        for (std::uint64_t i = 0; i < reservations_max; i++) ids.push_back(id_of(i));
        insert_all(state, ids);
        REQUIRE(state.reservations_full());
        for (std::uint32_t i = 0; i < reservations_max; i += 3) {
            const auto found = state.find_reservation(ids[i]);
            REQUIRE(found.record == i);
            state.finish_reservation(found.record, finished_status::cancelled);
        }
        REQUIRE(state.live_reservations() == reservations_max - reservations_max / 3);
        for (std::uint32_t i = 0; i < reservations_max; i++) {
            const auto found = state.find_reservation(ids[i]);
            if (i % 3 == 0) {
                REQUIRE(found.record == index_none);
                REQUIRE(state.find_finished(ids[i]) == finished_status::cancelled);
            } else {
                REQUIRE(found.record == i);
                REQUIRE(state.find_finished(ids[i]) == finished_status::none);
            }
        }
        std::vector<std::uint64_t> more;
        for (std::uint64_t i = reservations_max; i < reservations_max + reservations_max / 3; i++) {
            more.push_back(id_of(i));
        }
        insert_all(state, more);
        REQUIRE(state.reservations_full());
        REQUIRE(state.reservation_count() == reservations_max);  // no record past the max
        for (const std::uint64_t id : more) {
            const auto found = state.find_reservation(id);
            REQUIRE(found.record != index_none);
            REQUIRE(found.record % 3 == 0);  // a freed record
            REQUIRE(state.reservation(found.record).id == id);
        }
    }
}
