// A follower's checkpoints written by a child process (background_checkpoint.h): they load
// into views equal to the follower's at the fork, and a child that cannot write reports why;
// point-in-time checkpoints a child writes equal those written in the foreground.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <map>

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

namespace {

// Every point-in-time checkpoint file under d/projections, by name, with its bytes.
std::map<std::string, std::string> point_files(const std::string& d) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(fs::path(d) / "projections")) {
        const std::string name = entry.path().filename().string();
        if (name.find(".at-") == std::string::npos) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        files[name] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
}

const projections::point_checkpoint_policy every_50k{.every_commands = 50'000, .keep = 10};

}  // namespace

TEST_CASE("background checkpoint: point-in-time checkpoints from a child equal the foreground's",
          "[projections]") {
    const temp_dir dir("background");
    const std::string d = simulated(dir);
    std::map<std::string, std::string> foreground;
    {
        auto f = projections::follower::open(d);
        REQUIRE(f.has_value());
        f->keep_point_checkpoints(every_50k);
        REQUIRE(f->poll().has_value());
        foreground = point_files(d);
    }
    // 200,004 commands cross 50k, 100k, 150k and 200k; history keeps none (it reads earlier
    // points from its current checkpoint).
    REQUIRE(foreground.size() == 4 * 3);
    fs::remove_all(fs::path(d) / "projections");
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    f->keep_point_checkpoints(every_50k, /*in_child=*/true);
    // One poll of a short backlog: on this thread, forking at each crossing (the next
    // crossing waits for the last child).
    REQUIRE(f->poll().has_value());
    const auto finished = f->finish_point_checkpoints();
    INFO((finished.has_value() ? std::string() : finished.error()));
    REQUIRE(finished.has_value());
    const std::map<std::string, std::string> from_child = point_files(d);
    CHECK(from_child.size() == foreground.size());
    for (const auto& [name, bytes] : foreground) {
        INFO(name);
        REQUIRE(from_child.contains(name));
        CHECK(from_child.at(name) == bytes);
    }
}

TEST_CASE("background checkpoint: a child that cannot write a point-in-time checkpoint says why",
          "[projections]") {
    const temp_dir dir("background");
    const std::string d = simulated(dir);
    // A file where the checkpoints' directory goes.
    std::ofstream(fs::path(d) / "projections") << "in the way";
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    f->keep_point_checkpoints(every_50k, /*in_child=*/true);
    // The poll meets the first child's failure when the second crossing waits for it, or
    // leaves it to the finish.
    auto polled = f->poll();
    std::expected<void, std::string> ended = f->finish_point_checkpoints();
    if (!polled) ended = std::unexpected(polled.error());
    REQUIRE(!ended.has_value());
    CHECK(ended.error().find("point-in-time checkpoint not saved") != std::string::npos);
    CHECK(ended.error().find("projections") != std::string::npos);
}
