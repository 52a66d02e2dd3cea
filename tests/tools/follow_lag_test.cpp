// `ordo follow --json` reports its lag behind the durable end DIR/manifest records
// (projections/manifest_lag.h): the six fields are there, ordered (p50 <= p99 <= max), and a
// directory whose writer closed has nothing to be behind (a closed manifest: no samples).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/tools/ordo_process.h"

using namespace ordo::test;

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
