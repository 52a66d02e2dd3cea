// The views' id index holds exactly what a std::map given the same inserts and erases holds,
// through growth and backward-shift deletion (random ids, dense ids, colliding runs).
#include "projections/flat_index.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

namespace {

using ordo::projections::flat_index;

void check_same(const flat_index<std::uint64_t>& index,
                const std::map<std::uint64_t, std::uint64_t>& model) {
    REQUIRE(index.size() == model.size());
    for (const auto& [id, value] : model) {
        const std::uint64_t* found = index.find(id);
        REQUIRE(found != nullptr);
        REQUIRE(*found == value);
    }
    std::size_t visited = 0;
    index.for_each([&](std::uint64_t id, std::uint64_t value) {
        REQUIRE(model.at(id) == value);
        visited++;
    });
    REQUIRE(visited == model.size());
}

void churn(std::uint64_t seed, std::uint64_t id_range) {
    std::mt19937_64 random(seed);
    flat_index<std::uint64_t> index;
    std::map<std::uint64_t, std::uint64_t> model;
    for (int step = 0; step < 20'000; step++) {
        const std::uint64_t id = 1 + random() % id_range;
        const bool present = model.contains(id);
        REQUIRE((index.find(id) != nullptr) == present);
        if (present && random() % 3 == 0) {
            index.erase(id);
            model.erase(id);
        } else if (present) {
            *index.find(id) += 1;
            model[id] += 1;
        } else {
            index.insert(id, step);
            model[id] = static_cast<std::uint64_t>(step);
        }
    }
    check_same(index, model);
}

}  // namespace

TEST_CASE("flat_index: equals a map under random inserts and erases", "[projections]") {
    churn(1, 1'000);           // dense ids, many erases inside long probe runs
    churn(2, 50'000);          // sparser
    churn(3, UINT64_MAX - 1);  // ids anywhere
}

TEST_CASE("flat_index: ids in order, then every other one erased", "[projections]") {
    flat_index<std::uint64_t> index;
    std::map<std::uint64_t, std::uint64_t> model;
    for (std::uint64_t id = 1; id <= 100'000; id++) {
        index.insert(id, id * 3);
        model[id] = id * 3;
    }
    for (std::uint64_t id = 2; id <= 100'000; id += 2) {
        index.erase(id);
        model.erase(id);
    }
    check_same(index, model);
    CHECK(index.find(0) == nullptr);
    CHECK(index.find(2) == nullptr);
    CHECK(index.find_or_insert(2, 7) == 7);
    CHECK(index.find_or_insert(2, 9) == 7);
    index.clear();
    CHECK(index.size() == 0);
    CHECK(index.find(1) == nullptr);
}

TEST_CASE("flat_index: a large table grows into the table it faulted in ahead", "[projections]") {
    // Past 4 MiB of slots the next table is mapped at 3/8 full and faulted in a piece at a
    // time before the growth takes it: 600,000 ids cross two such growths (262,144 and
    // 524,288 slots); every id and value must survive them, and erases between growths.
    flat_index<std::uint64_t> index;
    std::map<std::uint64_t, std::uint64_t> model;
    std::mt19937_64 random(9);
    for (std::uint64_t i = 1; i <= 600'000; i++) {
        const std::uint64_t id = i % 3 == 0 ? random() | 1 : i;
        if (model.contains(id)) continue;
        index.insert(id, i);
        model[id] = i;
        if (i % 7 == 0) {
            index.erase(id);
            model.erase(id);
        }
    }
    check_same(index, model);
}
