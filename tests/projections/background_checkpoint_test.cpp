// A follower's checkpoints written by a child process (background_checkpoint.h): they load
// into views equal to the follower's at the fork, and a child that cannot write reports why.
#include <catch2/catch.hpp>
#include <fstream>

#include "projections/background_checkpoint.h"
#include "projections/checkpoint.h"
#include "projections/follower.h"
#include "tests/tools/ordo_process.h"

namespace {

using namespace ordo;
using namespace ordo::test;

std::string simulated(const temp_dir& dir) {
    const std::string d = (dir.path() / "d").string();
    const run_result sim = run_ordo({"simulate", "--commands", "200000", "--data", d, "--seed",
                                     "9", "--batch-kib", "128", "--hold-ttl-ms", "1000"});
    INFO(sim.err);
    REQUIRE(sim.exit_status == 0);
    return d;
}

// A follower of `d` caught up to its end.
projections::follower followed(const std::string& d) {
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    REQUIRE(f->poll().has_value());
    return std::move(*f);
}

}  // namespace

TEST_CASE("background checkpoint: a child writes what the follower holds", "[projections]") {
    const temp_dir dir("background");
    const std::string d = simulated(dir);
    const projections::follower f = followed(d);
    REQUIRE(f.commands() == 200'004);  // the market's 4 setup commands and the load
    projections::background_checkpoint writing;
    REQUIRE(writing.start(f).has_value());
    CHECK(writing.running());
    const auto written = writing.done(true);
    REQUIRE(written.has_value());
    INFO((written->has_value() ? std::string() : written->error()));
    CHECK(written->has_value());
    CHECK(!writing.running());
    CHECK(writing.last_took_ns() > 0);
    // Each checkpoint holds the follower's view: same place, same state checksum.
    projections::availability a;
    projections::customers c;
    projections::history h;
    projections::sales s;
    const std::array<projections::projection*, 4> loaded = {&a, &c, &h, &s};
    for (std::size_t i = 0; i < loaded.size(); i++) {
        const projections::projection& held = *f.views()[i];
        INFO(held.name());
        projections::projection& view = *loaded[i];
        REQUIRE(view.name() == held.name());
        REQUIRE(projections::load_checkpoint(d, view).value() ==
                projections::checkpoint_load::loaded);
        CHECK(view.position() == held.position());
        CHECK(projections::state_checksum(view) == projections::state_checksum(held));
    }
}

TEST_CASE("background checkpoint: a child that cannot write says why", "[projections]") {
    const temp_dir dir("background");
    const std::string d = simulated(dir);
    const projections::follower f = followed(d);
    // A file where the checkpoints' directory goes.
    fs::remove_all(fs::path(d) / "projections");
    std::ofstream(fs::path(d) / "projections") << "in the way";
    projections::background_checkpoint writing;
    REQUIRE(writing.start(f).has_value());
    const auto written = writing.done(true);
    REQUIRE(written.has_value());
    REQUIRE(!written->has_value());
    CHECK(written->error().find("projections") != std::string::npos);
}
