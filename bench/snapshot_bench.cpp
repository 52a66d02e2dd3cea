// What a snapshot costs the sequencer, and what fork() would have cost it instead.
// snapshot_start_pause/reservations:N: the sequencer's whole pause to start a snapshot of a
//   state holding N reservations (note the instant, attach the copy-on-write guard): it must
//   not grow with N. Counter pause_us.
// snapshot_guarded_write/reservations:N: a reservation record written while a snapshot is
//   being streamed (chunks not streamed yet: the sequencer copies each 4 KiB once), per
//   write; and after every chunk is settled. Counters copy_ns_per_write, settled_ns_per_write.
// fork_pause/table_mib:M/huge:H: the alternative not taken. fork() of this process with M MiB
//   of populated tables (H: transparent huge pages asked for), then one write in each of 2048
//   random pages while the child is alive (copy-on-write faults on the writing thread).
//   Counters fork_ms (wall), fork_cpu_ms (the calling thread's CPU time), cow_us_per_write.
#include <benchmark/benchmark.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include "base/clock.h"
#include "engine/memory_sink.h"
#include "engine/snapshot_guard.h"
#include "engine/state_codec.h"
#include "tools/simulate/simulation.h"

using namespace ordo;

namespace {

bool smoke() { return std::getenv("ORDO_BENCH_SMOKE") != nullptr; }

std::uint64_t thread_cpu_ns() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000ull +
           static_cast<std::uint64_t>(t.tv_nsec);
}

// A state filled by the simulator's load until it holds `reservations` reservations.
std::unique_ptr<engine::booking_state> filled_state(std::uint32_t reservations) {
    const engine::state_options tables{.conferences_max = 4096,
                                       .reservations_max = reservations + (1u << 16)};
    auto state = std::make_unique<engine::booking_state>(tables);
    state->prefault();
    engine::memory_sink sink(1 << 20);
    tools::simulate_options options;
    options.state = tables;
    // Capacity never runs out: every booking the model makes is accepted.
    options.load = tools::load_options{.conferences = 64, .capacity_min = 1'000'000,
                                       .capacity_max = 1'000'000, .sale_ms = 0};
    options.commands = std::uint64_t{reservations} * 2;
    tools::run_simulation(options, *state, sink);
    return state;
}

std::uint32_t reservations_arg(const benchmark::State& bench) {
    return static_cast<std::uint32_t>(smoke() ? 1 << 14 : bench.range(0));
}

void snapshot_start_pause(benchmark::State& bench) {
    auto state = filled_state(reservations_arg(bench));
    engine::snapshot_guard guard(
        engine::booking_state::snapshot_table_capacity_bytes(state->options()));
    std::uint64_t total_ns = 0, count = 0;
    for (auto _ : bench) {
        const std::uint64_t start_ns = base::monotonic_ns();
        const engine::state_parts parts = engine::describe_state(*state);
        guard.start(parts.tables);
        state->set_snapshot_guard(&guard);
        total_ns += base::monotonic_ns() - start_ns;
        count++;
        bench.PauseTiming();
        state->set_snapshot_guard(nullptr);
        guard.copy_out([](std::span<const std::byte>) { return false; });  // settle it
        bench.ResumeTiming();
    }
    bench.counters["pause_us"] = static_cast<double>(total_ns) / 1e3 / static_cast<double>(count);
    bench.counters["state_mb"] = static_cast<double>(engine::describe_state(*state).bytes()) / 1e6;
}

void snapshot_guarded_write(benchmark::State& bench) {
    auto state = filled_state(reservations_arg(bench));
    engine::snapshot_guard guard(
        engine::booking_state::snapshot_table_capacity_bytes(state->options()));
    const std::uint32_t records = state->reservation_count();
    std::uint64_t copy_ns = 0, settled_ns = 0, writes = 0;
    std::uint64_t random = 88172645463325252ull;
    for (auto _ : bench) {
        guard.start(engine::describe_state(*state).tables);
        state->set_snapshot_guard(&guard);
        constexpr std::uint32_t batch = 4096;
        std::uint32_t picks[batch];
        for (std::uint32_t& p : picks) {
            random ^= random << 13, random ^= random >> 7, random ^= random << 17;
            p = static_cast<std::uint32_t>(random % records);
        }
        std::uint64_t start_ns = base::monotonic_ns();
        for (const std::uint32_t p : picks) state->reservation(p).customer += 1;
        copy_ns += base::monotonic_ns() - start_ns;
        guard.copy_out([](std::span<const std::byte>) { return false; });  // settles the rest
        start_ns = base::monotonic_ns();
        for (const std::uint32_t p : picks) state->reservation(p).customer -= 1;
        settled_ns += base::monotonic_ns() - start_ns;
        state->set_snapshot_guard(nullptr);
        writes += batch;
    }
    bench.counters["copy_ns_per_write"] =
        static_cast<double>(copy_ns) / static_cast<double>(writes);
    bench.counters["settled_ns_per_write"] =
        static_cast<double>(settled_ns) / static_cast<double>(writes);
}

void fork_pause(benchmark::State& bench) {
    const std::uint64_t bytes = std::uint64_t(smoke() ? 8 : bench.range(0)) << 20;
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) {
        bench.SkipWithError("mmap failed");
        return;
    }
    madvise(memory, bytes, bench.range(1) != 0 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    constexpr int madv_populate_write = 23;
    if (madvise(memory, bytes, madv_populate_write) != 0) std::memset(memory, 1, bytes);
    auto* table = static_cast<volatile unsigned char*>(memory);
    std::uint64_t wall_ns = 0, cpu_ns = 0, cow_ns = 0, writes = 0, forks = 0;
    std::uint64_t random = 88172645463325252ull;
    for (auto _ : bench) {
        const std::uint64_t start_ns = base::monotonic_ns(), start_cpu = thread_cpu_ns();
        const pid_t child = fork();
        if (child == 0) {
            usleep(200'000);  // alive while the parent writes: its pages stay shared
            _exit(0);
        }
        wall_ns += base::monotonic_ns() - start_ns;
        cpu_ns += thread_cpu_ns() - start_cpu;
        forks++;
        const std::uint64_t writes_start_ns = base::monotonic_ns();
        for (int i = 0; i < 2048; i++) {
            random ^= random << 13, random ^= random >> 7, random ^= random << 17;
            const std::uint64_t at = (random % (bytes / 4096)) * 4096;
            table[at] = static_cast<unsigned char>(table[at] + 1);
        }
        cow_ns += base::monotonic_ns() - writes_start_ns;
        writes += 2048;
        int status = 0;
        waitpid(child, &status, 0);
    }
    munmap(memory, bytes);
    bench.counters["fork_ms"] = static_cast<double>(wall_ns) / 1e6 / static_cast<double>(forks);
    bench.counters["fork_cpu_ms"] = static_cast<double>(cpu_ns) / 1e6 / static_cast<double>(forks);
    bench.counters["cow_us_per_write"] =
        static_cast<double>(cow_ns) / 1e3 / static_cast<double>(writes);
}

}  // namespace

BENCHMARK(snapshot_start_pause)->ArgName("reservations")->Arg(1 << 18)->Arg(1 << 22)
    ->Arg(1 << 24)->Unit(benchmark::kMicrosecond);
BENCHMARK(snapshot_guarded_write)->ArgName("reservations")->Arg(1 << 22)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(fork_pause)->ArgNames({"table_mib", "huge"})->Args({64, 1})->Args({1024, 1})
    ->Args({1024, 0})->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
