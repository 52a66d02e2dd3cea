#include "tools/simulate/simulation.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "base/ring/boost_ring.h"
#include "base/ring/spsc_ring.h"
#include "engine/sequencer.h"
#include "base/clock.h"
#include "base/cpu.h"

namespace ordo::tools {
namespace {

struct producer_totals {
    alignas(base::false_sharing_bytes) std::atomic<std::uint64_t> answered{0};
    std::array<std::uint64_t, engine::outcome_count> outcomes{};
    std::uint64_t setup_commands = 0;
    std::uint64_t finished_ns = 0;
    bool ok = true;
};

// Shared by the producer threads of one run.
struct run_control {
    std::atomic<std::uint32_t> setup_done{0};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> load_start_ns{0};
    std::atomic<std::uint32_t> producers_finished{0};
};

// The process's resident memory now (/proc/self/statm: no page-table walk), or 0.
std::uint64_t rss_bytes_now() {
    std::FILE* statm = std::fopen("/proc/self/statm", "r");
    if (statm == nullptr) return 0;
    unsigned long long size_pages = 0, resident_pages = 0;
    const int read = std::fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
    std::fclose(statm);
    if (read != 2) return 0;
    return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// The process's peak resident memory (getrusage: kernel-kept, in KiB).
std::uint64_t peak_rss_bytes() {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// The watcher's per-second samples: at each whole second of the load phase, the commands
// answered so far and the resident memory. Thread: the main (watching) thread.
class second_samples {
public:
    void reserve(std::size_t seconds) {
        answered_.reserve(seconds + 1);
        rss_.reserve(seconds);
    }
    // How long to sleep: 10 ms, or less when the next whole second comes sooner.
    std::chrono::nanoseconds sleep_before_next(std::uint64_t load_start_ns,
                                               std::uint64_t now_ns) const {
        constexpr std::uint64_t poll_ns = 10'000'000;
        if (load_start_ns == 0) return std::chrono::nanoseconds(poll_ns);
        const std::uint64_t next_ns = load_start_ns + (rss_.size() + 1) * 1'000'000'000ull;
        if (next_ns <= now_ns) return std::chrono::nanoseconds(0);
        return std::chrono::nanoseconds(std::min(poll_ns, next_ns - now_ns));
    }
    bool due(std::uint64_t load_start_ns, std::uint64_t now_ns) const {
        return load_start_ns != 0 && now_ns >= load_start_ns + (rss_.size() + 1) * 1'000'000'000ull;
    }
    void take(std::uint64_t answered) {
        if (answered_.empty()) answered_.push_back(0);
        answered_.push_back(answered);
        rss_.push_back(rss_bytes_now());
    }
    std::uint64_t answered_last() const { return answered_.empty() ? 0 : answered_.back(); }
    std::vector<std::uint64_t> per_second() const {
        std::vector<std::uint64_t> rates;
        for (std::size_t i = 1; i < answered_.size(); i++) {
            rates.push_back(answered_[i] - answered_[i - 1]);
        }
        return rates;
    }
    const std::vector<std::uint64_t>& rss_bytes() const { return rss_; }

private:
    std::vector<std::uint64_t> answered_;  // answered at 0, 1, 2 ... whole seconds
    std::vector<std::uint64_t> rss_;       // at 1, 2 ... whole seconds
};

std::uint64_t share_of(std::uint64_t total, std::uint32_t index, std::uint32_t count) {
    return total / count + (index < total % count ? 1 : 0);
}

template <class Producer>
void produce(Producer& handle, const simulate_options& options, std::uint32_t index,
             run_control& control, producer_totals& totals) {
    const std::uint32_t producers = options.sequencer.producers;
    if (const int sequencer_cpu = options.sequencer.pin_cpu; sequencer_cpu >= 0) {
        // The index-th CPU that is not the sequencer's.
        const std::uint32_t cpu =
            index < static_cast<std::uint32_t>(sequencer_cpu) ? index : index + 1;
        base::pin_current_thread(cpu % base::cpu_count());
    }
    load_generator generator(options.load, index, producers);
    engine::command cmd;  // the setup commands (conferences); the load goes straight into slots
    std::uint64_t answered = 0;
    auto count_setup = [&](engine::reply) { totals.setup_commands++; };
    while (generator.next_setup(cmd)) totals.ok = totals.ok && handle.submit(cmd, count_setup);
    totals.ok = totals.ok && handle.drain(count_setup);
    // Every producer's conferences exist before anyone books: a barrier.
    control.setup_done.fetch_add(1, std::memory_order_acq_rel);
    while (control.setup_done.load(std::memory_order_acquire) < producers) base::cpu_relax();
    std::uint64_t expected = 0;
    control.load_start_ns.compare_exchange_strong(expected, base::monotonic_ns(),
                                                  std::memory_order_acq_rel);

    auto count = [&](engine::reply r) {
        totals.outcomes[static_cast<std::uint32_t>(r.result())]++;
        if ((++answered & 4095) == 0) totals.answered.store(answered, std::memory_order_relaxed);
    };
    const std::uint64_t quota = options.commands > 0 ? share_of(options.commands, index, producers)
                                                     : ~0ull;
    // Paced: command i of this producer is due at start + i * interval (yielding until
    // then, so the journal's workers and the readers get the CPU).
    const std::uint64_t start_ns = base::monotonic_ns();
    const double interval_ns =
        options.rate_per_s > 0 ? 1e9 * producers / static_cast<double>(options.rate_per_s) : 0;
    for (std::uint64_t i = 0; i < quota && totals.ok; i++) {
        if ((i & 1023) == 0 && control.stop.load(std::memory_order_relaxed)) break;
        if (interval_ns > 0) {
            const auto due_ns = start_ns + static_cast<std::uint64_t>(i * interval_ns);
            while (base::monotonic_ns() < due_ns) {
                if (handle.poll_replies(count) == 0) std::this_thread::yield();
            }
        }
        totals.ok = handle.submit_encoded(
            1, [&](std::span<engine::command_slot> slots) { generator.next(slots[0].header); },
            count);
    }
    totals.ok = totals.ok && handle.drain(count);
    totals.answered.store(answered, std::memory_order_relaxed);
    totals.finished_ns = base::monotonic_ns();
    control.producers_finished.fetch_add(1, std::memory_order_acq_rel);
}

template <template <class> class Ring>
simulate_result run_with(const simulate_options& options, engine::booking_state& state,
                         engine::batch_sink& sink) {
    const std::uint32_t producers = options.sequencer.producers;
    engine::sequencer<Ring> seq(state, sink, options.sequencer, options.snapshots);
    run_control control;
    std::vector<producer_totals> totals(producers);
    seq.start();
    std::vector<std::thread> threads;
    for (std::uint32_t p = 0; p < producers; p++) {
        threads.emplace_back([&, p] {
            produce(seq.producer_at(p), options, p, control, totals[p]);
        });
    }
    // The main thread only watches: progress, the per-second figures, and the clock of a
    // timed run.
    auto finished = [&] {
        std::uint64_t done = 0;
        for (auto& t : totals) done += t.answered.load(std::memory_order_relaxed);
        return done;
    };
    second_samples samples;
    if (options.commands == 0) samples.reserve(static_cast<std::size_t>(options.seconds) + 1);
    int interrupted_by = 0;
    for (;;) {
        const std::uint64_t load_start = control.load_start_ns.load(std::memory_order_acquire);
        std::this_thread::sleep_for(samples.sleep_before_next(load_start, base::monotonic_ns()));
        const std::uint64_t now_ns = base::monotonic_ns();
        // A second's sample first: the last second of a timed run ends where it stops.
        if (samples.due(load_start, now_ns) && !control.stop.load(std::memory_order_relaxed)) {
            samples.take(finished());
            if (options.on_progress) {
                options.on_progress({.commands = samples.answered_last(),
                                     .seconds = (now_ns - load_start) / 1e9});
            }
        }
        if (options.commands == 0 && load_start != 0 &&
            now_ns - load_start >= static_cast<std::uint64_t>(options.seconds * 1e9)) {
            control.stop.store(true, std::memory_order_relaxed);
        }
        if (options.interrupted != nullptr && interrupted_by == 0) {
            interrupted_by = options.interrupted->load(std::memory_order_relaxed);
            if (interrupted_by != 0) control.stop.store(true, std::memory_order_relaxed);
        }
        if (control.producers_finished.load(std::memory_order_acquire) == producers) break;
        if (seq.failed()) break;  // producers see it too and return
    }
    for (auto& t : threads) t.join();
    std::uint64_t end_ns = 0;
    for (const producer_totals& t : totals) end_ns = std::max(end_ns, t.finished_ns);
    seq.stop();

    simulate_result result;
    result.interrupted_by = interrupted_by;
    result.seconds = (end_ns - control.load_start_ns.load(std::memory_order_acquire)) / 1e9;
    for (const producer_totals& t : totals) {
        result.setup_commands += t.setup_commands;
        for (std::uint32_t o = 0; o < engine::outcome_count; o++) {
            result.outcomes[o] += t.outcomes[o];
            result.commands += t.outcomes[o];
        }
    }
    result.live_reservations = state.live_reservations();
    result.reservation_records = state.reservation_count();
    result.batches = seq.stats().batches;
    result.sink_publish_seconds = seq.stats().publish_ns / 1e9;
    result.sink_claim_wait_seconds = seq.stats().claim_wait_ns / 1e9;
    result.record_bytes = seq.stats().record_bytes;
    result.sequencer_round_ns_max = seq.stats().round_ns_max;
    result.per_second = samples.per_second();
    result.rss_bytes_per_second = samples.rss_bytes();
    result.max_rss_bytes = peak_rss_bytes();
    if (seq.failed()) result.failure = seq.failure();
    if (options.snapshots != nullptr) {
        const std::string error = options.snapshots->stop();
        if (result.failure.empty() && !error.empty()) result.failure = "snapshot: " + error;
        result.snapshots = options.snapshots->taken();
        result.snapshot_pause_ns_max = options.snapshots->pause_ns_max();
        result.snapshot_pause_ns_p50 = options.snapshots->pause_ns_p50();
        result.snapshot_chunks = options.snapshots->sequencer_chunks();
    }
    return result;
}

}  // namespace

int pinned_sequencer_cpu(std::uint32_t producers) {
    if (producers + 1 > base::cpu_count()) return -1;
    return static_cast<int>(base::quietest_cpu());
}

simulate_result run_simulation(const simulate_options& options, engine::booking_state& state,
                               engine::batch_sink& sink) {
    ORDO_ASSERT(options.commands > 0 || options.seconds > 0);
    ORDO_ASSERT(!engine::validate(options.sequencer).has_value());
    if (options.ring == base::ring_kind::boost) {
        return run_with<base::boost_ring>(options, state, sink);
    }
    return run_with<base::spsc_ring>(options, state, sink);
}

}  // namespace ordo::tools
