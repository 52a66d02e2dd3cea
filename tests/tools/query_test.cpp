// `ordo query ...` (CONTRACT.md section 4): the contract's exact outputs on close.jsonl, from
// a fresh view and from checkpoints; and availability equal to `ordo state`'s aggregates
// at the end and at points of random.jsonl and of a generated workload.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>

#include "tests/tools/ordo_process.h"

namespace {

using nlohmann::json;
using namespace ordo::test;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> values;
    for (const std::string& line : lines_of(text)) values.push_back(json::parse(line));
    return values;
}

run_result query(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"query"};
    all.insert(all.end(), args.begin(), args.end());
    const run_result run = run_ordo(all);
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    return run;
}

// The state's answer and availability's, as comparable values.
void check_availability_equals_state(const std::string& d, const std::vector<std::string>& point) {
    std::vector<std::string> state_args = {"state", "--data", d};
    state_args.insert(state_args.end(), point.begin(), point.end());
    const run_result state = run_ordo(state_args);
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    const json want = json::parse(state.out);
    std::vector<std::string> query_args = {"availability", "--data", d};
    query_args.insert(query_args.end(), point.begin(), point.end());
    const json got = json::parse(query(query_args).out);
    CHECK(got["commands"] == want["commands"]);
    CHECK(got["conferences"] == want["conferences"]);
}

}  // namespace

TEST_CASE("query: the contract's outputs on close.jsonl", "[cli][query]") {
    // Proves every example of section 4 exactly, first built from the journal (writing the
    // checkpoints), then again from the checkpoints, then with --no-checkpoint.
    const temp_dir dir("query");
    const std::string d = (dir.path() / "d").string();
    REQUIRE(run_ordo({"run", "--data", d, "--workload", (data_dir / "close.jsonl").string()})
                .exit_status == 0);
    for (const char* how : {"fresh", "checkpoint", "--no-checkpoint"}) {
        INFO(how);
        const std::vector<std::string> extra = std::string(how) == "--no-checkpoint"
                                                   ? std::vector<std::string>{how}
                                                   : std::vector<std::string>{};
        auto with = [&](std::vector<std::string> args) {
            args.insert(args.end(), extra.begin(), extra.end());
            return query(args).out;
        };
        CHECK(json::parse(with({"customer", "--data", d, "--customer", "7"})) ==
              json::parse(read_text(data_dir / "close.customer-7.json")));
        CHECK(json_lines(with({"history", "--data", d, "--reservation", "100"})) ==
              json_lines(read_text(data_dir / "close.history-reservation-100.jsonl")));
        CHECK(json_lines(with({"history", "--data", d, "--conference", "2"})) ==
              json_lines(read_text(data_dir / "close.history-conference-2.jsonl")));
        CHECK(json_lines(with({"sales", "--data", d, "--conference", "1", "--bucket-ms", "10"})) ==
              json_lines(read_text(data_dir / "close.sales-1-10ms.jsonl")));
        const json state = json::parse(read_text(data_dir / "close.state.json"));
        const json all = json::parse(with({"availability", "--data", d}));
        CHECK(all["commands"] == state["commands"]);
        CHECK(all["conferences"] == state["conferences"]);
        CHECK(fs::exists(fs::path(d) / "projections" / "availability.checkpoint"));
    }
    // A customer with none; an unknown conference is exit 1 with one line.
    CHECK(json::parse(query({"customer", "--data", d, "--customer", "12345"}).out) ==
          json::parse(R"({"customer":12345,"reservations":[]})"));
    const run_result unknown =
        run_ordo({"query", "availability", "--data", d, "--conference", "5"});
    CHECK(unknown.exit_status == 1);
    CHECK(lines_of(unknown.err).size() == 1);
    const run_result past =
        run_ordo({"query", "sales", "--data", d, "--conference", "1", "--until-command", "30"});
    CHECK(past.exit_status == 2);
    CHECK(past.err.find("29 commands") != std::string::npos);
    for (const char* sub : {"availability", "customer", "history", "sales"}) {
        CHECK(run_ordo({"query", sub, "--help"}).exit_status == 0);
    }
}

TEST_CASE("query: time travel on close.jsonl equals state --until", "[cli][query]") {
    // Proves the views stop exactly where state --until stops, checkpoints or not: the
    // contract's until examples, through availability.
    const temp_dir dir("query");
    const std::string d = (dir.path() / "d").string();
    REQUIRE(run_ordo({"run", "--data", d, "--workload", (data_dir / "close.jsonl").string()})
                .exit_status == 0);
    query({"availability", "--data", d});  // leaves a checkpoint at the end
    const json at11 =
        json::parse(query({"availability", "--data", d, "--until-command", "11"}).out);
    const json want11 = json::parse(read_text(data_dir / "close.until-command-11.json"));
    CHECK(at11["commands"] == want11["commands"]);
    CHECK(at11["conferences"] == want11["conferences"]);
    const json at25 = json::parse(query({"availability", "--data", d, "--until-time", "25"}).out);
    const json want25 = json::parse(read_text(data_dir / "close.until-time-25.json"));
    CHECK(at25["commands"] == want25["commands"]);
    CHECK(at25["conferences"] == want25["conferences"]);
    // Reservation 201 was held at command 26: before it, its history is empty.
    CHECK(query({"history", "--data", d, "--reservation", "201", "--until-command", "25"})
              .out.empty());
}

TEST_CASE("query: availability equals the engine's aggregates on random workloads",
          "[cli][query]") {
    // Proves the projection applies every event as the engine does: random.jsonl (retries,
    // unknown ids, sell-outs, expiries, capacity changes) run in two parts (the second
    // query catches up from the first one's checkpoint), and a generated workload with
    // closes, at the end and at points inside.
    const temp_dir dir("query");
    const std::string d = (dir.path() / "d").string();
    std::vector<std::string> commands;
    for (const std::string& line : lines_of(read_text(data_dir / "random.jsonl"))) {
        if (!line.empty() && line[0] != '#') commands.push_back(line);
    }
    for (std::size_t part = 0; part < 2; part++) {
        std::string text;
        for (std::size_t i = part * commands.size() / 2; i < (part + 1) * commands.size() / 2;
             i++) {
            text += commands[i] + "\n";
        }
        write_text(dir.path() / "part.jsonl", text);
        REQUIRE(run_ordo({"run", "--data", d, "--workload", (dir.path() / "part.jsonl").string()})
                    .exit_status == 0);
        check_availability_equals_state(d, {});
    }
    for (const char* n : {"1", "500", "1501", "2222"}) {
        check_availability_equals_state(d, {"--until-command", n});
    }
    check_availability_equals_state(d, {"--until-time", "4000"});

    const std::string generated = (dir.path() / "sim").string();
    const run_result sim =
        run_ordo({"simulate", "--commands", "200000", "--data", generated, "--seed", "7"});
    INFO(sim.err);
    REQUIRE(sim.exit_status == 0);
    check_availability_equals_state(generated, {});
    check_availability_equals_state(generated, {"--until-command", "123457"});
}

TEST_CASE("query history --until: read from the checkpoint, equal to applying up to the point",
          "[cli][query][time_travel]") {
    // Proves that a stream as of a point, read straight from the history checkpoint's entries
    // (history_as_of.h), is exactly the stream of a view applied from the start up to the
    // point (--no-checkpoint), at random points by command and by time, for reservations and
    // conferences, and at the edges (0, the checkpoint's last command).
    const temp_dir dir("query_history");
    const std::string d = (dir.path() / "d").string();
    constexpr std::uint64_t commands = 100'000;
    REQUIRE(run_ordo({"simulate", "--commands", std::to_string(commands), "--data", d, "--seed",
                      "11"})
                .exit_status == 0);
    query({"history", "--data", d, "--conference", "1"});  // the checkpoint at the end
    const json end = json::parse(run_ordo({"state", "--data", d}).out);
    const std::uint64_t last = end["commands"];
    const std::uint64_t now = end["now"];
    std::mt19937_64 random(5);
    int from_checkpoint = 0;
    for (int i = 0; i < 24; i++) {
        const bool by_time = i % 3 == 2;
        const std::uint64_t point =
            i == 0 ? 0 : i == 1 ? last - 1 : random() % (by_time ? now : last);
        const std::vector<std::string> stream =
            i % 2 == 0 ? std::vector<std::string>{"--conference", std::to_string(1 + random() % 4)}
                       : std::vector<std::string>{"--reservation", std::to_string(1 + random() % 3000)};
        std::vector<std::string> args = {"history", "--data", d, stream[0], stream[1],
                                         by_time ? "--until-time" : "--until-command",
                                         std::to_string(point)};
        const run_result scanned = query(args);
        args.push_back("--no-checkpoint");
        const run_result applied = query(args);
        INFO(stream[0] << ' ' << stream[1] << (by_time ? " time " : " command ") << point);
        CHECK(scanned.out == applied.out);
        if (scanned.err.find("from the checkpoint's entries") != std::string::npos) from_checkpoint++;
    }
    CHECK(from_checkpoint == 24);  // every point is before the checkpoint's end
    // At the durable end the checkpoint's entries answer too; once the journal goes on past
    // the checkpoint, the view catches up first. Both equal a view built from the start.
    for (int round = 0; round < 2; round++) {
        for (const char* id : {"1", "2", "17", "2999"}) {
            for (const char* by : {"--conference", "--reservation"}) {
                const run_result read = query({"history", "--data", d, by, id});
                CHECK(read.out ==
                      query({"history", "--data", d, by, id, "--no-checkpoint"}).out);
            }
        }
        if (round == 0) {
            REQUIRE(run_ordo({"run", "--data", d, "--workload",
                              (data_dir / "random.jsonl").string()})
                        .exit_status == 0);
        }
    }
}
