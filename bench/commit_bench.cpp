// Commit latency as a client of the engine sees it: from the moment a command is due to be
// sent to the moment its reply arrives, which is after the batch holding it is durable
// (io_uring, RWF_DSYNC, O_DIRECT, as `ordo run`). Open loop: one producer sends the
// simulate load at a fixed rate, so a slow commit delays the commands behind it and their
// wait counts (latency is measured from each command's due time, not from when it was
// finally sent: no coordinated omission). Swept over the rate and the flush delay, the
// sequencer's bound on how long a record may wait for its batch while the disk keeps up.
// Names: commit_paced/rate:<commands/s>/flush_delay_us:<us>. Counters: latency_us_p50/p99/
// p999/max, achieved commands_per_s, batches and records_per_batch.
// ORDO_BENCH_SMOKE=1 shrinks each run to a few thousand commands (the CTest smoke run).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/latency_samples.h"
#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "base/ring/spsc_ring.h"
#include "engine/sequencer.h"
#include "base/assert.h"
#include "base/clock.h"
#include "tools/simulate/load_generator.h"

using namespace ordo;

namespace {

using bench::smoke;

void commit_paced(benchmark::State& bench) {
    const auto rate_per_s = static_cast<std::uint64_t>(bench.range(0));
    const auto flush_delay_us = static_cast<std::uint32_t>(bench.range(1));
    // Half a second of load, at least 20 000 commands (1 000 in the smoke run).
    const std::uint64_t commands =
        smoke() ? 1'000 : std::max<std::uint64_t>(rate_per_s / 2, 20'000);
    // A run's records fit one segment (1 M/s for half a second is ~25 MB); each run zeroes
    // its segment before the load starts.
    ORDO_ASSERT(commands <= (1u << 21));  // latency_samples keeps 2^21
    const std::uint64_t segment_bytes = smoke() ? 4ull << 20 : 64ull << 20;
    const std::uint64_t period_ps = 1'000'000'000'000ull / rate_per_s;  // picoseconds
    tools::load_options load;
    engine::state_options tables{.conferences_max = load.conferences,
                                 .reservations_max = static_cast<std::uint32_t>(commands + 1'000)};
    std::unique_ptr<bench::latency_samples> latency;  // the last iteration's
    std::uint64_t sent_total = 0;
    double seconds_total = 0;
    std::uint64_t batches = 0;
    std::uint64_t records = 0;
    const auto dir = std::filesystem::temp_directory_path() /
                     ("ordo_commit_bench_" + std::to_string(getpid()));
    for (auto _ : bench) {
        bench.PauseTiming();
        std::filesystem::remove_all(dir);
        auto state = std::make_unique<engine::booking_state>(tables);
        state->prefault();
        auto writer = journal::writer::open(
            journal::writer_options{.dir = engine::journal_dir(dir),
                                    .segment_bytes = segment_bytes},
            journal::journal_position{});
        if (!writer) {
            bench.SkipWithError(writer.error().message().c_str());
            return;
        }
        engine::journal_sink sink(std::move(*writer));
        engine::sequencer_options options;
        options.flush_delay_us = flush_delay_us;
        engine::sequencer<base::spsc_ring> seq(*state, sink, options);
        seq.start();
        auto& producer = seq.producer_at(0);
        tools::load_generator generator(load, 0, 1);
        engine::command setup;
        auto ignore = [](engine::reply) {};
        bool ok = true;
        while (generator.next_setup(setup)) ok = ok && producer.submit(setup, ignore);
        ok = ok && producer.drain(ignore);
        latency = std::make_unique<bench::latency_samples>();
        bench.ResumeTiming();

        // Replies come back in submission order: the k-th reply answers the k-th command,
        // whose due time is start + k * period.
        const std::uint64_t start_ns = base::monotonic_ns();
        auto due_ns = [&](std::uint64_t k) { return start_ns + k * period_ps / 1000; };
        std::uint64_t answered = 0;
        auto on_reply = [&](engine::reply) {
            latency->add(base::monotonic_ns() - due_ns(answered));
            answered++;
        };
        for (std::uint64_t k = 0; k < commands && ok; k++) {
            // Waiting for the due time, the client yields its core to whoever needs it: a
            // pure spin here starved the io_uring workers that run the fdatasyncs (on 2
            // cores: p99 0.5-1.5 ms at 10 k/s instead of 0.35-0.4 ms).
            while (base::monotonic_ns() < due_ns(k)) {
                if (producer.poll_replies(on_reply) == 0) std::this_thread::yield();
            }
            ok = producer.submit_encoded(
                1, [&](std::span<engine::command_slot> slots) { generator.next(slots[0].header); },
                on_reply);
        }
        ok = ok && producer.drain(on_reply);
        const std::uint64_t end_ns = base::monotonic_ns();
        bench.PauseTiming();
        ok = seq.stop() && ok;
        if (!ok) {
            bench.SkipWithError(seq.failure().c_str());
            return;
        }
        sent_total += commands;
        seconds_total += static_cast<double>(end_ns - start_ns) / 1e9;
        batches += seq.stats().batches;
        records += seq.stats().records;
        std::filesystem::remove_all(dir);
        bench.ResumeTiming();
    }
    // The last iteration's samples: each iteration is a whole run of the same load.
    if (latency) latency->report(bench, "");
    bench.counters["commands_per_s"] = static_cast<double>(sent_total) / seconds_total;
    bench.counters["batches"] = static_cast<double>(batches);
    bench.counters["records_per_batch"] =
        batches > 0 ? static_cast<double>(records) / static_cast<double>(batches) : 0;
}

}  // namespace

BENCHMARK(commit_paced)
    ->ArgNames({"rate", "flush_delay_us"})
    ->ArgsProduct({{10'000, 100'000, 1'000'000}, {0, 50, 200, 1'000}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
