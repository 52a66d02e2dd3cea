// `ordo drill` as a user runs it: each drill, a few rounds, passes on today's ordo (exit 0,
// a JSON report saying ok with faults injected and all of them detected or proven
// harmless), and bad flags are a usage error. The drills' own verdicts are what the
// measurements in bench/RESULTS.md rest on; this keeps them from rotting.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/drill/child_process.h"

using namespace ordo;

namespace {

tools::drill::process_result ordo_drill(const std::vector<std::string>& args) {
    const auto scratch = std::filesystem::temp_directory_path() /
                         ("ordo_drill_command_test." + std::to_string(::getpid()));
    auto result = tools::drill::run_process(ORDO_BINARY, args, scratch);
    std::filesystem::remove(scratch.string() + ".out");
    std::filesystem::remove(scratch.string() + ".err");
    return result;
}

}  // namespace

TEST_CASE("every drill passes a few rounds and reports what it injected", "[cli][drill]") {
    const std::vector<std::vector<std::string>> drills = {{"crash", "--rounds", "3"},
                                                          {"torn", "--rounds", "6"},
                                                          {"rot", "--rounds", "6"},
                                                          {"misuse", "--rounds", "11"},
                                                          {"full", "--rounds", "2"},
                                                          {"io-error", "--rounds", "2"},
                                                          {"sim", "--rounds", "2", "--seed", "77"}};
    for (const auto& drill : drills) {
        std::vector<std::string> args = {"drill"};
        args.insert(args.end(), drill.begin(), drill.end());
        args.push_back("--json");
        const auto result = ordo_drill(args);
        INFO(drill[0] << ": " << result.out << result.err);
        REQUIRE(result.exit_status == 0);
        const auto report = nlohmann::json::parse(result.out);
        CHECK(report.at("ok") == true);
        CHECK(report.at("drill") == drill[0]);
        CHECK(report.at("injected_total").get<std::uint64_t>() > 0);
        CHECK(report.at("detected").get<std::uint64_t>() +
                  report.at("harmless").get<std::uint64_t>() ==
              report.at("injected_total").get<std::uint64_t>());
        CHECK(report.at("acknowledged_lost") == 0);
    }
}

TEST_CASE("ordo drill refuses bad flags with a usage error", "[cli][drill]") {
    CHECK(ordo_drill({"drill", "crash", "--rounds", "0"}).exit_status == 2);
    CHECK(ordo_drill({"drill", "rot", "--seed", "-1"}).exit_status == 2);
    CHECK(ordo_drill({"drill"}).exit_status == 2);
    CHECK(ordo_drill({"drill", "sim", "--help"}).exit_status == 0);
}
