// Tests for journal/segment_preparer.h: the pacing rule, and the preparer on a simulated
// disk (idle writer, a writer making progress, a writer that needs the segment at once).

#include "journal/segment_preparer.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "base/clock.h"
#include "journal/io/simulated_backend.h"
#include "journal/segment.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

const std::filesystem::path sim_dir = "/sim/journal";

std::string prepared_path(std::uint32_t index) {
    return (sim_dir / prepared_segment_name(index)).string();
}

std::uint64_t prepared_bytes(const io::simulated_disk& disk, std::uint32_t index) {
    return disk.exists(prepared_path(index)) ? disk.size(prepared_path(index)) : 0;
}

}  // namespace

TEST_CASE("the paced zero target follows the writer and completes a lead before the end") {
    // Proves: nothing is owed before the writer starts; the target never falls behind the
    // writer, never decreases as it progresses, and is the whole segment once only the lead
    // is left; the lead is 4 MiB or a quarter of a small segment, in whole blocks.
    REQUIRE(zero_lead_bytes_for(segment_bytes_default) == segment_preparer::zero_lead_bytes);
    REQUIRE(zero_lead_bytes_for(segment_bytes_min) == segment_bytes_min / 4);
    REQUIRE(zero_lead_bytes_for(segment_bytes_min + block_bytes) % block_bytes == 0);
    for (const std::uint64_t segment :
         {segment_bytes_min, std::uint64_t{64} << 20, segment_bytes_max}) {
        const std::uint64_t lead = zero_lead_bytes_for(segment);
        REQUIRE(paced_zero_target_bytes(segment, lead, segment) == 0);
        REQUIRE(paced_zero_target_bytes(segment, lead, lead) == segment);
        REQUIRE(paced_zero_target_bytes(segment, lead, 0) == segment);
        std::uint64_t previous = 0;
        const std::uint64_t step = segment / 997 / block_bytes * block_bytes + block_bytes;
        for (std::uint64_t written = 0; written <= segment; written += step) {
            const std::uint64_t target = paced_zero_target_bytes(segment, lead, segment - written);
            REQUIRE(target >= written);
            REQUIRE(target >= previous);
            REQUIRE(target <= segment);
            previous = target;
        }
    }
    // Half way through a 64 MiB segment, half of (64 MiB - lead) scaled to the whole.
    const std::uint64_t half = paced_zero_target_bytes(64ull << 20, 4ull << 20, 32ull << 20);
    REQUIRE(half == (32ull << 20) + (32ull << 20) * (4ull << 20) / (60ull << 20));
}

TEST_CASE("with an idle writer the next segment is zero-filled completely, in synced pieces") {
    // Proves: a writer that makes no progress counts as idle only after zero_idle_us; then the
    // whole segment is written in pieces of at most 1 MiB, and take() returns it complete.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, sim_dir).has_value());
    constexpr std::uint64_t segment = 4ull << 20;
    segment_preparer preparer(&disk, sim_dir, segment, 0);
    preparer.note_progress(segment);  // the writer stands at the start of its segment
    const std::uint64_t start_ns = ordo::base::monotonic_ns();
    preparer.request_prepare(1);
    while (prepared_bytes(disk, 1) < segment) {
        REQUIRE(ordo::base::monotonic_ns() - start_ns < 10'000'000'000ull);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(ordo::base::monotonic_ns() - start_ns >= segment_preparer::zero_idle_us * 1000ull);
    REQUIRE(disk.zero_fills() >= segment / segment_preparer::zero_piece_bytes_max);
    auto taken = preparer.take(1);
    REQUIRE(taken.has_value());
    REQUIRE(taken->string() == prepared_path(1));
}

TEST_CASE("while the writer makes progress the zeros keep in step with it") {
    // Proves: as a writer moves through a 64 MiB segment 256 KiB per millisecond, the next
    // segment is never zeroed more than one piece beyond the paced target of the writer's
    // position (unless a stall of the writing thread made the writer look idle, which the
    // test detects and then stops checking), and it is complete once the writer reaches the
    // lead. An observer thread reads the disk, so its waits never delay the writer.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, sim_dir).has_value());
    constexpr std::uint64_t segment = 64ull << 20;
    const std::uint64_t lead = zero_lead_bytes_for(segment);
    segment_preparer preparer(&disk, sim_dir, segment, 0);
    std::atomic<std::uint64_t> written{0};
    std::atomic<std::uint64_t> noted_ns{ordo::base::monotonic_ns()};
    std::atomic<bool> stalled{false};
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> checks{0};
    std::atomic<std::uint64_t> ahead{0};  // checks that found more zeros than allowed
    preparer.note_progress(segment);
    preparer.request_prepare(1);
    std::thread observer([&] {
        while (!done.load(std::memory_order_acquire)) {
            const std::uint64_t zeroed = prepared_bytes(disk, 1);
            // Read after the size: the writer only moves on, so this bounds what it was.
            const std::uint64_t at = written.load(std::memory_order_acquire);
            // A writer that has not moved for half the idle time may already look idle.
            const std::uint64_t since_ns =
                ordo::base::monotonic_ns() - noted_ns.load(std::memory_order_acquire);
            if (since_ns >= segment_preparer::zero_idle_us * 1000ull / 2) stalled = true;
            if (stalled.load(std::memory_order_acquire)) break;
            const std::uint64_t target = paced_zero_target_bytes(segment, lead, segment - at);
            if (zeroed > target + segment_preparer::zero_piece_bytes_min) ahead.fetch_add(1);
            checks.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    std::uint64_t last_ns = ordo::base::monotonic_ns();
    for (std::uint64_t at = 0; at + lead < segment; at += 256u << 10) {
        // Before the position moves on: an observer that sees the new position also sees
        // that the writer stalled on the way to it.
        const std::uint64_t now_ns = ordo::base::monotonic_ns();
        if (now_ns - last_ns >= segment_preparer::zero_idle_us * 1000ull / 2) stalled = true;
        last_ns = now_ns;
        written.store(at, std::memory_order_release);
        preparer.note_progress(segment - at);
        noted_ns.store(now_ns, std::memory_order_release);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    done.store(true, std::memory_order_release);
    observer.join();
    REQUIRE(ahead == 0);
    if (stalled) {
        // On a loaded machine the stall can come before the first check: then nothing was
        // checked and nothing failed.
        WARN("the writing thread stalled; checked " << checks << " times only");
    } else {
        REQUIRE(checks > 0);
    }
    preparer.note_progress(lead);
    auto taken = preparer.take(1);
    REQUIRE(taken.has_value());
    REQUIRE(prepared_bytes(disk, 1) == segment);
}

TEST_CASE("take() finishes a preparation the writer needs now") {
    // Proves: a writer that reaches rollover before the next segment is ready gets it
    // complete from take() at once (without waiting to look idle), for several segments.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, sim_dir).has_value());
    constexpr std::uint64_t segment = 8ull << 20;
    segment_preparer preparer(&disk, sim_dir, segment, 0);
    for (std::uint32_t index = 1; index <= 3; ++index) {
        preparer.note_progress(segment - 4096);  // far from the lead: nothing owed yet
        preparer.request_prepare(index);
        auto taken = preparer.take(index);
        REQUIRE(taken.has_value());
        REQUIRE(prepared_bytes(disk, index) == segment);
    }
}
