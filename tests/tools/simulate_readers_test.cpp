// `ordo simulate --readers N`: N in-process projections fed the durable batches apply every
// record the journal holds, exactly once (their record and command counts equal the
// journal's), and each reports its lag; without a journal the flag is refused.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/tools/ordo_process.h"

using namespace ordo::test;

TEST_CASE("simulate --readers: every reader applies the whole durable journal", "[cli]") {
    // Also with the pwrite backend, whose writer keeps the same spare buffers for readers.
    const bool pwrite = GENERATE(false, true);
    INFO("pwrite " << pwrite);
    const temp_dir dir("readers");
    const std::string d = (dir.path() / "d").string();
    std::vector<std::string> args = {"simulate", "--commands", "300000", "--readers", "4",
                                     "--data", d, "--json", "--segment-mib", "16"};
    if (pwrite) args.emplace_back("--pwrite");
    const run_result run = run_ordo(args);
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    const auto summary = nlohmann::json::parse(run.out);
    const run_result stats = run_ordo({"journal", "stats", "--data", d});
    REQUIRE(stats.exit_status == 0);
    const std::uint64_t records = nlohmann::json::parse(stats.out)["records"];
    const std::uint64_t commands =
        summary["commands"].get<std::uint64_t>() + summary["setup_commands"].get<std::uint64_t>();
    const auto& readers = summary["readers"];
    REQUIRE(readers.size() == 4);
    const char* const names[] = {"availability", "customers", "sales", "history"};
    for (std::size_t i = 0; i < 4; i++) {
        INFO(readers[i].dump());
        CHECK(readers[i]["projection"] == names[i]);
        CHECK(readers[i]["records"] == records);
        CHECK(readers[i]["commands"] == commands);
        CHECK(readers[i]["batches"] == summary["batches"]);
        CHECK(readers[i]["lag_us_p50"] <= readers[i]["lag_us_p99"]);
        CHECK(readers[i]["lag_us_p99"] <= readers[i]["lag_us_max"]);
        CHECK(readers[i]["lag_records_p99"] <= readers[i]["lag_records_max"]);
    }
}

TEST_CASE("simulate --readers without a journal is refused with the fix", "[cli]") {
    const run_result run = run_ordo({"simulate", "--commands", "1000", "--readers", "1"});
    CHECK(run.exit_status == 2);
    CHECK(run.err.find("--data") != std::string::npos);
    CHECK(run_ordo({"simulate", "--readers", "5"}).exit_status == 2);
}
