// `ordo simulate` in memory (no journal) with one and two producers, per ring kind: the
// engine's end-to-end rate (generate, ring hop, decide, apply, record, reply); and the same
// load durable (journal with io_uring group commit and fdatasync, O_DIRECT), so the ratio
// durable / in-memory comes from one run.
// Names: simulate_<producers>p_<inmemory|durable>/<ring>; counter commands_per_s.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include <unistd.h>

#include <filesystem>

#include "engine/journal_sink.h"
#include "engine/memory_sink.h"
#include "engine/recovery.h"
#include "tools/simulate/simulation.h"

using namespace ordo;

namespace {

std::unique_ptr<engine::batch_sink> make_sink(bool durable, const std::filesystem::path& dir,
                                              int sequencer_cpu) {
    if (!durable) return std::make_unique<engine::memory_sink>(1 << 20);
    std::filesystem::remove_all(dir);
    auto writer = journal::writer::open(
        journal::writer_options{.dir = engine::journal_dir(dir),
                                .segment_bytes = 1ull << 30,
                                .keep_off_cpu = sequencer_cpu},
        journal::journal_position{});
    if (!writer) return nullptr;
    return std::make_unique<engine::journal_sink>(std::move(*writer));
}

void simulate_run(benchmark::State& bench, std::uint32_t producers, base::ring_kind ring,
                  bool durable) {
    const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
    const std::uint64_t commands = smoke ? 20'000 : 4'000'000;
    tools::simulate_options options;
    options.commands = commands;
    options.ring = ring;
    options.state = engine::state_options{.conferences_max = 1000,
                                          .reservations_max = static_cast<std::uint32_t>(commands)};
    options.sequencer.producers = producers;
    options.sequencer.pin_cpu = tools::pinned_sequencer_cpu(producers);  // as ordo simulate
    double seconds = 0;
    std::uint64_t done = 0;
    for (auto _ : bench) {
        bench.PauseTiming();
        auto state = std::make_unique<engine::booking_state>(options.state);
        state->prefault();
        const auto dir = std::filesystem::temp_directory_path() /
                         ("ordo_simulate_bench_" + std::to_string(getpid()));
        auto sink = make_sink(durable, dir, options.sequencer.pin_cpu);
        if (!sink) {
            bench.SkipWithError("cannot open the journal");
            return;
        }
        bench.ResumeTiming();
        const tools::simulate_result result = tools::run_simulation(options, *state, *sink);
        bench.PauseTiming();
        sink.reset();
        std::filesystem::remove_all(dir);
        bench.ResumeTiming();
        if (!result.failure.empty()) bench.SkipWithError(result.failure.c_str());
        seconds += result.seconds;
        done += result.commands;
        bench.SetIterationTime(result.seconds);
    }
    bench.counters["commands_per_s"] = done / seconds;
}

}  // namespace

BENCHMARK_CAPTURE(simulate_run, 1p_own, 1, base::ring_kind::own, false)
    ->Name("simulate_1p_inmemory/own")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_run, 1p_boost, 1, base::ring_kind::boost, false)
    ->Name("simulate_1p_inmemory/boost")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_run, 2p_own, 2, base::ring_kind::own, false)
    ->Name("simulate_2p_inmemory/own")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_run, 1p_durable_own, 1, base::ring_kind::own, true)
    ->Name("simulate_1p_durable/own")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
