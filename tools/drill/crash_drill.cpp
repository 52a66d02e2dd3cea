// ordo drill crash: `ordo run` under load killed with SIGKILL at random instants, then
// recovered by `ordo state`: every acknowledged command (every line of the results file)
// is in the recovered history with the reference's outcome, and the recovered state is
// exactly the independent replay of the first K commands (K = recovered commands >=
// acknowledged). Each round continues the same history; a history with less than a round's
// worth of workload left starts a new directory.
//
// Where the kills land: sequencing a few thousand commands takes ordo a few ms, less than a
// process start, so a kill at a wall-clock instant mostly lands after the end (in the close,
// the last manifest write or the exit). The drill therefore paces the child: it runs in
// slices of 10-150 microseconds, stopped (SIGSTOP) in between, and after each slice
// the drill looks at its results file; the SIGKILL goes to the stopped child, so it lands at
// the instant the last slice ended. Most rounds kill once the results file holds a random
// share of the first half of the round's results (mid-stream: batches being filled,
// written and synced, replies in flight); a tenth kill after a random number of slices from
// the start (start-up, recovery, the workload's check). Each kill is then classified by what
// the journal held: nothing of the round's workload (start-up), part of it (mid-stream), or
// all of it (after the end), and the report counts each.
#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "tools/drill/child_process.h"
#include "tools/drill/clean_run.h"
#include "tools/drill/expected_state.h"
#include "tools/drill/process_drills.h"
#include "tools/drill/seeded_random.h"
#include "tools/drill/workload_file.h"

namespace ordo::tools::drill {

namespace {

constexpr std::uint64_t crash_rounds_default = 100;
// ordo sequences millions of commands a second: a round needs tens of thousands for its
// sequencing to last many slices. The expected states are computed as the history is
// recovered (expected_cursor), not kept for every prefix.
constexpr std::uint64_t history_commands = 100'000;
// A history with fewer commands left starts again: a short remaining workload would mostly
// be finished within one slice.
constexpr std::uint64_t round_commands_min = 20'000;
constexpr std::uint64_t result_line_bytes = 40;  // about: {"line":N,"outcome":"accepted"}
constexpr std::uint64_t slice_us_min = 10;
constexpr std::uint64_t slice_us_max = 150;
constexpr std::uint64_t start_up_slices_max = 400;
constexpr std::uint32_t start_up_kill_percent = 10;
constexpr auto round_seconds_max = std::chrono::seconds(60);

// Runs the child in slices and kills it while it is stopped: once its results file holds
// `target` bytes or more, or (a start-up kill) after a random number of slices. Returns
// whether the kill landed (false: the child had exited by itself).
bool paced_kill(pid_t child, const std::filesystem::path& results, std::uint64_t remaining,
                seeded_random& random) {
    const bool start_up = random.chance(start_up_kill_percent);
    const std::uint64_t slices_before_kill = random.below(start_up_slices_max);
    // In the first half of the results: the journal runs ahead of them (batches in flight,
    // replies not yet taken), so a later target would often be seen only after the end.
    const std::uint64_t target = random.below(remaining * result_line_bytes / 2 + 1);
    const auto until = std::chrono::steady_clock::now() + round_seconds_max;
    if (!pause_process(child)) return kill_process(child);
    for (std::uint64_t slices = 0; std::chrono::steady_clock::now() < until; slices++) {
        if (start_up ? slices >= slices_before_kill : size_or_zero(results) >= target) break;
        if (!run_slice(child, random.between(slice_us_min, slice_us_max))) break;
    }
    return kill_process(child);
}

// Where a kill landed, judged by what the journal held afterwards.
const char* landing(std::uint64_t done, std::uint64_t recovered, std::uint64_t end) {
    if (recovered == done) return "kill -9 in start-up (none of its commands durable)";
    if (recovered == end) return "kill -9 after the end (all its commands durable)";
    return "kill -9 mid-stream";
}

}  // namespace

drill_report run_crash_drill(const drill_options& options) {
    drill_report report{.kind = "crash", .seed = options.seed};
    report.notes.push_back(
        "detected = after a kill -9, ordo state recovered every acknowledged "
        "command and exactly the replayed state");
    const std::uint64_t rounds = options.rounds > 0 ? options.rounds : crash_rounds_default;
    const std::filesystem::path dir = options.work_dir / "crash";
    std::filesystem::create_directories(dir);
    seeded_random random(options.seed);
    progress_ticker progress(options);
    std::uint64_t history_index = 0;
    std::vector<engine::command> commands;
    std::optional<expected_cursor> expected;
    std::uint64_t done = 0;  // commands in the recovered history
    std::uint64_t completed_runs = 0;
    std::uint64_t replies_in_flight = 0;  // kills after which durable commands had no result
    const auto reproduce =
        fmt::format("ordo drill crash --seed {} --rounds {}", options.seed, rounds);
    for (std::uint64_t round = 0; round < rounds; round++) {
        const std::filesystem::path data = dir / "data";
        if (commands.size() - done < round_commands_min) {
            std::filesystem::remove_all(data);
            // Made before the first run: a kill before ordo made it must still recover.
            std::filesystem::create_directories(data);
            commands = generate_commands(options.seed * 1000 + history_index++, history_commands);
            expected.emplace(commands);
            done = 0;
        }
        const std::filesystem::path workload = dir / "workload.jsonl";
        const std::filesystem::path results = dir / "results.jsonl";
        write_workload(workload, std::span(commands).subspan(done));
        std::filesystem::remove(results);
        const std::uint64_t snapshot_every = random.between(1000, 10'000);
        const pid_t child =
            start_process(options.ordo_binary,
                          drill_run_args(data, workload, results, snapshot_every), dir / "run.log");
        const bool killed = paced_kill(child, results, commands.size() - done, random);
        report.rounds++;
        if (!killed) completed_runs++;  // it finished first: a clean exit is checked the same way
        const auto acknowledged = read_results(results);
        if (!acknowledged) {
            report.fail(round, "the results file is not a list of results in order", reproduce);
            break;
        }
        report.acknowledged += acknowledged->size();
        const process_result state =
            run_process(options.ordo_binary, {"state", "--data", data.string()}, dir / "state");
        report.recovery_ns.push_back(state.elapsed_ns);
        if (state.exit_status != 0) {
            report.fail(round, "ordo state failed after the kill: " + state.err, reproduce);
            break;
        }
        const auto recovered = nlohmann::json::parse(state.out, nullptr, false);
        const std::uint64_t count =
            recovered.is_discarded() ? 0 : recovered.value("commands", std::uint64_t{0});
        const std::uint64_t must_have = done + acknowledged->size();
        if (count < must_have) {
            report.acknowledged_lost += must_have - count;
            report.fail(
                round, fmt::format("recovered {} commands, {} were acknowledged", count, must_have),
                reproduce);
            break;
        }
        if (count > commands.size()) {
            report.fail(round, fmt::format("recovered {} commands of {}", count, commands.size()),
                        reproduce);
            break;
        }
        // The outcomes acknowledged this round, then the state after exactly `count`.
        if (auto advanced = expected->advance_to(count); !advanced) {
            report.fail(round, advanced.error(), reproduce);
            break;
        }
        for (std::size_t i = 0; i < acknowledged->size(); i++) {
            const engine::outcome want = expected->outcomes()[done + i];
            if ((*acknowledged)[i] != want) {
                report.fail(round,
                            fmt::format("command {} acknowledged as {}, expected {}", done + i + 1,
                                        engine::outcome_name((*acknowledged)[i]),
                                        engine::outcome_name(want)),
                            reproduce);
            }
        }
        const auto want_state = expected->state_json();
        if (!want_state || state.out != *want_state + "\n") {
            report.fail(
                round,
                fmt::format("the state recovered after {} commands differs from "
                            "the replay:\n  recovered: {}  expected:  {}",
                            count, state.out, want_state ? *want_state : want_state.error()),
                reproduce);
            break;
        }
        if (killed) {
            report.injected[landing(done, count, commands.size())]++;
            report.detected++;
            if (count > must_have) replies_in_flight++;
        }
        done = count;
        progress.tick(round + 1, rounds);
    }
    report.notes.push_back(
        fmt::format("{} runs finished before their kill (checked alike); {} "
                    "histories of {} commands",
                    completed_runs, history_index, history_commands));
    report.notes.push_back(fmt::format(
        "the child runs in slices of {}-{} us and is killed while stopped (mostly once its "
        "results file holds a random share of the round); {} kills left durable commands "
        "whose results were not yet written (replies in flight)",
        slice_us_min, slice_us_max, replies_in_flight));
    return report;
}

}  // namespace ordo::tools::drill
