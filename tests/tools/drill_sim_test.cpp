// The deterministic simulation over the CI seed set: for every seed, the engine on the
// simulated disk, crashed and faulted at seeded points, recovers every acknowledged
// command, and its state and outcomes equal the independent reference model's. A failure
// prints its seed; `ordo drill sim --seed S` reproduces it. ORDO_DRILL_SIM_SEEDS sets how
// many seeds (fewer under sanitizers, as .ci/run does).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tools/drill/deterministic_sim.h"
#include "tools/drill/reference_model.h"

using namespace ordo;

namespace {
std::uint64_t seed_count() {
    const char* text = std::getenv("ORDO_DRILL_SIM_SEEDS");
    return text != nullptr ? std::strtoull(text, nullptr, 10) : 40;
}
}  // namespace

TEST_CASE("the reference model follows the contract's examples", "[drill][sim]") {
    // A hold, a confirm, a sell-out and an expiry, decided by the model alone.
    tools::drill::reference_model model;
    const engine::seat_item seats[] = {{.quantity = 2, .seat_type = 1, .reserved_zero = 0}};
    CHECK(model.execute(engine::make_create_conference(0, 1, seats, 1000)) ==
          engine::outcome::accepted);
    const engine::seat_item two[] = {{.quantity = 2, .seat_type = 1, .reserved_zero = 0}};
    CHECK(model.execute(engine::make_reserve(10, 1, 7, 3, two)) == engine::outcome::accepted);
    CHECK(model.execute(engine::make_reserve(20, 1, 8, 3, two)) ==
          engine::outcome::insufficient_seats);
    CHECK(model.execute(engine::make_reserve(30, 1, 7, 3, two)) == engine::outcome::duplicate);
    // At t = 1010 hold 7 expires before the reserve is decided: the seats are free again.
    CHECK(model.execute(engine::make_reserve(1010, 1, 8, 3, two)) == engine::outcome::accepted);
    CHECK(model.execute(engine::make_reservation_op(engine::op::confirm, 1011, 7)) ==
          engine::outcome::not_active);
    CHECK(model.execute(engine::make_close_conference(1012, 1)) == engine::outcome::accepted);
    CHECK(model.state_json() ==
          R"({"commands":7,"events":9,"now":1012,"conferences":[{"id":1,"hold_ttl_ms":1000,)"
          R"("closed":true,"seat_types":[{"type":1,"capacity":2,"held":0,"confirmed":0,)"
          R"("available":2}]}],"reservations":{"held":0,"confirmed":0,"cancelled":0,)"
          R"("expired":2}})");
}

TEST_CASE("the deterministic simulation holds over the CI seed set", "[drill][sim]") {
    const auto scratch = std::filesystem::temp_directory_path() /
                         ("ordo_drill_sim_test." + std::to_string(::getpid()));
    const std::uint64_t seeds = seed_count();
    std::uint64_t faults = 0;
    std::uint64_t acknowledged = 0;
    for (std::uint64_t seed = 1; seed <= seeds; seed++) {
        const tools::drill::sim_result result =
            tools::drill::run_sim({.seed = seed, .scratch_dir = scratch});
        INFO("reproduce with: ordo drill sim --seed " << seed);
        INFO(result.failure);
        REQUIRE(result.ok);
        REQUIRE(result.acknowledged_lost == 0);
        REQUIRE(result.faults_detected == result.faults_injected);
        faults += result.faults_injected;
        acknowledged += result.commands_acknowledged;
    }
    // The seed set really exercises faults and acknowledgements.
    CHECK(faults >= seeds);
    CHECK(acknowledged >= seeds * 100);
    std::filesystem::remove_all(scratch);
}
