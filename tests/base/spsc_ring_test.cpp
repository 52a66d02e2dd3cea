// Tests of the command/reply rings (base/ring/) and the wait strategies (base/wait/).
// Every ring test runs against both implementations: the sequencer is a template over the
// ring type, so both must honour the same contract.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/command.h"
#include "base/ring/boost_ring.h"
#include "base/ring/ring_kind.h"
#include "base/ring/spsc_ring.h"
#include "base/wait/backoff.h"
#include "base/wait/parker.h"

namespace {

using namespace ordo::engine;
using namespace ordo::base;

// Sanitizers and unoptimised builds run the threaded cases smaller: the point there is to
// let ASan/TSan see the interleavings, not to count millions.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
constexpr std::uint64_t stress_items = 300'000;
constexpr std::uint32_t parker_rounds = 2'000;
#else
constexpr std::uint64_t stress_items = 3'000'000;
constexpr std::uint32_t parker_rounds = 10'000;
#endif

struct own_kind {
    template <class T>
    using ring = spsc_ring<T>;
};
struct boost_kind {
    template <class T>
    using ring = boost_ring<T>;
};

// What the stress producer sends: groups pushed with try_push_all must arrive whole.
struct stress_item {
    std::uint64_t sequence;
    std::uint32_t group_size;
    std::uint32_t index_in_group;
};

// A small deterministic generator (xorshift): the tests must replay the same way.
struct xorshift {
    std::uint64_t state;
    std::uint64_t next() noexcept {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

}  // namespace

TEMPLATE_TEST_CASE("ring: popping an empty ring yields nothing", "[ring]", own_kind,
                   boost_kind) {
    // Proves that an empty ring reports empty through every consumer call and size.
    typename TestType::template ring<std::uint64_t> ring(64);
    std::array<std::uint64_t, 8> out{};
    out.fill(42);
    CHECK(ring.try_pop(out) == 0);
    std::uint64_t one = 42;
    CHECK_FALSE(ring.try_pop_one(one));
    CHECK(one == 42);
    CHECK(out[0] == 42);
    CHECK(ring.size_approx() == 0);
    CHECK(ring.capacity() == 64);
}

TEMPLATE_TEST_CASE("ring: holds exactly its capacity", "[ring]", own_kind, boost_kind) {
    // Proves that every slot is usable, a push into a full ring fails without effect, and
    // freeing one slot admits exactly one more item.
    typename TestType::template ring<std::uint64_t> ring(128);
    for (std::uint64_t i = 0; i < 128; i++) REQUIRE(ring.try_push(i));
    CHECK(ring.size_approx() == 128);
    CHECK_FALSE(ring.try_push(999));
    const std::array<std::uint64_t, 1> single{999};
    CHECK_FALSE(ring.try_push_all(single));
    CHECK(ring.size_approx() == 128);

    std::uint64_t first = 0;
    REQUIRE(ring.try_pop_one(first));
    CHECK(first == 0);
    CHECK(ring.try_push(128));
    CHECK_FALSE(ring.try_push(129));

    std::vector<std::uint64_t> out(200, 0);
    REQUIRE(ring.try_pop(out) == 128);
    for (std::uint64_t i = 0; i < 128; i++) CHECK(out[i] == i + 1);
    CHECK(ring.size_approx() == 0);
}

TEMPLATE_TEST_CASE("ring: try_push_all is all or nothing", "[ring]", own_kind, boost_kind) {
    // Proves that a group larger than the free space is refused whole (nothing written,
    // nothing visible), and that a group that fits exactly is accepted whole.
    typename TestType::template ring<std::uint64_t> ring(64);
    for (std::uint64_t i = 0; i < 61; i++) REQUIRE(ring.try_push(i));
    const std::array<std::uint64_t, 4> four{100, 101, 102, 103};
    CHECK_FALSE(ring.try_push_all(four));
    CHECK(ring.size_approx() == 61);
    const std::array<std::uint64_t, 3> three{200, 201, 202};
    CHECK(ring.try_push_all(three));
    CHECK(ring.size_approx() == 64);

    std::vector<std::uint64_t> out(64, 0);
    REQUIRE(ring.try_pop(out) == 64);
    for (std::uint64_t i = 0; i < 61; i++) CHECK(out[i] == i);
    CHECK(out[61] == 200);
    CHECK(out[62] == 201);
    CHECK(out[63] == 202);
    // A whole-capacity group fits an empty ring, wrapping around its end.
    std::vector<std::uint64_t> full(64);
    for (std::uint64_t i = 0; i < 64; i++) full[i] = 1000 + i;
    CHECK(ring.try_push_all(full));
    REQUIRE(ring.try_pop(out) == 64);
    CHECK(out == full);
}

TEMPLATE_TEST_CASE("ring: wraps around many times with odd batches", "[ring]", own_kind,
                   boost_kind) {
    // Proves that positions, masks and the two-run copies at the wrap keep every item in
    // order across hundreds of laps with batch sizes that never divide the capacity.
    typename TestType::template ring<std::uint64_t> ring(64);
    std::vector<std::uint64_t> batch(63);
    std::vector<std::uint64_t> out(64);
    std::uint64_t pushed = 0;
    std::uint64_t popped = 0;
    std::uint32_t step = 0;
    while (popped < 64 * 500) {
        const std::uint32_t push_size = 1 + (step * 7) % 31 * 2;  // odd, 1..61
        for (std::uint32_t i = 0; i < push_size; i++) batch[i] = pushed + i;
        const std::span<const std::uint64_t> group(batch.data(), push_size);
        const bool fits = ring.capacity() - ring.size_approx() >= push_size;
        REQUIRE(ring.try_push_all(group) == fits);
        if (fits) pushed += push_size;

        const std::uint32_t pop_size = 1 + (step * 5) % 27 * 2;  // odd, 1..53
        const std::size_t count = ring.try_pop(std::span(out.data(), pop_size));
        REQUIRE(count == std::min<std::uint64_t>(pop_size, pushed - popped));
        for (std::size_t i = 0; i < count; i++) REQUIRE(out[i] == popped + i);
        popped += count;
        step++;
    }
    CHECK(ring.size_approx() == pushed - popped);
}

TEMPLATE_TEST_CASE("ring: peek shows what release gives back, in order, across the end",
                   "[ring]", own_kind, boost_kind) {
    // Proves that peek() neither consumes nor reorders: what it shows stays there until
    // release(), a partial release keeps the rest in front, and 200 laps with odd sizes
    // deliver every item once. spsc_ring's runs stop at the ring's end; boost's need not.
    typename TestType::template ring<std::uint64_t> ring(64);
    CHECK(ring.peek(8).empty());
    CHECK(ring.drained());
    std::uint64_t pushed = 0;
    std::uint64_t taken = 0;
    for (std::uint32_t step = 0; taken < 64 * 200; step++) {
        const std::uint32_t push_size = 1 + (step * 7) % 13;
        for (std::uint32_t i = 0; i < push_size && ring.try_push(pushed); i++) pushed++;
        const std::size_t want = 1 + (step * 5) % 11;
        const std::span<const std::uint64_t> first = ring.peek(want);
        const std::span<const std::uint64_t> again = ring.peek(want);
        REQUIRE(first.size() == again.size());
        REQUIRE(first.size() <= want);
        REQUIRE(first.size() <= pushed - taken);
        if (pushed > taken) REQUIRE_FALSE(first.empty());
        for (std::size_t i = 0; i < first.size(); i++) REQUIRE(first[i] == taken + i);
        const std::size_t keep = step % 3 == 0 && !first.empty() ? 1 : 0;
        ring.release(first.size() - keep);
        taken += first.size() - keep;
        CHECK(ring.drained() == (pushed == taken));
    }
    CHECK(ring.drained() == (pushed == taken));
}

TEMPLATE_TEST_CASE("ring: slots claimed ahead stay invisible until published", "[ring]",
                   own_kind, boost_kind) {
    // Proves the reply path's contract: claim_at(position) writes a slot the consumer cannot
    // see, publish_to(position) makes everything before it visible at once, in order, and
    // positions keep counting across laps of the ring.
    typename TestType::template ring<std::uint64_t> ring(64);
    std::uint64_t written = 0;
    std::uint64_t read = 0;
    std::vector<std::uint64_t> out(64);
    for (std::uint32_t round = 0; round < 300; round++) {
        const std::uint32_t count = 1 + (round * 11) % 40;
        for (std::uint32_t i = 0; i < count && written - read < 64; i++) {
            ring.claim_at(written) = written * 3;
            written++;
        }
        CHECK(ring.try_pop(out) == ring.published_position() - read);  // nothing new yet
        read = ring.published_position();
        ring.publish_to(written);
        REQUIRE(ring.published_position() == written);
        const std::size_t popped = ring.try_pop(out);
        REQUIRE(popped == written - read);
        for (std::size_t i = 0; i < popped; i++) REQUIRE(out[i] == (read + i) * 3);
        read += popped;
    }
    CHECK(ring.size_approx() == 0);
}

TEST_CASE("ring: spsc_ring never hands out a run that wraps", "[ring]") {
    // Proves what the sequencer's producers rely on to pad: slots_to_end() says how many
    // contiguous slots remain before the end, and try_claim refuses a run that would wrap.
    spsc_ring<std::uint64_t> ring(64);
    for (std::uint64_t i = 0; i < 60; i++) REQUIRE(ring.try_push(i));
    std::vector<std::uint64_t> out(64);
    REQUIRE(ring.try_pop(out) == 60);
    CHECK(ring.slots_to_end() == 4);
    CHECK(ring.try_claim(5) == nullptr);  // room for 64, but not contiguous
    std::uint64_t* run = ring.try_claim(4);
    REQUIRE(run != nullptr);
    ring.publish(4);
    CHECK(ring.slots_to_end() == 64);
    CHECK(ring.try_claim(9) != nullptr);
}

namespace {

// Result of the consumer side, checked on the test thread (Catch2 v2 assertions are not
// thread-safe, so the threads only record).
struct stress_report {
    std::uint64_t received = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t torn_groups = 0;  // a group seen in part: empty pop in the middle of one
    std::uint64_t oversize = 0;     // size_approx() above capacity, seen by the observer
};

template <class Ring>
void stress_produce(Ring& ring, std::uint64_t total) {
    xorshift random{0x9e3779b97f4a7c15ull};
    backoff wait;
    std::array<stress_item, command_slots_max> group{};
    std::uint64_t sequence = 0;
    while (sequence < total) {
        const std::uint64_t left = total - sequence;
        const auto size = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(1 + random.next() % command_slots_max, left));
        for (std::uint32_t i = 0; i < size; i++) {
            group[i] = stress_item{.sequence = sequence + i, .group_size = size,
                                   .index_in_group = i};
        }
        const bool single = size == 1 && (random.next() & 1) == 0;
        while (!(single ? ring.try_push(group[0])
                        : ring.try_push_all(std::span<const stress_item>(group.data(), size)))) {
            wait.idle();
        }
        wait.reset();
        sequence += size;
    }
}

template <class Ring>
void stress_consume(Ring& ring, std::uint64_t total, stress_report& report) {
    backoff wait;
    std::array<stress_item, 7> out{};  // 7: batches regularly end inside a group
    bool mid_group = false;
    xorshift random{42};
    while (report.received < total) {
        std::size_t count = 0;
        if ((random.next() & 3) == 0) {
            count = ring.try_pop_one(out[0]) ? 1 : 0;
        } else {
            count = ring.try_pop(out);
        }
        if (count == 0) {
            // The rest of a group was published with its first item: it cannot be missing.
            if (mid_group) report.torn_groups++;
            wait.idle();
            continue;
        }
        wait.reset();
        for (std::size_t i = 0; i < count; i++) {
            const stress_item& item = out[i];
            if (item.sequence != report.received) report.out_of_order++;
            if (item.index_in_group >= item.group_size) report.out_of_order++;
            mid_group = item.index_in_group + 1 < item.group_size;
            report.received++;
        }
    }
}

}  // namespace

TEMPLATE_TEST_CASE("ring: two threads move millions of items exactly once, in order",
                   "[ring][stress]", own_kind, boost_kind) {
    // Proves under real concurrency that every item arrives exactly once and in order,
    // that multi-item groups are never visible in part, and that size_approx() read by a
    // third thread stays within bounds.
    using ring_type = typename TestType::template ring<stress_item>;
    ring_type ring(64);
    stress_report report;
    std::atomic<bool> done{false};

    std::thread consumer([&] { stress_consume(ring, stress_items, report); });
    std::thread observer([&] {
        while (!done.load(std::memory_order_acquire)) {
            if (ring.size_approx() > ring.capacity()) report.oversize++;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    stress_produce(ring, stress_items);
    consumer.join();
    done.store(true, std::memory_order_release);
    observer.join();

    CHECK(report.received == stress_items);
    CHECK(report.out_of_order == 0);
    CHECK(report.torn_groups == 0);
    CHECK(report.oversize == 0);
    CHECK(ring.size_approx() == 0);
    stress_item extra{};
    CHECK_FALSE(ring.try_pop_one(extra));
}

namespace {

// One round per item: the consumer announces the round, the producer publishes after a
// random short delay, and the consumer parks unless its re-check sees the item.
struct parker_report {
    std::uint64_t wrong_items = 0;
    std::uint64_t first_pops = 0;  // rounds whose item was there before prepare_park
    std::uint64_t cancels = 0;
    std::uint64_t parks = 0;
    bool lost_wakeup = false;
};

// Watchdog: a lost wake-up leaves the consumer asleep forever; detect it, record it, and
// wake the consumer so the test fails instead of hanging.
void watch_for_lost_wakeup(const std::atomic<std::uint32_t>& completed, std::uint32_t rounds,
                           parker& sleeper, parker_report& report) {
    std::uint32_t last = 0;
    auto last_progress = std::chrono::steady_clock::now();
    while (completed.load(std::memory_order_acquire) < rounds) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const std::uint32_t now_completed = completed.load(std::memory_order_acquire);
        const auto now = std::chrono::steady_clock::now();
        if (now_completed != last) {
            last = now_completed;
            last_progress = now;
        } else if (now - last_progress > std::chrono::seconds(3)) {
            report.lost_wakeup = true;
            sleeper.wake();
            last_progress = now;
        }
    }
}

parker_report run_parker_rounds(parker_fence fence, std::uint32_t rounds) {
    spsc_ring<std::uint64_t> ring(64);
    parker sleeper(fence);
    std::atomic<std::uint32_t> round{0};      // the round the consumer waits in, plus one
    std::atomic<std::uint32_t> completed{0};  // rounds whose item the consumer has popped
    parker_report report;

    // 0..~3 us of pause: the publish lands sometimes before the consumer's prepare_park,
    // sometimes during its re-check, sometimes after it sleeps.
    const auto delay = [](xorshift& random) {
        const std::uint64_t pauses = random.next() % 128;
        for (std::uint64_t i = 0; i < pauses; i++) ordo::base::cpu_relax();
    };
    std::thread consumer([&] {
        xorshift random{11};
        for (std::uint32_t r = 0; r < rounds; r++) {
            round.store(r + 1, std::memory_order_release);
            std::uint64_t item = 0;
            for (;;) {
                delay(random);
                if (ring.try_pop_one(item)) {
                    report.first_pops++;
                    break;
                }
                sleeper.prepare_park();
                delay(random);
                if (ring.try_pop_one(item)) {
                    sleeper.cancel_park();
                    report.cancels++;
                    break;
                }
                sleeper.park();  // may return early (a stale wake); the loop re-checks
            }
            if (item != r) report.wrong_items++;
            completed.store(r + 1, std::memory_order_release);
        }
        report.parks = sleeper.parks();
    });
    std::thread producer([&] {
        xorshift random{7};
        backoff wait;
        for (std::uint32_t r = 0; r < rounds; r++) {
            while (round.load(std::memory_order_acquire) != r + 1) wait.idle();
            wait.reset();
            delay(random);
            while (!ring.try_push(r)) wait.idle();
            sleeper.wake_if_parked();
        }
    });

    watch_for_lost_wakeup(completed, rounds, sleeper, report);
    producer.join();
    consumer.join();
    return report;
}

}  // namespace

TEST_CASE("parker: a publish racing with park is never lost", "[parker][stress]") {
    // Proves the Dekker argument in parker.h in both fence modes: thousands of publishes
    // land before, during and after prepare_park, and the consumer always wakes for them.
    const auto fence = GENERATE(parker_fence::automatic, parker_fence::symmetric);
    const parker_report report = run_parker_rounds(fence, parker_rounds);
    INFO("fence mode " << static_cast<int>(fence) << ", parks " << report.parks
                       << ", cancels " << report.cancels
                       << ", first pops " << report.first_pops);
    CHECK_FALSE(report.lost_wakeup);
    CHECK(report.wrong_items == 0);
    // Every round ends either at the first pop or at a cancelled park.
    CHECK(report.first_pops + report.cancels == parker_rounds);
    // Both outcomes of the re-check normally happen; when the machine is loaded and both
    // threads share one core, every round may park. Say so rather than fail.
    if (report.parks == 0 || report.cancels == 0) WARN("only one side of the race was hit");
}

TEST_CASE("parker: symmetric mode never uses membarrier", "[parker]") {
    // Proves that the forced fallback really is the fallback (the stress test covers it).
    const parker symmetric(parker_fence::symmetric);
    CHECK_FALSE(symmetric.asymmetric());
}

TEST_CASE("parker: wake releases a parked consumer unconditionally", "[parker]") {
    // Proves the shutdown path: wake() ends a park() that no publish will ever end.
    parker sleeper;
    std::atomic<bool> returned{false};
    std::thread consumer([&] {
        sleeper.prepare_park();
        sleeper.park();
        returned.store(true, std::memory_order_release);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sleeper.wake();
    consumer.join();
    CHECK(returned.load(std::memory_order_acquire));
}

TEST_CASE("backoff: spins, then yields, then sleeps, and reset starts over", "[backoff]") {
    // Proves the phase boundaries: sleeping() turns true exactly after spin + yield idles.
    backoff wait(backoff_options{.spin_iterations = 10, .yield_iterations = 5, .sleep_us = 1});
    for (int i = 0; i < 15; i++) {
        CHECK_FALSE(wait.sleeping());
        wait.idle();
    }
    CHECK(wait.sleeping());
    wait.idle();  // saturates in the sleep phase
    CHECK(wait.sleeping());
    wait.reset();
    CHECK_FALSE(wait.sleeping());
}

TEST_CASE("ring_kind: names round-trip and unknown names are refused", "[ring]") {
    // Proves the command-line boundary: every kind has a name that parses back to it.
    for (const ring_kind kind : {ring_kind::own, ring_kind::boost}) {
        const auto parsed = ring_kind_from_name(ring_kind_name(kind));
        REQUIRE(parsed.has_value());
        CHECK(*parsed == kind);
    }
    CHECK(ring_kind_name(ring_kind::own) == "own");
    CHECK(ring_kind_name(ring_kind::boost) == "boost");
    CHECK_FALSE(ring_kind_from_name("Own").has_value());
    CHECK_FALSE(ring_kind_from_name("").has_value());
}
