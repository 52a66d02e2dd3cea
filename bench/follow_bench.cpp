// Follower catch-up against recovery's replay, over the same journal in the same run
// (issue 17: `ordo follow --exit-at-end` from zero at no less than half the replay rate).
// A journal written by the simulator (buffered, so its pages are cached) is read in
// alternating repetitions by:
// - replay alone: engine::recover with the tables faulted in first, timing only the replay
//   (as recovery_bench's recovery_replay_only);
// - the four projections together from position 0, as `ordo follow --exit-at-end` applies
//   them (projections::follower::poll; no checkpoint written: follow_checkpoint times that);
// - each projection alone from position 0, and the four in one walk on one thread
//   (one_thread_records_per_s: set against the alone rates, what sharing a thread's caches
//   costs them);
// - floors under every view's rate: the journal source alone, reading and checking the
//   batches (read_records_per_s), and a view that ignores every event, which adds the walk
//   over the records and the views' prefetch (walk_records_per_s).
// Counters are medians over the repetitions, in records/s, and follow_over_replay is the
// median of the per-repetition ratios.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "bench/simulated_journal.h"
#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "projections/availability.h"
#include "projections/checkpoint.h"
#include "projections/customers.h"
#include "projections/follower.h"
#include "projections/history.h"
#include "projections/journal_source.h"
#include "projections/sales.h"

using namespace ordo;
namespace fs = std::filesystem;

namespace {

using written_journal = bench::simulated_journal;

// Writes the journal once per process. ORDO_FOLLOW_BENCH_COMMANDS overrides its length.
const written_journal& journal_for_bench() {
    static const written_journal journal = [] {
        const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
        std::uint64_t commands = smoke ? 20'000 : 3'000'000;
        if (const char* overridden = std::getenv("ORDO_FOLLOW_BENCH_COMMANDS")) {
            commands = std::strtoull(overridden, nullptr, 10);
        }
        return bench::write_simulated_journal(
            {.name = "follow_bench",
             .commands = commands,
             .segment_bytes = 64ull << 20,
             .with_manifest = true});
    }();
    return journal;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Replay alone: records/s of the replay part of recover().
double replay_rate(const written_journal& w) {
    auto recovered = engine::recover(
        w.dir, w.tables,
        engine::recovery_options{.use_snapshots = false,
                                 .population = engine::table_population::before_replay});
    if (!recovered || recovered->replay_ns == 0) std::abort();
    return static_cast<double>(recovered->records_replayed) * 1e9 /
           static_cast<double>(recovered->replay_ns);
}

// The four projections from 0 as `ordo follow --exit-at-end` applies them.
double follow_rate(const written_journal& w) {
    auto f = projections::follower::open(w.dir);
    if (!f) std::abort();
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t records = 0;
    for (bool more = true; more;) {  // a long catch-up takes several polls (follower.h)
        auto polled = f->poll();
        if (!polled) std::abort();
        records += polled->records;
        more = polled->more;
    }
    const double took = seconds_since(start);
    if (records == 0) std::abort();
    return static_cast<double>(records) / took;
}

// Handles no event: what the journal source and the walk cost a view before its handlers.
class walk_only final : public projections::projection {
  public:
    std::string_view name() const noexcept override { return "walk"; }

  private:
    void encode_view(projections::state_writer&) const override {}
    bool decode_view(projections::state_reader&) override { return true; }
    void clear_view() override {}
};

// Projections from 0 on this thread, in one walk (none: the source alone).
double views_rate(const written_journal& w, std::span<projections::projection* const> views) {
    auto source = projections::journal_source::open(w.dir, {});
    if (!source) std::abort();
    std::uint64_t records = 0;
    const auto start = std::chrono::steady_clock::now();
    for (projections::projection* view : views) {
        view->expect_records(source->records_after({}));  // as a catch-up does
    }
    for (;;) {
        auto batch = source->next();
        if (!batch) std::abort();
        if (!batch->has_value()) break;
        if (!views.empty() && !projections::projection::apply_together(views, **batch)) {
            std::abort();
        }
        records += (*batch)->record_count;
    }
    return static_cast<double>(records) / seconds_since(start);
}

double one_view_rate(const written_journal& w, projections::projection* view) {
    if (view == nullptr) return views_rate(w, {});
    return views_rate(w, std::span(&view, 1));
}

void follow_vs_replay(benchmark::State& bench) {
    const written_journal& w = journal_for_bench();
    std::vector<double> replay, follow, ratio, seats, people, streams, sold, walked, read, one_thread;
    for (auto _ : bench) {
        replay.push_back(replay_rate(w));
        follow.push_back(follow_rate(w));
        ratio.push_back(follow.back() / replay.back());
        projections::availability a;
        seats.push_back(one_view_rate(w, &a));
        projections::customers c;
        people.push_back(one_view_rate(w, &c));
        projections::history h;
        streams.push_back(one_view_rate(w, &h));
        projections::sales s;
        sold.push_back(one_view_rate(w, &s));
        walk_only bare;
        walked.push_back(one_view_rate(w, &bare));
        read.push_back(one_view_rate(w, nullptr));
        projections::availability a1;
        projections::customers c1;
        projections::history h1;
        projections::sales s1;
        const std::array<projections::projection*, 4> four = {&h1, &c1, &a1, &s1};
        one_thread.push_back(views_rate(w, four));
    }
    bench.counters["commands"] = static_cast<double>(w.commands);
    bench.counters["replay_records_per_s"] = median(replay);
    bench.counters["follow_records_per_s"] = median(follow);
    bench.counters["follow_over_replay"] = median(ratio);
    bench.counters["availability_records_per_s"] = median(seats);
    bench.counters["customers_records_per_s"] = median(people);
    bench.counters["history_records_per_s"] = median(streams);
    bench.counters["sales_records_per_s"] = median(sold);
    bench.counters["walk_records_per_s"] = median(walked);
    bench.counters["read_records_per_s"] = median(read);
    bench.counters["one_thread_records_per_s"] = median(one_thread);
}

// Writing the four checkpoints once caught up (what `ordo follow` does when it stops).
void follow_checkpoint(benchmark::State& bench) {
    const written_journal& w = journal_for_bench();
    auto f = projections::follower::open(w.dir);
    if (!f) std::abort();
    for (bool more = true; more;) {
        auto polled = f->poll();
        if (!polled) std::abort();
        more = polled->more;
    }
    std::vector<double> seconds;
    for (auto _ : bench) {
        // None on disk, as after a catch-up (follower::checkpoint skips a checkpoint that
        // already holds the view's place: the repetitions after the first would time none).
        bench.PauseTiming();
        fs::remove_all(w.dir / "projections");
        bench.ResumeTiming();
        const auto start = std::chrono::steady_clock::now();
        if (!f->checkpoint()) std::abort();
        seconds.push_back(seconds_since(start));
    }
    std::uint64_t bytes = 0;
    for (const projections::projection* view : f->views()) {
        bytes += fs::file_size(projections::checkpoint_path(w.dir, *view));
    }
    fs::remove_all(w.dir / "projections");
    bench.counters["checkpoint_ms_p50"] = median(seconds) * 1e3;
    bench.counters["checkpoint_bytes"] = static_cast<double>(bytes);
}

}  // namespace

BENCHMARK(follow_vs_replay)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(follow_checkpoint)->Unit(benchmark::kMillisecond)->Iterations(3);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    fs::remove_all(journal_for_bench().dir);
    return 0;
}
