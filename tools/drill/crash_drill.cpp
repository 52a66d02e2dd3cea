// ordo drill crash: `ordo run` under load killed with SIGKILL at random instants, then
// recovered by `ordo state`: every acknowledged command (every line of the results file)
// is in the recovered history with the reference's outcome, and the recovered state is
// exactly the independent replay of the first K commands (K = recovered commands >=
// acknowledged). Each round continues the same history; a history whose workload is used
// up starts a new directory.
#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/drill/child_process.h"
#include "tools/drill/clean_run.h"
#include "tools/drill/expected_state.h"
#include "tools/drill/process_drills.h"
#include "tools/drill/seeded_random.h"
#include "tools/drill/workload_file.h"

namespace ordo::tools::drill {

namespace {

constexpr std::uint64_t crash_rounds_default = 100;
constexpr std::uint64_t history_commands = 4000;
constexpr std::uint64_t result_line_bytes = 30;  // about: {"line":N,"outcome":"accepted"}

// Kills the child at a random instant: mostly once its results file holds a random share
// of what is still to come (mid-sequencing), sometimes a random few ms after its start
// (start-up, recovery, the first batches). Returns whether the kill landed.
bool kill_at_random_instant(pid_t child, const std::filesystem::path& results,
                            std::uint64_t remaining, seeded_random& random) {
    using clock = std::chrono::steady_clock;
    if (random.chance(25)) {
        std::this_thread::sleep_for(std::chrono::microseconds(random.below(30'000)));
        return kill_process(child);
    }
    const std::uint64_t target = random.below(remaining * result_line_bytes + 1);
    const auto until = clock::now() + std::chrono::seconds(20);
    while (clock::now() < until && !has_exited(child)) {
        if (size_or_zero(results) >= target) break;
        std::this_thread::yield();
    }
    return kill_process(child);
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
    expected_history expected;
    std::uint64_t done = 0;  // commands in the recovered history
    std::uint64_t completed_runs = 0;
    const auto reproduce =
        fmt::format("ordo drill crash --seed {} --rounds {}", options.seed, rounds);
    for (std::uint64_t round = 0; round < rounds; round++) {
        const std::filesystem::path data = dir / "data";
        if (commands.empty() || done == commands.size()) {
            std::filesystem::remove_all(data);
            // Made before the first run: a kill before ordo made it must still recover.
            std::filesystem::create_directories(data);
            commands = generate_commands(options.seed * 1000 + history_index++, history_commands);
            auto history = expect_history(commands);
            if (!history) {
                report.fail(round, history.error(), reproduce);
                break;
            }
            expected = std::move(*history);
            done = 0;
        }
        const std::filesystem::path workload = dir / "workload.jsonl";
        const std::filesystem::path results = dir / "results.jsonl";
        write_workload(workload, std::span(commands).subspan(done));
        std::filesystem::remove(results);
        const std::uint64_t snapshot_every = random.between(300, 1500);
        const pid_t child =
            start_process(options.ordo_binary,
                          drill_run_args(data, workload, results, snapshot_every), dir / "run.log");
        const bool killed = kill_at_random_instant(child, results, commands.size() - done, random);
        report.rounds++;
        if (killed) {
            report.injected["kill -9"]++;
        } else {
            completed_runs++;  // it finished first: a clean exit is checked the same way
        }
        const auto acknowledged = read_results(results);
        if (!acknowledged) {
            report.fail(round, "the results file is not a list of results in order", reproduce);
            break;
        }
        for (std::size_t i = 0; i < acknowledged->size(); i++) {
            if ((*acknowledged)[i] != expected.outcomes[done + i]) {
                report.fail(round,
                            fmt::format("command {} acknowledged as {}, expected {}", done + i + 1,
                                        engine::outcome_name((*acknowledged)[i]),
                                        engine::outcome_name(expected.outcomes[done + i])),
                            reproduce);
            }
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
        if (count > commands.size() || state.out != expected.states[count] + "\n") {
            report.fail(round,
                        fmt::format("the state recovered after {} commands differs from "
                                    "the replay:\n  recovered: {}  expected:  {}",
                                    count, state.out,
                                    count <= commands.size() ? expected.states[count] : ""),
                        reproduce);
            break;
        }
        if (killed) report.detected++;
        done = count;
        progress.tick(round + 1, rounds);
    }
    report.notes.push_back(
        fmt::format("{} runs finished before their kill (checked alike); {} "
                    "histories of {} commands",
                    completed_runs, history_index, history_commands));
    return report;
}

}  // namespace ordo::tools::drill
