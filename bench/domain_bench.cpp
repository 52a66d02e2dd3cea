// Decide + apply cost per command on one thread, no rings: the sequencer's floor.
// domain_decide_apply_1t/<reservations_max>: the ticket-sale load of `ordo simulate`.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "engine/process.h"
#include "tools/simulate/load_generator.h"

using namespace ordo;

namespace {

bool smoke() { return std::getenv("ORDO_BENCH_SMOKE") != nullptr; }

void domain_decide_apply_1t(benchmark::State& bench) {
    // The smoke run only checks that the benchmark works: small tables populate fast.
    const auto reservations_max =
        static_cast<std::uint32_t>(smoke() ? std::min<std::int64_t>(bench.range(0), 1 << 16)
                                           : bench.range(0));
    engine::booking_state state(
        engine::state_options{.conferences_max = 1000, .reservations_max = reservations_max});
    state.prefault();
    std::vector<std::byte> body(1 << 20);
    engine::event_buffer buffer;
    buffer.reset(body);
    auto room = [&](std::uint32_t bytes) {
        if (buffer.free_bytes() < bytes) buffer.reset(body);
    };
    tools::load_generator generator(tools::load_options{}, 0, 1);
    engine::command cmd;
    engine::command_slot slots[engine::command_slots_max];
    while (generator.next_setup(cmd)) {
        engine::encode(cmd, slots);
        engine::process_command(state, engine::command_view(slots), buffer, room);
    }
    // Pre-generate so the generator's cost is not measured.
    const std::size_t count = smoke() ? 1 << 12 : 1 << 22;
    std::vector<engine::command_slot> load(count * 2);
    std::vector<std::uint32_t> starts;
    std::size_t used = 0;
    while (starts.size() < count) {
        generator.next(cmd);
        starts.push_back(static_cast<std::uint32_t>(used));
        used += engine::encode(cmd, std::span(load).subspan(used));
    }
    std::size_t next = 0;
    std::uint64_t processed = 0;
    for (auto _ : bench) {
        if (next == count || state.reservations_full()) {
            bench.PauseTiming();
            next = 0;
            bench.ResumeTiming();
        }
        const auto result = engine::process_command(
            state, engine::command_view(load.data() + starts[next++]), buffer, room);
        benchmark::DoNotOptimize(result);
        processed++;
    }
    bench.SetItemsProcessed(static_cast<std::int64_t>(processed));
    bench.counters["live_reservations"] =
        static_cast<double>(state.counts.held + state.counts.confirmed);
}

}  // namespace

// Tables for 4 and 16 million reservations (the load makes ~0.5 per command).
BENCHMARK(domain_decide_apply_1t)->Arg(1 << 22)->Arg(1 << 24);
BENCHMARK_MAIN();
