// The durable writer with 0, 1, 2 and 3 in-process projections (tools/simulate/readers.h:
// availability, customers, sales) on one reader thread as `ordo simulate --readers N` runs
// them, with the 3 on a thread each, and with 1 bare reader (the gate alone: each batch
// checked and released, nothing applied), alternating in one run so that the host's noise
// hits every case alike: the `ordo simulate` load, one producer, journal with io_uring
// group commit and fdatasync. Reports per case the median commands/s over the rounds and
// the median of the slowest reader's lag p99 (us), and the median per-round ratio of each
// case's rate to the 0-reader run's just before it.
// Name: durable_readers_alternating; ORDO_READERS_ROUNDS (default 5) and
// ORDO_READERS_COMMANDS (default 4000000) size it; ORDO_READERS_BUFFERS (4..32, default 32,
// as `ordo simulate --readers`) sets the writer's batch buffers, the readers' slack. The
// readers stay off the sequencer's CPU as in `ordo simulate`; with ORDO_READERS_ANY_CPU set
// they may run on it too.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/cpu.h"
#include "engine/journal_sink.h"
#include "journal/gated_reader.h"
#include "engine/recovery.h"
#include "tools/simulate/readers.h"
#include "tools/simulate/simulation.h"

using namespace ordo;

namespace {

constexpr std::uint32_t cases = 6;  // 0..3 projections on one thread, then:
constexpr std::uint32_t threads_case = 4;  // 3 projections on a thread each
constexpr std::uint32_t bare_case = 5;     // 1 bare reader

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

struct run_figures {
    double commands_per_s = 0;
    double lag_us_p99 = 0;  // the slowest reader's
    std::string failure;
};

// Readers that take each durable batch (checked by the gated reader) and release it.
class bare_readers {
public:
    bare_readers(journal::writer& writer, std::uint32_t count, int keep_off_cpu)
        : gate_(count, writer.position()) {
        writer.attach_readers(gate_);
        for (std::uint32_t i = 0; i < count; i++) {
            threads_.emplace_back([this, i, keep_off_cpu] {
                if (keep_off_cpu >= 0) {
                    base::keep_current_thread_off(static_cast<std::uint32_t>(keep_off_cpu));
                }
                journal::gated_reader reader(gate_, i);
                while (!reader.at_end()) {
                    auto got = reader.next();
                    if (!got) return;
                    if (!got->has_value()) {
                        reader.wait();
                        continue;
                    }
                    reader.release();
                }
            });
        }
    }
    ~bare_readers() { finish(); }
    void finish() {
        gate_.close();
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }

private:
    journal::reader_gate gate_;
    std::vector<std::thread> threads_;
};

run_figures durable_run(std::uint64_t commands, std::uint32_t readers) {
    tools::simulate_options options;
    options.commands = commands;
    options.state = engine::state_options{.conferences_max = 1000,
                                          .reservations_max = static_cast<std::uint32_t>(
                                              std::max<std::uint64_t>(commands, 65'536))};
    options.sequencer.producers = 1;
    options.sequencer.pin_cpu = tools::pinned_sequencer_cpu(1);  // as ordo simulate
    const auto buffers = static_cast<std::uint32_t>(
        env_or("ORDO_READERS_BUFFERS", journal::batch_buffers_max));
    auto state = std::make_unique<engine::booking_state>(options.state);
    state->prefault();
    const auto dir = std::filesystem::temp_directory_path() /
                     ("ordo_readers_bench_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    auto opened = journal::writer::open(
        journal::writer_options{.dir = engine::journal_dir(dir),
                                .segment_bytes = 1ull << 30,
                                .batch_buffers = buffers,  // every case alike
                                .keep_off_cpu = options.sequencer.pin_cpu},
        journal::journal_position{});
    if (!opened) return {.failure = opened.error().message()};
    journal::writer& writer = **opened;
    engine::journal_sink sink(std::move(*opened));
    run_figures figures;
    {
        std::optional<tools::in_process_readers> attached;
        std::optional<bare_readers> bare;
        const int off =
            std::getenv("ORDO_READERS_ANY_CPU") != nullptr ? -1 : options.sequencer.pin_cpu;
        if (readers == bare_case) {
            bare.emplace(writer, 1, off);
        } else if (readers == threads_case) {
            attached.emplace(writer, 3, 3, off);
        } else if (readers > 0) {
            attached.emplace(writer, readers, 1, off);
        }
        const tools::simulate_result result = tools::run_simulation(options, *state, sink);
        figures.failure = result.failure;
        if (auto closed = writer.close(); !closed && figures.failure.empty()) {
            figures.failure = closed.error().message();
        }
        figures.commands_per_s = result.seconds > 0 ? result.commands / result.seconds : 0;
        if (bare.has_value()) bare->finish();
        if (attached.has_value()) {
            for (const tools::reader_report& r : attached->finish()) {
                if (!r.failure.empty()) figures.failure = r.failure;
                figures.lag_us_p99 = std::max<double>(figures.lag_us_p99,
                                                      static_cast<double>(r.lag.us.quantile(0.99)));
            }
        }
    }
    std::filesystem::remove_all(dir);
    return figures;
}

void durable_readers_alternating(benchmark::State& bench) {
    const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
    const std::uint64_t rounds =
        smoke ? 1 : std::max<std::uint64_t>(1, env_or("ORDO_READERS_ROUNDS", 5));
    const std::uint64_t commands = smoke ? 20'000 : env_or("ORDO_READERS_COMMANDS", 4'000'000);
    std::vector<double> rate[cases], lag[cases], ratio[cases];
    for (auto _ : bench) {
        for (std::uint64_t round = 0; round < rounds; round++) {
            double base_rate = 0;
            for (std::uint32_t readers = 0; readers < cases; readers++) {
                const run_figures f = durable_run(commands, readers);
                if (!f.failure.empty()) {
                    bench.SkipWithError(f.failure.c_str());
                    return;
                }
                if (readers == 0) base_rate = f.commands_per_s;
                rate[readers].push_back(f.commands_per_s);
                lag[readers].push_back(f.lag_us_p99);
                ratio[readers].push_back(base_rate > 0 ? f.commands_per_s / base_rate : 0);
            }
        }
    }
    for (std::uint32_t readers = 0; readers < cases; readers++) {
        const std::string suffix = readers == bare_case      ? std::string("_bare_reader_1")
                                   : readers == threads_case ? std::string("_readers_3_threads_3")
                                                             : "_readers_" + std::to_string(readers);
        bench.counters["commands_per_s" + suffix] = median(rate[readers]);
        if (readers == 0) continue;
        bench.counters["ratio_to_0" + suffix] = median(ratio[readers]);
        bench.counters["lag_us_p99" + suffix] = median(lag[readers]);
    }
}

}  // namespace

BENCHMARK(durable_readers_alternating)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
