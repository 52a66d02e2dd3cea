// `ordo follow --json` reports its lag behind the durable end DIR/manifest records
// (projections/manifest_lag.h): the six fields are there, ordered (p50 <= p99 <= max), and a
// directory whose writer closed has nothing to be behind (a closed manifest: no samples).
// A follower beside a live writer reads up to the writer's durable-end hint.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/tools/ordo_process.h"

using namespace ordo::test;

extern char** environ;

TEST_CASE("follow --json: lag fields, none measured behind a closed writer", "[cli][follow]") {
    const temp_dir dir("follow-lag");
    const std::string d = (dir.path() / "d").string();
    REQUIRE(run_ordo({"simulate", "--commands", "200000", "--data", d}).exit_status == 0);
    const run_result run = run_ordo({"follow", "--data", d, "--exit-at-end", "--json"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    const auto summary = nlohmann::json::parse(run.out);
    CHECK(summary["records"].get<std::uint64_t>() > 0);
    for (const char* unit : {"us", "records"}) {
        const std::string prefix = std::string("lag_") + unit;
        INFO(prefix);
        REQUIRE(summary.contains(prefix + "_p50"));
        CHECK(summary[prefix + "_p50"] <= summary[prefix + "_p99"]);
        CHECK(summary[prefix + "_p99"] <= summary[prefix + "_max"]);
        CHECK(summary[prefix + "_max"] == 0);  // the manifest is closed: nothing is newer
    }
}

namespace {

}  // namespace

// The writer keeps DIR/durable_end (journal/durable_hint.h) current; a follower beside it
// reads past the manifest's end up to the hint's (hint_polls), never past the durable end
// (it would meet a torn or unsynced batch and exit 1), and ends with every record; then a
// garbage hint and a deleted one change nothing for a follower catching up.
TEST_CASE("follow --json: tailing a live fdatasync writer through its durable-end hint",
          "[cli][follow]") {
    const temp_dir dir("follow-hint");
    const fs::path d = dir.path() / "d";
    const pid_t writer =
        spawn_ordo({"simulate", "--commands", "300000", "--rate", "100000", "--durability",
                       "fdatasync", "--data", d.string(), "--json"},
                      dir.path() / "writer.json");
    while (!fs::exists(d / "manifest")) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const pid_t follower =
        spawn_ordo({"follow", "--data", d.string(), "--json"}, dir.path() / "follow.json");
    REQUIRE(wait_exit(writer) == 0);
    CHECK(fs::file_size(d / "durable_end") == 4096);
    REQUIRE(::kill(follower, SIGTERM) == 0);
    CHECK(wait_exit(follower) == 128 + SIGTERM);
    const auto live = nlohmann::json::parse(read_text(dir.path() / "follow.json"));
    INFO(live.dump());
    CHECK(live["hint_polls"].get<std::uint64_t>() > 0);
    CHECK(live["lag_us_p50"] <= live["lag_us_max"]);
    // It resumes from its checkpoints to the (now closed) end.
    const run_result end = run_ordo({"follow", "--data", d.string(), "--exit-at-end", "--json"});
    REQUIRE(end.exit_status == 0);
    const auto caught_up = nlohmann::json::parse(end.out);
    CHECK(caught_up["commands"].get<std::uint64_t>() > 0);

    // Garbage, then nothing: a fresh follower of a copy still reads every command.
    for (const bool garbage : {true, false}) {
        const fs::path copy = dir.path() / (garbage ? "garbage" : "deleted");
        fs::create_directories(copy);
        fs::copy(d / "journal", copy / "journal", fs::copy_options::recursive);
        fs::copy_file(d / "manifest", copy / "manifest");
        if (garbage) {
            std::ofstream out(copy / "durable_end", std::ios::binary);
            for (int i = 0; i < 4096; i++) out.put(static_cast<char>(i * 13));
        }
        const run_result run =
            run_ordo({"follow", "--data", copy.string(), "--exit-at-end", "--json"});
        INFO(run.err);
        REQUIRE(run.exit_status == 0);
        CHECK(nlohmann::json::parse(run.out)["commands"] == caught_up["commands"]);
    }
}
