// `ordo state --until-command N` / `--until-time T` (CONTRACT.md section 3): the state right
// after a point of DIR's history equals the state of a fresh DIR that ran only the commands
// up to that point, with and without snapshots to start from; past the end is exit 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/tools/ordo_process.h"

namespace {

using nlohmann::json;
using namespace ordo::test;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

// The workload's command lines (blank and # lines skipped), in order.
std::vector<std::string> commands_of(const fs::path& workload) {
    std::vector<std::string> commands;
    for (const std::string& line : lines_of(read_text(workload))) {
        if (line.empty() || line[0] == '#') continue;
        commands.push_back(line);
    }
    return commands;
}

json state_json(const std::vector<std::string>& args) {
    const run_result state = run_ordo(args);
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    json value = json::parse(state.out);
    value.erase("events");
    return value;
}

// The reference: the first `count` commands run into a fresh DIR, then `ordo state`.
json state_of_prefix(const std::vector<std::string>& commands, std::size_t count) {
    const temp_dir dir("time_travel_ref");
    std::string text;
    for (std::size_t i = 0; i < count; i++) text += commands[i] + "\n";
    write_text(dir.path() / "w.jsonl", text);
    const run_result run = run_ordo({"run", "--data", (dir.path() / "d").string(), "--workload",
                                     (dir.path() / "w.jsonl").string()});
    REQUIRE(run.exit_status == 0);
    return state_json({"state", "--data", (dir.path() / "d").string()});
}

}  // namespace

TEST_CASE("state --until: the contract's examples on close.jsonl", "[cli][time_travel]") {
    // Proves the exact outputs of CONTRACT.md's examples (close.until-*.json).
    const temp_dir dir("time_travel");
    const std::string d = (dir.path() / "d").string();
    REQUIRE(run_ordo({"run", "--data", d, "--workload", (data_dir / "close.jsonl").string()})
                .exit_status == 0);
    json want = json::parse(read_text(data_dir / "close.until-command-11.json"));
    CHECK(state_json({"state", "--data", d, "--until-command", "11"}) == want);
    want = json::parse(read_text(data_dir / "close.until-time-25.json"));
    CHECK(state_json({"state", "--data", d, "--until-time", "25"}) == want);
    CHECK(state_json({"state", "--data", d, "--until-command", "0"})["commands"] == 0);
    CHECK(state_json({"state", "--data", d, "--until-time", "0"})["commands"] == 2);
    const run_result past = run_ordo({"state", "--data", d, "--until-command", "30"});
    CHECK(past.exit_status == 2);
    CHECK(past.out.empty());
    CHECK(lines_of(past.err).size() == 1);
    CHECK(past.err.find("29 commands") != std::string::npos);
}

TEST_CASE("state --until: any point of random.jsonl, from snapshots or from the start",
          "[cli][time_travel]") {
    // Proves the point is exact wherever it falls (inside a batch, right after a snapshot,
    // before the first one): every snapshot is kept, so the newest one at or before the
    // point is used, and the answer equals a fresh run of the prefix and a replay from 0.
    const std::vector<std::string> commands = commands_of(data_dir / "random.jsonl");
    REQUIRE(commands.size() == 3011);
    const temp_dir dir("time_travel");
    const std::string d = (dir.path() / "d").string();
    // Six runs continue one history (a snapshot is taken once the previous one is out, so
    // short runs make sure there are several); small tables keep each snapshot quick.
    const std::size_t runs = 6;
    for (std::size_t r = 0; r < runs; r++) {
        std::string text;
        for (std::size_t i = r * commands.size() / runs; i < (r + 1) * commands.size() / runs;
             i++) {
            text += commands[i] + "\n";
        }
        write_text(dir.path() / "part.jsonl", text);
        const run_result run =
            run_ordo({"run", "--data", d, "--workload", (dir.path() / "part.jsonl").string(),
                      "--snapshot-every", "300", "--snapshot-keep", "100", "--reservations-max",
                      "8192", "--conferences-max", "64"});
        INFO(run.err);
        REQUIRE(run.exit_status == 0);
    }
    REQUIRE(std::distance(fs::directory_iterator(fs::path(d) / "snapshots"),
                          fs::directory_iterator{}) >= 4);
    for (const std::size_t n : {0, 1, 399, 400, 401, 1234, 3010, 3011}) {
        INFO("until command " << n);
        const json want = state_of_prefix(commands, n);
        CHECK(state_json({"state", "--data", d, "--until-command", std::to_string(n)}) == want);
        CHECK(state_json({"state", "--data", d, "--no-snapshots", "--until-command",
                          std::to_string(n)}) == want);
    }
    // Stamped times: the running maximum of t.
    std::uint64_t stamped = 0;
    std::vector<std::uint64_t> times;
    for (const std::string& line : commands) {
        stamped = std::max<std::uint64_t>(stamped, json::parse(line)["t"].get<std::uint64_t>());
        times.push_back(stamped);
    }
    for (const std::size_t at : {std::size_t{500}, std::size_t{1777}, std::size_t{2600}}) {
        const std::uint64_t t = times[at];
        const std::size_t count = static_cast<std::size_t>(
            std::upper_bound(times.begin(), times.end(), t) - times.begin());
        INFO("until time " << t << " = " << count << " commands");
        CHECK(state_json({"state", "--data", d, "--until-time", std::to_string(t)}) ==
              state_of_prefix(commands, count));
    }
    CHECK(run_ordo({"state", "--data", d, "--until-command", "3012"}).exit_status == 2);
}
