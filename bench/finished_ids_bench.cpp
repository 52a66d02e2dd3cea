// Memory per finished reservation (engine/finished_ids.h), and the cost of recording and
// finding one, for the two ways clients issue ids:
// finished_ids_increasing_1t: one counter (1, 2, 3...), every id finishing in order;
// finished_ids_runs_1t: 16 clients each counting up from its own base (2^40 apart),
//   interleaved, one in three of their ids never used (a rejected booking);
// finished_ids_random_1t: random 64-bit ids.
// Counters: bytes_per_id (what the structure grew by, per finished id: pages and their keys,
// scattered entries and their share of the index), fixed_bytes (the page directory, touched
// once at start-up), pages, scattered. Items are inserts; find_ns is one lookup of a
// finished id, measured after the inserts.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "engine/finished_ids.h"

using namespace ordo;

namespace {

bool smoke() { return std::getenv("ORDO_BENCH_SMOKE") != nullptr; }

std::uint64_t mix(std::uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

engine::finished_status status_of(std::uint64_t i) {
    return static_cast<engine::finished_status>(1 + i % 3);
}

template <class IdOf>
void run(benchmark::State& bench, std::uint64_t count, std::uint32_t scattered_max,
         const IdOf& id_of) {
    std::vector<std::uint64_t> ids;
    ids.reserve(count);
    for (std::uint64_t i = 0; ids.size() < count; i++) {
        if (const std::uint64_t id = id_of(i)) ids.push_back(id);
    }
    std::unique_ptr<engine::finished_ids> finished;
    double find_ns = 0;
    for (auto _ : bench) {
        bench.PauseTiming();
        finished = std::make_unique<engine::finished_ids>(scattered_max);
        finished->prefault();
        bench.ResumeTiming();
        for (std::uint64_t i = 0; i < count; i++) finished->insert(ids[i], status_of(i));
        bench.PauseTiming();
        const auto start = std::chrono::steady_clock::now();
        std::uint64_t wrong = 0;
        for (std::uint64_t i = 0; i < count; i++) wrong += finished->find(ids[i]) != status_of(i);
        const auto end = std::chrono::steady_clock::now();
        if (wrong != 0) bench.SkipWithError("a finished id was not found as it finished");
        find_ns = std::chrono::duration<double, std::nano>(end - start).count() /
                  static_cast<double>(count);
        bench.ResumeTiming();
    }
    bench.SetItemsProcessed(static_cast<std::int64_t>(bench.iterations() * count));
    bench.counters["bytes_per_id"] =
        static_cast<double>(finished->grown_bytes()) / static_cast<double>(count);
    bench.counters["fixed_bytes"] = static_cast<double>(engine::finished_ids::fixed_bytes());
    bench.counters["pages"] = finished->page_count();
    bench.counters["scattered"] = static_cast<double>(finished->scattered_live());
    bench.counters["find_ns"] = find_ns;
}

void finished_ids_increasing_1t(benchmark::State& bench) {
    const std::uint64_t count = smoke() ? 1 << 16 : std::uint64_t{1} << 26;
    run(bench, count, 1 << 21, [](std::uint64_t i) { return i + 1; });
}

void finished_ids_runs_1t(benchmark::State& bench) {
    const std::uint64_t count = smoke() ? 1 << 16 : std::uint64_t{1} << 26;
    run(bench, count, 1 << 21, [](std::uint64_t i) -> std::uint64_t {
        const std::uint64_t client = i % 16;
        const std::uint64_t n = i / 16;
        if (mix(i) % 3 == 0) return 0;  // never used: a rejected booking
        return (client << 40) + n + 1;
    });
}

void finished_ids_random_1t(benchmark::State& bench) {
    const std::uint64_t count = smoke() ? 1 << 14 : std::uint64_t{1} << 21;
    run(bench, count, 1 << 22, [](std::uint64_t i) { return mix(i) | 1; });
}

}  // namespace

BENCHMARK(finished_ids_increasing_1t)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(finished_ids_runs_1t)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(finished_ids_random_1t)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_MAIN();
