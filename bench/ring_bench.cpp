// Ring hop throughput, ours (spsc_ring) against boost::lockfree::spsc_queue (boost_ring):
// one producer thread pinned to cpu 0 pushing single items (as the sequencer's producers
// push commands), one consumer thread pinned to cpu 1 popping in batches (as the sequencer
// drains its rings). Items carry their sequence number and the consumer checks every one,
// so a broken ring cannot post a good number. Names: ring_hop_1p1c_<item size>/<ring>.
//
// Run: build-rings/bench/ring_bench --benchmark_repetitions=5
//          --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true
// Random interleaving alternates own and boost, so both see the same spells of host noise;
// compare the two in one run, never across runs (MACHINE.md).
// ORDO_BENCH_SMOKE=1 shrinks the item count so the CTest smoke run takes milliseconds.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include "engine/command.h"
#include "base/ring/boost_ring.h"
#include "base/ring/spsc_ring.h"
#include "base/assert.h"
#include "base/cpu.h"

namespace {

using namespace ordo;

// The sequencer's default ring (sequencer_options: command_ring_slots = 64 Ki), 512 KiB of
// 8-byte items, 4 MiB of 64-byte ones.
constexpr std::uint32_t bench_ring_slots = 1u << 16;
// The consumer's batch: one head publish per up to this many items.
constexpr std::size_t pop_batch_items = 128;
constexpr std::uint32_t producer_cpu = 0;
constexpr std::uint32_t consumer_cpu = 1;

bool smoke_mode() noexcept {
    const char* value = std::getenv("ORDO_BENCH_SMOKE");
    return value != nullptr && std::strcmp(value, "0") != 0;
}

// Items per benchmark iteration: enough that thread start and the end-of-iteration drain
// are noise (~10-30 ms per iteration at 30-400 M items/s).
std::uint64_t items_per_iteration() noexcept { return smoke_mode() ? 1u << 12 : 1u << 22; }

// The two payloads: a bare sequence number, and a real command slot (one cache line).
inline void stamp(std::uint64_t& item, std::uint64_t sequence) noexcept { item = sequence; }
inline std::uint64_t sequence_of(const std::uint64_t& item) noexcept { return item; }
inline void stamp(engine::command_slot& slot, std::uint64_t sequence) noexcept {
    slot.header.kind = engine::op::reserve;
    slot.header.reservation = sequence;
    slot.header.t_ms = sequence;
}
inline std::uint64_t sequence_of(const engine::command_slot& slot) noexcept {
    return slot.header.reservation;
}

// Restores the benchmark thread's CPU set when the run ends: the pin is ours to undo.
class affinity_guard {
public:
    affinity_guard() noexcept {
        CPU_ZERO(&saved_);
        saved_ok_ = pthread_getaffinity_np(pthread_self(), sizeof(saved_), &saved_) == 0;
    }
    ~affinity_guard() {
        if (saved_ok_) pthread_setaffinity_np(pthread_self(), sizeof(saved_), &saved_);
    }
    affinity_guard(const affinity_guard&) = delete;
    affinity_guard& operator=(const affinity_guard&) = delete;

private:
    cpu_set_t saved_;
    bool saved_ok_ = false;
};

// Consumer side: pops in batches until told to stop, checking every sequence number, and
// announces each completed iteration so the producer can end it with the ring drained.
template <class Ring, class Item>
void consume(Ring& ring, std::uint64_t per_iteration, std::atomic<std::uint64_t>& done,
             const std::atomic<bool>& stop) {
    base::pin_current_thread(consumer_cpu);  // best effort: the numbers say if it failed
    std::vector<Item> out(pop_batch_items);  // allocated before the measured loop
    std::uint64_t expected = 0;
    for (;;) {
        const std::size_t count = ring.try_pop(out);
        if (count == 0) {
            if (stop.load(std::memory_order_acquire)) break;
            continue;  // busy-poll: the benchmark measures the hop, not a wait strategy
        }
        for (std::size_t i = 0; i < count; i++) {
            ORDO_ASSERT(sequence_of(out[i]) == expected);
            expected++;
        }
        if (expected % per_iteration < count) {
            done.store(expected / per_iteration, std::memory_order_release);
        }
    }
    ORDO_ASSERT(ring.size_approx() == 0);
}

// Items are stamped into a small source ring `stamp_ahead` pushes before they are pushed:
// stamping a local item with 8-byte stores and pushing it at once makes the ring's 32- or
// 64-byte load of it wait for store forwarding to fail (measured: 4.7 M/s instead of ~60 M/s
// for 64-byte items), which would measure the stall, not the ring.
constexpr std::uint64_t source_items = 1024;
constexpr std::uint64_t stamp_ahead = 512;
static_assert(stamp_ahead < source_items);

// How the producer hands an item over: push (a copy, the API both rings share), or claim
// and publish in place (what the sequencer's producers do with spsc_ring).
enum class push_style { copy, claim };

template <class Ring, class Item, push_style style>
void push_one(Ring& ring, const Item& item) noexcept {
    if constexpr (style == push_style::claim) {
        Item* slot = nullptr;
        while ((slot = ring.try_claim(1)) == nullptr) {
        }
        *slot = item;
        ring.publish(1);
    } else {
        while (!ring.try_push(item)) {
        }
    }
}

template <class Ring, class Item, push_style style = push_style::copy>
void ring_hop(benchmark::State& state) {
    const std::uint64_t per_iteration = items_per_iteration();
    Ring ring(bench_ring_slots);
    std::atomic<std::uint64_t> done{0};
    std::atomic<bool> stop{false};
    std::thread consumer([&] { consume<Ring, Item>(ring, per_iteration, done, stop); });

    const affinity_guard guard;
    base::pin_current_thread(producer_cpu);
    std::vector<Item> source(source_items);
    for (std::uint64_t i = 0; i < stamp_ahead; i++) stamp(source[i], i);
    std::uint64_t sequence = 0;
    std::uint64_t iterations = 0;
    for (auto _ : state) {
        for (std::uint64_t i = 0; i < per_iteration; i++) {
            stamp(source[(sequence + stamp_ahead) % source_items], sequence + stamp_ahead);
            push_one<Ring, Item, style>(ring, source[sequence % source_items]);
            sequence++;
        }
        iterations++;
        // Each iteration ends with its items consumed: the rate is of whole hops.
        while (done.load(std::memory_order_acquire) < iterations) {
        }
    }
    stop.store(true, std::memory_order_release);
    consumer.join();
    ORDO_ASSERT(sequence == iterations * per_iteration);
    state.SetItemsProcessed(static_cast<std::int64_t>(sequence));
    state.counters["ring_slots"] = bench_ring_slots;
    state.counters["item_bytes"] = sizeof(Item);
}

template <class Ring, class Item>
void register_hop(const std::string& name) {
    benchmark::RegisterBenchmark(name.c_str(), ring_hop<Ring, Item>)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
    using base::boost_ring;
    using engine::command_slot;
    using base::spsc_ring;
    static_assert(sizeof(command_slot) == 64);
    register_hop<spsc_ring<std::uint64_t>, std::uint64_t>("ring_hop_1p1c_8b/own");
    register_hop<boost_ring<std::uint64_t>, std::uint64_t>("ring_hop_1p1c_8b/boost");
    register_hop<spsc_ring<command_slot>, command_slot>("ring_hop_1p1c_64b/own");
    register_hop<boost_ring<command_slot>, command_slot>("ring_hop_1p1c_64b/boost");
    benchmark::RegisterBenchmark("ring_hop_1p1c_64b/own_claim",
                                 ring_hop<spsc_ring<command_slot>, command_slot, push_style::claim>)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
