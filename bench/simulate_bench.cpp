// `ordo simulate` in memory (no journal) with one and two producers, per ring kind: the
// engine's end-to-end rate (generate, ring hop, decide, apply, record, reply).
// Names: simulate_<producers>p_inmemory/<ring>; counter items_per_second = commands/s.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "engine/memory_sink.h"
#include "tools/simulate/simulation.h"

using namespace ordo;

namespace {

void simulate_inmemory(benchmark::State& bench, std::uint32_t producers, engine::ring_kind ring) {
    const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
    const std::uint64_t commands = smoke ? 20'000 : 4'000'000;
    tools::simulate_options options;
    options.commands = commands;
    options.ring = ring;
    options.state = engine::state_options{.conferences_max = 1000,
                                          .reservations_max = static_cast<std::uint32_t>(commands)};
    options.sequencer.producers = producers;
    double seconds = 0;
    std::uint64_t done = 0;
    for (auto _ : bench) {
        bench.PauseTiming();
        auto state = std::make_unique<engine::booking_state>(options.state);
        state->prefault();
        engine::memory_sink sink(1 << 20);
        bench.ResumeTiming();
        const tools::simulate_result result = tools::run_simulation(options, *state, sink);
        if (!result.failure.empty()) bench.SkipWithError(result.failure.c_str());
        seconds += result.seconds;
        done += result.commands;
        bench.SetIterationTime(result.seconds);
    }
    bench.counters["commands_per_s"] = done / seconds;
}

}  // namespace

BENCHMARK_CAPTURE(simulate_inmemory, 1p_own, 1, engine::ring_kind::own)
    ->Name("simulate_1p_inmemory/own")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_inmemory, 1p_boost, 1, engine::ring_kind::boost)
    ->Name("simulate_1p_inmemory/boost")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_inmemory, 2p_own, 2, engine::ring_kind::own)
    ->Name("simulate_2p_inmemory/own")->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
