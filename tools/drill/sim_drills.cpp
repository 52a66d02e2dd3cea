#include "tools/drill/sim_drills.h"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "tools/drill/deterministic_sim.h"

namespace ordo::tools::drill {

progress_ticker::progress_ticker(const drill_options& options)
    : options_(options), last_ns_(base::monotonic_ns()) {}

void progress_ticker::tick(std::uint64_t done, std::uint64_t rounds) {
    const std::uint64_t now_ns = base::monotonic_ns();
    if (!options_.on_progress || now_ns - last_ns_ < 1'000'000'000) return;
    last_ns_ = now_ns;
    options_.on_progress(done, rounds);
}

namespace {

constexpr std::uint32_t bit(epoch_end end) {
    return 1u << static_cast<std::uint32_t>(end);
}

struct sim_drill_setup {
    const char* name;
    std::uint32_t ends;
    std::uint64_t rounds_default;
};

sim_drill_setup setup_of(sim_drill_kind kind) {
    const std::uint32_t clean = bit(epoch_end::close) | bit(epoch_end::kill);
    switch (kind) {
        case sim_drill_kind::sim:
            return {"sim", (1u << epoch_end_count) - 1, 100};
        case sim_drill_kind::full:
            return {"full", clean | bit(epoch_end::write_enospc) | bit(epoch_end::sync_enospc), 40};
        case sim_drill_kind::io_error:
            return {"io-error",
                    clean | bit(epoch_end::write_eio) | bit(epoch_end::sync_eio) |
                        bit(epoch_end::short_write),
                    40};
    }
    return {"?", 0, 0};
}

}  // namespace

drill_report run_sim_drill(sim_drill_kind kind, const drill_options& options) {
    const sim_drill_setup setup = setup_of(kind);
    drill_report report{.kind = setup.name, .seed = options.seed};
    const std::uint64_t rounds = options.rounds > 0 ? options.rounds : setup.rounds_default;
    report.notes.push_back(
        "one round = one seed: the engine on the simulated disk, each epoch ended by a clean "
        "close, a kill or a fault, then a crash (unsynced bytes and names dropped, sometimes "
        "a torn last write); every recovery checked against the reference model");
    report.notes.push_back(
        "detected = the engine stopped acknowledging and reported the "
        "failure; the recovery after it must keep every acknowledged command");
    // Seeds on `jobs` threads, each with its own scratch directory; the report adds them
    // up in seed order and stops at the first failing one.
    std::vector<sim_result> results(rounds);
    std::atomic<std::uint64_t> next{0};
    std::atomic<std::uint64_t> finished{0};
    std::atomic<bool> failed{false};
    std::mutex progress_mutex;
    progress_ticker progress(options);
    auto work = [&](std::uint32_t job) {
        const std::filesystem::path scratch = options.work_dir / fmt::format("recovered-{}", job);
        while (!failed.load(std::memory_order_acquire)) {
            const std::uint64_t round = next.fetch_add(1, std::memory_order_relaxed);
            if (round >= rounds) break;
            results[round] = run_sim(
                {.seed = options.seed + round, .ends_allowed = setup.ends, .scratch_dir = scratch});
            const sim_result& r = results[round];
            if (!r.ok || r.faults_detected != r.faults_injected) {
                failed.store(true, std::memory_order_release);
            }
            const std::uint64_t done = finished.fetch_add(1, std::memory_order_relaxed) + 1;
            std::lock_guard lock(progress_mutex);
            progress.tick(done, rounds);
        }
    };
    std::vector<std::thread> workers;
    const std::uint32_t jobs = std::max<std::uint32_t>(1, options.jobs);
    for (std::uint32_t job = 1; job < jobs; job++) workers.emplace_back(work, job);
    work(0);
    for (std::thread& worker : workers) worker.join();
    std::uint64_t torn_writes = 0;
    std::uint64_t epochs = 0;
    std::uint64_t snapshots_used = 0;
    for (std::uint64_t round = 0; round < rounds; round++) {
        const sim_result& result = results[round];
        if (result.epochs == 0) break;  // not run: a failure stopped the workers first
        const std::uint64_t seed = options.seed + round;
        report.rounds++;
        for (std::uint32_t e = 0; e < epoch_end_count; e++) {
            if (is_fault(static_cast<epoch_end>(e)) && result.ends[e] > 0) {
                report.injected[epoch_end_name(static_cast<epoch_end>(e))] += result.ends[e];
            }
        }
        report.detected += result.faults_detected;
        report.acknowledged += result.commands_acknowledged;
        report.acknowledged_lost += result.acknowledged_lost;
        report.recovery_ns.insert(report.recovery_ns.end(), result.recovery_ns.begin(),
                                  result.recovery_ns.end());
        torn_writes += result.torn_writes;
        epochs += result.epochs;
        snapshots_used += result.snapshots_used;
        if (!result.ok || result.faults_detected != result.faults_injected) {
            report.fail(round, result.ok ? "a fault went unreported" : result.failure,
                        fmt::format("ordo drill {} --seed {} --rounds 1", setup.name, seed));
            break;
        }
    }
    report.notes.push_back(
        fmt::format("{} epochs (process lives); {} crashes tore the last "
                    "unsynced write; {} recoveries started from a snapshot",
                    epochs, torn_writes, snapshots_used));
    return report;
}

}  // namespace ordo::tools::drill
