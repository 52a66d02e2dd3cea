// Recovery speed from the page cache: a journal written by the simulator (buffered, so the
// file pages are cached) is replayed into a fresh state, sized as `ordo simulate` sizes it.
// recovery_full_replay: no snapshot, tables faulted in beside the replay (what a restart
// takes; time = the whole recover() call). recovery_replay_only: the same journal with the
// tables faulted in first, timing only the replay (records_per_s is the replay rate; first
// touch of memory on this machine is a separate, host-bound cost). recovery_snapshot_tail:
// newest snapshot plus the journal after it.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "bench/simulated_journal.h"
#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "engine/snapshotter.h"

using namespace ordo;
namespace fs = std::filesystem;

namespace {

using written_journal = bench::simulated_journal;

// Writes the journal once per process (it takes seconds at full size), with a snapshot at 80%
// of it for the snapshot + tail case.
const written_journal& journal_for_bench() {
    static const written_journal journal = [] {
        const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
        const std::uint64_t commands = smoke ? 20'000 : 10'000'000;
        return bench::write_simulated_journal({.name = "recovery_bench",
                                               .commands = commands,
                                               .snapshot_every_commands = commands * 8 / 10});
    }();
    return journal;
}

void recover_bench(benchmark::State& bench, bool use_snapshots, bool replay_only) {
    const written_journal& w = journal_for_bench();
    std::uint64_t records = 0, bytes = 0;
    double seconds = 0;
    const engine::recovery_options how{
        .use_snapshots = use_snapshots,
        .population = replay_only ? engine::table_population::before_replay
                                  : engine::table_population::concurrent};
    for (auto _ : bench) {
        const auto start = std::chrono::steady_clock::now();
        auto recovered = engine::recover(w.dir, w.tables, how);
        double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (recovered && replay_only) took = recovered->replay_ns / 1e9;
        if (!recovered) {
            bench.SkipWithError(recovered.error().c_str());
            return;
        }
        seconds += took;
        records += recovered->records_replayed;
        bytes += recovered->position.segment_offset;  // approximate: single segment
        bench.SetIterationTime(took);
        bench.counters["snapshot_used"] = recovered->snapshot.has_value() ? 1 : 0;
        bench.counters["records_replayed"] = static_cast<double>(recovered->records_replayed);
    }
    bench.counters["records_per_s"] = records / seconds;
    bench.counters["replay_gb_per_s"] = bytes / seconds / 1e9;
}

}  // namespace

BENCHMARK_CAPTURE(recover_bench, full, false, false)
    ->Name("recovery_full_replay")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(recover_bench, replay_only, false, true)
    ->Name("recovery_replay_only")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(recover_bench, snapshot_tail, true, false)
    ->Name("recovery_snapshot_tail")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    fs::remove_all(journal_for_bench().dir);
    return 0;
}
