// An idle engine must not burn a core: after a burst of commands, the sequencer and the
// producer wait (spin, then yield, then park/sleep). Reports the CPU the whole process used
// over one idle second as a percentage of one core (target: under 5%).
// Name: sequencer_idle_1p/cpu_percent.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "engine/memory_sink.h"
#include "base/ring/spsc_ring.h"
#include "engine/sequencer.h"

using namespace ordo;

namespace {

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void sequencer_idle_1p(benchmark::State& bench) {
    const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
    const auto idle = std::chrono::milliseconds(smoke ? 50 : 1000);
    double cpu_percent = 0;
    for (auto _ : bench) {
        engine::booking_state state(engine::state_options{.conferences_max = 16,
                                                          .reservations_max = 1 << 16});
        engine::memory_sink sink(1 << 16);
        engine::sequencer<base::spsc_ring> seq(state, sink, engine::sequencer_options{});
        seq.start();
        auto& producer = seq.producer_at(0);
        const engine::seat_item seats[] = {{.quantity = 100, .seat_type = 1, .reserved_zero = 0}};
        producer.submit(engine::make_create_conference(0, 1, seats), [](engine::reply) {});
        for (std::uint64_t r = 1; r <= 1000; r++) {
            producer.submit(engine::make_reserve(r, 1, r, 1, seats), [](engine::reply) {});
        }
        producer.drain([](engine::reply) {});
        // Let the backoff reach its parked phase, then measure a quiet stretch.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const double before = process_cpu_seconds();
        const auto start = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(idle);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        cpu_percent = 100.0 * (process_cpu_seconds() - before) / wall;
        seq.stop();
    }
    bench.counters["cpu_percent"] = cpu_percent;
}

}  // namespace

BENCHMARK(sequencer_idle_1p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
