// The `ordo` command line as a user runs it (CONTRACT.md sections 2 and 3): the built
// binary in a subprocess, its exit status, stdout, stderr and results file checked against
// the contract examples in tests/data.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tools/ordo_process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

using namespace ordo::test;

run_result ordo_cli(const std::vector<std::string>& args) { return run_ordo(args); }

// Whether `ordo run` takes a journal directory yet (`--data DIR`, CONTRACT.md section 3).
bool run_takes_data() {
    static const bool takes = ordo_cli({"run", "--help"}).out.find("--data") != std::string::npos;
    return takes;
}

// The one place that knows how `ordo run` is invoked: a fresh journal directory under
// `dir` when the binary takes --data, the workload, and --results when asked.
run_result run_workload(const temp_dir& dir, const fs::path& workload, const std::string& results) {
    std::vector<std::string> args = {"run"};
    if (run_takes_data()) {
        const fs::path data = dir.path() / "data";
        fs::create_directories(data);
        args.insert(args.end(), {"--data", data.string()});
    }
    args.insert(args.end(), {"--workload", workload.string()});
    if (!results.empty()) args.insert(args.end(), {"--results", results});
    return ordo_cli(args);
}

// The state after run_workload: what `ordo run` printed, or `ordo state` on its journal
// when the run printed nothing.
json state_after(const temp_dir& dir, const run_result& run) {
    if (!run.out.empty() || !run_takes_data()) return json::parse(run.out);
    const run_result state = ordo_cli({"state", "--data", (dir.path() / "data").string()});
    REQUIRE(state.exit_status == 0);
    return json::parse(state.out);
}

// Runs a contract example and compares results line by line and the final state (as JSON
// values; "events" depends on the record design and is ignored).
void check_example(const std::string& name) {
    const temp_dir dir;
    const fs::path results = dir.path() / "results.jsonl";
    const run_result run = run_workload(dir, data_dir / (name + ".jsonl"), results.string());
    INFO(run.err);  // may hold a one-line summary: not an error
    REQUIRE(run.exit_status == 0);

    const std::vector<std::string> got = lines_of(read_text(results));
    const std::vector<std::string> want = lines_of(read_text(data_dir / (name + ".results.jsonl")));
    REQUIRE(!want.empty());
    CHECK(got.size() == want.size());
    std::size_t differences = 0;
    for (std::size_t i = 0; i < std::min(got.size(), want.size()); i++) {
        if (json::parse(got[i]) != json::parse(want[i])) {
            if (differences++ < 10) CHECK(got[i] == want[i]);
        }
    }
    CHECK(differences == 0);

    json state = state_after(dir, run);
    json expected = json::parse(read_text(data_dir / (name + ".state.json")));
    CHECK(state.contains("events"));
    state.erase("events");
    expected.erase("events");
    CHECK(state == expected);
}

// The one line of stderr a failed command must print.
void check_one_error_line(const run_result& run) {
    INFO(run.err);
    CHECK(run.exit_status == 2);
    CHECK(run.out.empty());
    CHECK(lines_of(run.err).size() == 1);
    CHECK(run.err.ends_with('\n'));
}

json simulate_json(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"simulate", "--commands", "20000", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const run_result run = ordo_cli(args);
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    REQUIRE(lines_of(run.out).size() == 1);
    return json::parse(run.out);
}

}  // namespace

TEST_CASE("ordo run: rules.jsonl gives the contract's outcomes and final state", "[cli]") {
    // Proves every rule of section 1 end to end: the results file equals
    // rules.results.jsonl line by line and the state equals rules.state.json.
    check_example("rules");
}

TEST_CASE("ordo run: random.jsonl gives the contract's outcomes and final state", "[cli]") {
    // Proves 3,000 mixed commands end to end: results and state equal the contract's.
    check_example("random");
}

TEST_CASE("ordo run: close.jsonl gives the contract's outcomes and final state", "[cli]") {
    // Proves close_conference and every rule for a closed conference end to end: results
    // equal close.results.jsonl line by line and the state equals close.state.json.
    check_example("close");
}

TEST_CASE("ordo state: close.jsonl recovers the same from snapshots and from the journal",
          "[cli]") {
    // Proves recovery of a history with closes both ways: with a snapshot every 4 commands
    // (closed flags and expired-at-close holds restored from a snapshot, the rest replayed)
    // and with --no-snapshots (every record replayed), each equal to close.state.json.
    const temp_dir dir;
    const std::string data = (dir.path() / "data").string();
    const run_result run = ordo_cli({"run", "--data", data, "--workload",
                                 (data_dir / "close.jsonl").string(), "--snapshot-every", "4"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    REQUIRE(fs::exists(dir.path() / "data" / "snapshots"));
    REQUIRE(!fs::is_empty(dir.path() / "data" / "snapshots"));
    json expected = json::parse(read_text(data_dir / "close.state.json"));
    expected.erase("events");
    for (const bool snapshots : {true, false}) {
        INFO("snapshots " << snapshots);
        std::vector<std::string> args = {"state", "--data", data};
        if (!snapshots) args.push_back("--no-snapshots");
        const run_result state = ordo_cli(args);
        INFO(state.err);
        REQUIRE(state.exit_status == 0);
        json got = json::parse(state.out);
        got.erase("events");
        CHECK(got == expected);
    }
}

TEST_CASE("ordo journal dump: a close's records with every field", "[cli]") {
    // Proves dump names the two close records and their fields: the expiry at close of
    // the conference's held reservations (original expires_at, now of the close), then
    // conference_closed; and that --conference finds the close and its rejections.
    const temp_dir dir;
    const std::string data = (dir.path() / "data").string();
    REQUIRE(ordo_cli({"run", "--data", data, "--workload", (data_dir / "close.jsonl").string()})
                .exit_status == 0);
    const run_result dump = ordo_cli({"journal", "dump", "--data", data});
    REQUIRE(dump.exit_status == 0);
    std::vector<json> at_close;
    std::vector<json> closed;
    for (const std::string& line : lines_of(dump.out)) {
        json record = json::parse(line);
        if (record.at("type") == "reservation_expired_at_close") at_close.push_back(record);
        if (record.at("type") == "conference_closed") closed.push_back(record);
    }
    REQUIRE(at_close.size() == 3);  // 102 and 103 at line 12, 201 at line 28
    CHECK(at_close[0].at("reservation") == 102);
    CHECK(at_close[0].at("now") == 40);
    CHECK(at_close[0].at("expires_at") == 5012);
    CHECK(at_close[0].at("version") == 1);
    CHECK(at_close[1].at("reservation") == 103);
    CHECK(at_close[2].at("reservation") == 201);
    CHECK(at_close[2].at("expires_at") == 3000);
    REQUIRE(closed.size() == 2);
    CHECK(closed[0].at("conference") == 1);
    CHECK(closed[0].at("now") == 40);
    CHECK(closed[1].at("conference") == 2);
    const run_result of_one = ordo_cli({"journal", "dump", "--data", data, "--conference", "1"});
    REQUIRE(of_one.exit_status == 0);
    std::size_t closed_rejections = 0;
    for (const std::string& line : lines_of(of_one.out)) {
        const json record = json::parse(line);
        if (record.value("reason", "") == "conference_closed") closed_rejections++;
    }
    CHECK(closed_rejections == 4);  // two reserves, add_seats, remove_seats (a cancel names none)
}

TEST_CASE("ordo run: a workload longer than the reply window has every result, in order",
          "[cli]") {
    // Proves a workload of more commands than the engine's in-flight window (2^18 replies)
    // runs to the end with one result per line: before the fix it tripped an assertion.
    const temp_dir dir;
    const fs::path workload = dir.path() / "long.jsonl";
    constexpr int reservations = 140'000;
    {
        std::ofstream out(workload);
        out << R"({"op":"create_conference","t":0,"conference":1,"seats":{"1":1000000},"hold_ttl_ms":60000})"
            << '\n';
        for (int r = 1; r <= reservations; r++) {
            out << R"({"op":"reserve","t":1,"conference":1,"reservation":)" << r
                << R"(,"customer":1,"seats":{"1":1}})" << '\n'
                << R"({"op":"confirm","t":1,"reservation":)" << r << "}\n";
        }
    }
    const fs::path results = dir.path() / "results.jsonl";
    const run_result run = run_workload(dir, workload, results.string());
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    const std::vector<std::string> lines = lines_of(read_text(results));
    REQUIRE(lines.size() == 1 + 2 * reservations);
    for (std::size_t i = 0; i < lines.size(); i += 9973) {
        const json r = json::parse(lines[i]);
        CHECK(r.at("line") == i + 1);
        CHECK(r.at("outcome") == "accepted");
    }
    CHECK(json::parse(lines.back()).at("line") == lines.size());
    CHECK(state_after(dir, run).at("commands") == lines.size());
}

TEST_CASE("ordo run: a malformed workload is refused whole at its line", "[cli]") {
    // Proves a bad file exits 2 with one "FILE:2: ..." line on stderr and writes no results.
    const temp_dir dir;
    const fs::path workload = data_dir / "malformed.jsonl";
    const fs::path results = dir.path() / "results.jsonl";
    const run_result run = run_workload(dir, workload, results.string());
    check_one_error_line(run);
    CHECK(run.err.starts_with(workload.string() + ":2:"));
    CHECK((!fs::exists(results) || fs::file_size(results) == 0));
    if (run_takes_data()) {
        const run_result state = ordo_cli({"state", "--data", (dir.path() / "data").string()});
        if (state.exit_status == 0) CHECK(json::parse(state.out).at("commands") == 0);
    }
}

TEST_CASE("ordo run: a missing workload file is one error line", "[cli]") {
    // Proves an unreadable workload names the file on one line and exits non-zero.
    const temp_dir dir;
    const fs::path workload = dir.path() / "absent.jsonl";
    const run_result run = run_workload(dir, workload, "");
    INFO(run.err);
    CHECK(run.exit_status != 0);
    CHECK(lines_of(run.err).size() == 1);
    CHECK(run.err.find(workload.string()) != std::string::npos);
}

TEST_CASE("ordo --help for the program and each subcommand", "[cli]") {
    // Proves every subcommand documents itself and --help succeeds.
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"--help"}, {"run", "--help"}, {"simulate", "--help"}}) {
        const run_result run = ordo_cli(args);
        INFO(args.front() << " " << args.back());
        CHECK(run.exit_status == 0);
        CHECK(run.out.find("Usage") != std::string::npos);
        CHECK(run.err.empty());
    }
    CHECK(ordo_cli({"run", "--help"}).out.find("--workload") != std::string::npos);
    CHECK(ordo_cli({"simulate", "--help"}).out.find("--producers") != std::string::npos);
}

TEST_CASE("ordo: unknown flags are one error line naming the flag", "[cli]") {
    // Proves an unknown flag, of the program or of a subcommand, exits 2 with one line
    // that names it.
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"simulate", "--bogus"},
             {"run", "--workload", (data_dir / "rules.jsonl").string(), "--bogus"}}) {
        const run_result run = ordo_cli(args);
        check_one_error_line(run);
        CHECK(run.err.find("--bogus") != std::string::npos);
    }
    const run_result top = ordo_cli({"--bogus"});
    check_one_error_line(top);
    CHECK(top.err.find("--bogus") != std::string::npos);
}

TEST_CASE("ordo: a missing or mistyped subcommand is named, with the ones there are", "[cli]") {
    // Proves the error line says which word was not a subcommand (or that one is missing),
    // lists the choices at that level, and names the command reached, nested ones included.
    struct row {
        std::vector<std::string> args;
        std::string line;
    };
    for (const row& r : std::vector<row>{
             {{"simulat"}, "ordo: unknown subcommand 'simulat' (simulate, run, state, journal, "
                           "query, follow, drill); see 'ordo --help'"},
             {{}, "ordo: a subcommand is required (simulate, run, state, journal, query, "
                  "follow, drill); see 'ordo --help'"},
             {{"journal"}, "ordo journal: a subcommand is required (verify, dump, stats); "
                           "see 'ordo journal --help'"},
             {{"journal", "check"}, "ordo journal: unknown subcommand 'check' (verify, dump, "
                                    "stats); see 'ordo journal --help'"}}) {
        const run_result run = ordo_cli(r.args);
        check_one_error_line(run);
        CHECK(run.err == r.line + "\n");
    }
    const run_result nested = ordo_cli({"journal", "verify", "--data", "D", "--bogus"});
    check_one_error_line(nested);
    CHECK(nested.err.starts_with("ordo journal verify: "));
    CHECK(nested.err.find("--bogus") != std::string::npos);
    CHECK(nested.err.ends_with("see 'ordo journal verify --help'\n"));
}

TEST_CASE("ordo simulate --json: one object whose outcomes add up to the commands", "[cli]") {
    // Proves the summary's fields and that every command has exactly one outcome, for the
    // own ring, the boost ring and two producers.
    for (const std::vector<std::string>& extra :
         std::vector<std::vector<std::string>>{{},
                                               {"--ring", "boost"},
                                               {"--producers", "2"},
                                               {"--ring", "boost", "--producers", "2"}}) {
        std::string shown;
        for (const std::string& e : extra) shown += e + " ";
        INFO(shown);
        const json summary = simulate_json(extra);
        REQUIRE(summary.is_object());
        CHECK(summary.at("commands") == 20000);
        CHECK(summary.at("seconds").is_number());
        CHECK(summary.at("seconds").get<double>() > 0);
        CHECK(summary.at("commands_per_s").is_number());
        CHECK(summary.at("commands_per_s").get<double>() > 0);
        const json& outcomes = summary.at("outcomes");
        REQUIRE(outcomes.is_object());
        std::uint64_t total = 0;
        for (const auto& [name, count] : outcomes.items()) {
            REQUIRE(count.is_number_unsigned());
            total += count.get<std::uint64_t>();
        }
        CHECK(total == 20000);
        CHECK(outcomes.at("accepted").get<std::uint64_t>() > 0);
        CHECK(outcomes.contains("insufficient_seats"));
    }
}

TEST_CASE("ordo simulate: tables of a gigabyte or more are announced before they are prepared",
          "[cli]") {
    // Proves a start-up that takes seconds says why on stderr (and a small one says nothing).
    const run_result small = ordo_cli({"simulate", "--commands", "1000", "--json"});
    REQUIRE(small.exit_status == 0);
    CHECK(small.err.find("preparing") == std::string::npos);
    const run_result large =
        ordo_cli({"simulate", "--commands", "1000", "--json", "--reservations-max", "12000000"});
    INFO(large.err);
    REQUIRE(large.exit_status == 0);
    CHECK(large.err.starts_with("ordo simulate: preparing 1.5 GB of tables for 12000000 "
                                "reservations\n"));
}

TEST_CASE("ordo simulate: bad values are one error line, exit 2", "[cli]") {
    // Proves option values out of range or contradictory are refused before running.
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"simulate", "--producers", "0"},
                                               {"simulate", "--producers", "17"},
                                               {"simulate", "--ring", "foo"},
                                               {"simulate", "--commands", "5", "--seconds", "1"},
                                               {"simulate", "--commands", "abc"},
                                               {"simulate", "--commands", "0"}}) {
        const run_result run = ordo_cli(args);
        INFO(args[1] << " " << args[2]);
        check_one_error_line(run);
    }
}

TEST_CASE("ordo simulate: the market's shape is checked, and it closes its sales", "[cli]") {
    // Proves the market options refuse what cannot be (one line, exit 2), and that with short
    // sales the load closes them and then names closed ones (conference_closed), while the
    // summary reports its per-second figures and memory.
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"simulate", "--conferences", "0"},
             {"simulate", "--conferences", "4", "--hot-conferences", "5"},
             {"simulate", "--seat-types", "4"},
             {"simulate", "--capacity-min", "500", "--capacity-max", "400"},
             {"simulate", "--capacity-max", "1000001"},
             {"simulate", "--sale-ms", "999"},
             {"simulate", "--pay-ms", "0"}}) {
        const run_result run = ordo_cli(args);
        INFO(args[1] << " " << args[2]);
        check_one_error_line(run);
    }
    // 400 000 commands are 6 simulated seconds: a few sales of one second close.
    const run_result run = ordo_cli({"simulate", "--commands", "400000", "--json", "--sale-ms",
                                 "1000", "--conferences", "4", "--hot-conferences", "2"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    const json summary = json::parse(run.out);
    const json& outcomes = summary.at("outcomes");
    CHECK(outcomes.at("conference_closed").get<std::uint64_t>() > 0);
    CHECK(outcomes.at("insufficient_seats").get<std::uint64_t>() > 0);
    CHECK(summary.at("max_rss_bytes").get<std::uint64_t>() > 0);
    CHECK(summary.at("per_second").is_array());
    CHECK(summary.at("rss_bytes_per_second").size() == summary.at("per_second").size());
    CHECK(summary.at("sequencer_stall_ms_max").get<double>() > 0);
}

TEST_CASE("ordo: a negative or overflowing 64-bit value is refused, not wrapped", "[cli]") {
    // Proves `--seed -1` and friends are one error line naming the option, where CLI11 alone
    // would run with 2^64 - 1; and that the largest value is still taken.
    const temp_dir dir;
    const std::string data = dir.path().string();
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"simulate", "--seed", "-1"},
             {"simulate", "--seed", "18446744073709551616"},
             {"simulate", "--seed", "7x"},
             {"simulate", "--snapshot-every", "-1"},
             {"journal", "dump", "--data", data, "--from", "-1"},
             {"journal", "dump", "--data", data, "--reservation", "-3"}}) {
        const run_result run = ordo_cli(args);
        INFO(args[args.size() - 2] << " " << args.back());
        check_one_error_line(run);
        CHECK(run.err.find(args[args.size() - 2] + ": Value " + args.back() +
                           " is not a whole number") != std::string::npos);
    }
    CHECK(simulate_json({"--seed", "18446744073709551615"}).at("seed") ==
          18446744073709551615ull);
}

TEST_CASE("ordo state: a directory with no journal is the empty state, said on stderr", "[cli]") {
    // Proves a mistyped --data is not silent: the empty state still goes to stdout (exit 0,
    // what recovering nothing gives), with one line on stderr; a real journal gets no line.
    const temp_dir dir;
    const run_result empty = ordo_cli({"state", "--data", dir.path().string()});
    INFO(empty.err);
    CHECK(empty.exit_status == 0);
    CHECK(json::parse(empty.out).at("commands") == 0);
    CHECK(lines_of(empty.err).size() == 1);
    CHECK(empty.err.find("holds no journal") != std::string::npos);
    CHECK(fs::is_empty(dir.path()));  // looking wrote nothing there

    const std::string data = (dir.path() / "data").string();
    simulate_json({"--data", data, "--snapshot-every", "0"});
    const run_result real = ordo_cli({"state", "--data", data});
    CHECK(real.exit_status == 0);
    CHECK(real.err.empty());
    CHECK(json::parse(real.out).at("commands").get<std::uint64_t>() >= 20000);
}

// Starts `ordo <args>` with stdout and stderr into `capture`/out and /err, waits until
// `ready()` holds (when given), then `delay`, sends it `signal_number` and returns its wait
// status. A child that exits before it is ready is not signalled.
int ordo_signalled(const std::vector<std::string>& args, const fs::path& capture,
                   std::chrono::milliseconds delay, int signal_number,
                   const std::function<bool()>& ready = {}) {
    std::vector<std::string> argv_text{ORDO_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child != -1);
    if (child == 0) {
        const int out = ::open((capture / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open((capture / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0) ::_exit(120);
        if (::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0) ::_exit(120);
        ::execv(argv[0], argv.data());
        ::_exit(121);
    }
    int status = 0;
    while (ready && !ready()) {
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        REQUIRE(done != -1);
        if (done == child) return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(delay);
    REQUIRE(::kill(child, signal_number) == 0);
    REQUIRE(::waitpid(child, &status, 0) == child);
    return status;
}

TEST_CASE("ordo simulate: SIGINT or SIGTERM ends the run with its summary", "[cli]") {
    // Proves a long run stopped by a signal answers what it sent, prints the whole summary
    // (interrupted: true, outcomes adding up) and exits 128 + the signal; a journal written
    // so far verifies and recovers every command the summary counts.
    const temp_dir dir;
    for (const int signal_number : {SIGINT, SIGTERM}) {
        INFO("signal " << signal_number);
        const std::string data = (dir.path() / std::to_string(signal_number)).string();
        const int status =
            ordo_signalled({"simulate", "--seconds", "120", "--json", "--reservations-max",
                            "1000000", "--data", data},
                           dir.path(), std::chrono::milliseconds(800), signal_number);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + signal_number);
        const json summary = json::parse(read_text(dir.path() / "out"));
        CHECK(summary.at("interrupted") == true);
        CHECK(summary.at("seconds").get<double>() < 120);
        std::uint64_t total = 0;
        for (const auto& [name, count] : summary.at("outcomes").items()) {
            total += count.get<std::uint64_t>();
        }
        CHECK(total == summary.at("commands").get<std::uint64_t>());
        CHECK(ordo_cli({"journal", "verify", "--data", data}).exit_status == 0);
        const run_result state = ordo_cli({"state", "--data", data});
        REQUIRE(state.exit_status == 0);
        CHECK(json::parse(state.out).at("commands") ==
              total + summary.at("setup_commands").get<std::uint64_t>());
    }
    CHECK(simulate_json({}).at("interrupted") == false);
}

TEST_CASE("ordo run: SIGTERM finishes the commands sent and names how far it got", "[cli]") {
    // Proves an interrupted workload run leaves a consistent directory: the results file is
    // the first N lines in order, the journal recovers exactly N commands, and the exit
    // status (143) and one stderr line say it stopped early. The signal is sent once the
    // first results are in the file, so sequencing has begun (an interruption while the
    // workload is checked is run_input_test's). A run that finished before the signal must
    // be complete instead.
    const temp_dir dir;
    const fs::path workload = dir.path() / "long.jsonl";
    constexpr std::uint64_t reserves = 400'000;
    {
        std::ofstream out(workload);
        out << R"({"op":"create_conference","t":0,"conference":1,"seats":{"1":1000000}})" "\n";
        for (std::uint64_t i = 1; i <= reserves; i++) {
            out << R"({"op":"reserve","t":)" << i / 100 << R"(,"conference":1,"reservation":)"
                << i << R"(,"customer":1,"seats":{"1":1}})" "\n";
        }
    }
    const std::string data = (dir.path() / "data").string();
    const fs::path results = dir.path() / "results.jsonl";
    const auto results_begun = [&] {
        std::error_code error;
        return fs::file_size(results, error) > 0 && !error;
    };
    const int status = ordo_signalled({"run", "--workload", workload.string(), "--data", data,
                                       "--results", results.string()},
                                      dir.path(), std::chrono::milliseconds(0), SIGTERM,
                                      results_begun);
    REQUIRE(WIFEXITED(status));
    CHECK(read_text(dir.path() / "err").find("while checking the workload") == std::string::npos);
    const std::vector<std::string> lines = lines_of(read_text(results));
    std::size_t in_order = 0;
    while (in_order < lines.size() && json::parse(lines[in_order]).at("line") == in_order + 1) {
        in_order++;
    }
    CHECK(in_order == lines.size());
    const run_result state = ordo_cli({"state", "--data", data});
    REQUIRE(state.exit_status == 0);
    CHECK(json::parse(state.out).at("commands") == lines.size());
    INFO("answered " << lines.size());
    if (WEXITSTATUS(status) == 0) {
        CHECK(lines.size() == reserves + 1);
    } else {
        CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
        CHECK(lines.size() <= reserves + 1);
        const std::string err = read_text(dir.path() / "err");
        CHECK(err.find("ordo run: interrupted by SIGTERM: the first " +
                       std::to_string(lines.size()) + " of " + std::to_string(reserves + 1) +
                       " commands were sequenced") != std::string::npos);
    }
}

TEST_CASE("ordo simulate and run: --data means a journal, and a journal needs --data", "[cli]") {
    // Proves --data alone journals with fdatasync (a given directory is never silently left
    // empty), and that contradictory durability flags are one error line, exit 2.
    const temp_dir dir;
    const std::string data = (dir.path() / "data").string();
    const json summary = simulate_json({"--data", data, "--snapshot-every", "0"});
    CHECK(summary.at("durability") == "fdatasync");
    CHECK(simulate_json({}).at("durability") == "none");
    const run_result verify = ordo_cli({"journal", "verify", "--data", data});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_status == 0);
    const json state = json::parse(ordo_cli({"state", "--data", data}).out);
    CHECK(state.is_object());

    const fs::path workload = data_dir / "rules.jsonl";
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"simulate", "--durability", "fdatasync"},
             {"simulate", "--durability", "buffered"},
             {"simulate", "--durability", "none", "--data", data},
             {"run", "--workload", workload.string()},
             {"run", "--durability", "none", "--data", data, "--workload", workload.string()}}) {
        const run_result run = ordo_cli(args);
        INFO(args[0] << " " << args[1] << " " << args[2]);
        check_one_error_line(run);
        CHECK(run.err.find("--data") != std::string::npos);
    }
}
