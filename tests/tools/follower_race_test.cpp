// In one process, so that TSan sees every thread (tests/tools/follow_test.cpp does the same
// across processes, where it cannot): a follower (projections::follower) polling a data
// directory while a live engine writes it through the real stack (sequencer -> journal_sink
// -> journal::writer keeping DIR/manifest and the durable-end hint DIR/durable_end, 1 MiB
// segments so that it rolls over many times) never meets a torn batch: every poll succeeds
// and reaches the durable end it read (a hint published before its batch was written fails
// here), several of them apply batches while the writer runs, and it ends at the writer's
// exact end with views identical to a fresh follower's opened after the writer closed, its
// availability equal to the engine's own aggregates. A durable end named after the write
// but before its sync would pass: only a crash tells those apart (the drills' part).
// What TSan watches here is the memory the threads share in the process (the writer's
// manifest keeper and segment preparer, the sequencer, the follower); the segment files
// (written by the kernel) and DIR/durable_end (a page each side maps on its own) are outside
// its view: for those the proof is the reader's checks on every batch the follower applies.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "journal/data_dir.h"
#include "journal/io/file_system.h"
#include "journal/manifest.h"
#include "projections/checkpoint.h"
#include "projections/follower.h"
#include "tests/tools/ordo_process.h"
#include "tools/simulate/load_generator.h"
#include "tools/simulate/simulation.h"
#include "tools/state_json.h"
#include "tools/view_json.h"

namespace {

namespace fs = std::filesystem;
using namespace ordo;

// Sized so that Release runs in a second or two and TSan well under a minute on 2 cores,
// while the journal spans about fifty 1 MiB segments; and past the follower's catch-up
// threshold (parallel_backlog_records_min), so that the fresh follower's single poll runs
// the views on two threads under TSan too.
constexpr std::uint64_t commands = 1'200'000;
constexpr std::uint64_t segment_bytes = journal::segment_bytes_min;  // 1 MiB
// The smallest batch: more batches, so more durable-end moves for the follower to race.
constexpr std::uint32_t batch_bytes = journal::batch_bytes_min;
// The manifest rewritten often too (not only at rollovers), so that the follower reads it
// while it is replaced, not only the hint.
constexpr std::uint32_t manifest_interval_ms = 20;
// Batches published sooner than `ordo simulate` does (200 us): smaller ones, more of them.
constexpr std::uint32_t flush_delay_us = 20;
// A follower that stopped advancing past the writer's end is a failure, not a hang.
constexpr auto catch_up_deadline = std::chrono::seconds(120);
// The longest a follower with nothing new waits on the writer's hint before polling again
// (as `ordo follow` does: the manifest may move without the hint).
constexpr std::uint64_t idle_wait_us_max = 2'000;

tools::load_options market() {
    return tools::load_options{.conferences = 16, .hot_conferences = 4, .seed = 17};
}

engine::state_options tables() {
    return engine::state_options{
        .conferences_max =
            static_cast<std::uint32_t>(tools::conferences_created_max(market(), commands) + 1),
        .reservations_max = 1u << 20};
}

// What `ordo simulate --data DIR` opens (tools/cli/open_engine.cpp, which lives in the
// executable): DIR's lock, a new manifest, the (empty) recovered state, and the writer
// keeping DIR/manifest and DIR/durable_end. Members in this order: the lock goes last. Filled
// in place, never moved: the writer keeps a pointer to the lock.
struct engine_writer {
    journal::io::file_lock lock;
    std::unique_ptr<engine::booking_state> state;
    std::unique_ptr<engine::journal_sink> sink;
};

void open_writer(const fs::path& dir, engine_writer& opened) {
    journal::io::file_system& files = journal::io::real_file_system();
    REQUIRE(journal::io::make_dirs_durable(files, dir).has_value());
    auto lock = files.lock_file(journal::data_dir_layout::lock(dir),
                                "pid " + std::to_string(::getpid()) + " (follower_race_test)");
    REQUIRE(lock.has_value());
    opened.lock = std::move(*lock);
    REQUIRE(journal::write_manifest(dir, engine::new_manifest(tables(), segment_bytes), files)
                .has_value());
    auto recovered = engine::recover(dir, tables());
    REQUIRE(recovered.has_value());
    REQUIRE(recovered->manifest.has_value());
    auto writer = journal::writer::open(
        engine::continuing_writer({.sync = journal::sync_mode::fdatasync,
                                   .segment_bytes = segment_bytes,
                                   .batch_bytes_max = batch_bytes},
                                  dir, *recovered, opened.lock, manifest_interval_ms),
        recovered->position);
    REQUIRE(writer.has_value());
    opened.state = std::move(recovered->state);
    opened.sink = std::make_unique<engine::journal_sink>(std::move(*writer));
}

// What the writer thread tells the follower thread. `end_batches` is the journal's exact
// end once the writer closed it; `gave_up` says the writer failed (the follower stops).
struct writer_signals {
    std::atomic<std::uint64_t> end_batches{UINT64_MAX};
    std::atomic<bool> gave_up{false};
};

struct writer_report {
    std::string failure;
    std::uint64_t end_batches = 0;
};

// The writer thread: the booking load through the sequencer into the journal, then close()
// (every batch durable, the exact end in a closed manifest), then the end published.
writer_report write_all(engine_writer& opened, writer_signals& signals) {
    tools::simulate_options options;
    options.commands = commands;
    options.state = tables();
    options.load = market();
    options.sequencer.flush_delay_us = flush_delay_us;
    const tools::simulate_result result = tools::run_simulation(options, *opened.state,
                                                                *opened.sink);
    writer_report report{.failure = result.failure};
    if (report.failure.empty()) {
        auto closed = opened.sink->writer().close();
        if (closed) {
            report.end_batches = closed->next_batch_number;
        } else {
            report.failure = "close: " + closed.error().message();
        }
    }
    if (!report.failure.empty()) {
        signals.gave_up.store(true, std::memory_order_release);
    } else {
        signals.end_batches.store(report.end_batches, std::memory_order_release);
    }
    return report;
}

struct follow_report {
    std::string failure;  // the first poll that failed (a torn or damaged batch), or stuck
    std::uint64_t polls = 0;
    std::uint64_t polls_applying_while_writing = 0;  // the writer had not closed yet
    std::uint64_t batches = 0;
};

// One poll; false (and the failure recorded) when it fails.
bool poll_once(projections::follower& f, bool writing, follow_report& report) {
    auto polled = f.poll();
    report.polls++;
    if (!polled) {
        report.failure = "poll " + std::to_string(report.polls) + " at batch " +
                         std::to_string(f.next_batch_number()) + ": " + polled.error();
        return false;
    }
    report.batches += polled->batches;
    // A poll reads every batch up to the durable end it read (the manifest's or the hint's):
    // one that stops short met a batch called durable that is not whole in the files, which
    // the reader's checksums turn into a quiet early end rather than an error.
    if (f.next_batch_number() < polled->durable_batches) {
        report.failure = "poll " + std::to_string(report.polls) + " stopped at batch " +
                         std::to_string(f.next_batch_number()) + ", short of the durable end " +
                         std::to_string(polled->durable_batches) + " it read";
        return false;
    }
    if (writing && polled->batches > 0) report.polls_applying_while_writing++;
    if (polled->batches == 0) {
        // Nothing new: wait for the writer's next durable end (its hint's futex, bounded:
        // the manifest may say more than the hint), or only yield before a poll found it.
        if (f.hint() != nullptr) {
            f.hint()->wait_past(f.next_batch_number(), idle_wait_us_max);
        } else {
            std::this_thread::yield();
        }
    }
    return true;
}

// The follower thread: polls until it reached the end the writer published.
follow_report follow_live(projections::follower& f, const writer_signals& signals) {
    follow_report report;
    std::chrono::steady_clock::time_point ended{};
    for (;;) {
        if (signals.gave_up.load(std::memory_order_acquire)) return report;
        const std::uint64_t end = signals.end_batches.load(std::memory_order_acquire);
        const bool writing = end == UINT64_MAX;
        if (!writing) {
            if (f.next_batch_number() == end) return report;
            if (f.next_batch_number() > end) {
                report.failure = "applied batch " + std::to_string(f.next_batch_number()) +
                                 " past the writer's end " + std::to_string(end);
                return report;
            }
            const auto now = std::chrono::steady_clock::now();
            if (ended == std::chrono::steady_clock::time_point{}) ended = now;
            if (now - ended > catch_up_deadline) {
                report.failure = "stuck at batch " + std::to_string(f.next_batch_number()) +
                                 " of " + std::to_string(end);
                return report;
            }
        }
        if (!poll_once(f, writing, report)) return report;
    }
}

std::size_t segment_files(const fs::path& dir) {
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(engine::journal_dir(dir))) {
        if (entry.path().extension() == ".journal") count++;
    }
    return count;
}

void check_same_views(const projections::follower& a, const projections::follower& b) {
    const auto left = a.views();
    const auto right = b.views();
    for (std::size_t i = 0; i < left.size(); ++i) {
        INFO(left[i]->name());
        CHECK(left[i]->position() == right[i]->position());
        CHECK(left[i]->commands() == right[i]->commands());
        CHECK(projections::state_checksum(*left[i]) == projections::state_checksum(*right[i]));
    }
}

}  // namespace

TEST_CASE("follower: tailing a live writer in one process, never a torn batch",
          "[projections][follow][stress]") {
    const test::temp_dir temp("follower_race");
    const fs::path dir = temp.path() / "d";
    engine_writer opened;
    open_writer(dir, opened);
    // Opened before the first batch: it follows the journal from its very start.
    auto live = projections::follower::open(dir);
    REQUIRE(live.has_value());

    writer_signals signals;
    writer_report written;
    follow_report followed;
    std::thread follower_thread([&] { followed = follow_live(*live, signals); });
    std::thread writer_thread([&] { written = write_all(opened, signals); });
    writer_thread.join();
    follower_thread.join();

    INFO("writer: " << written.failure);
    REQUIRE(written.failure.empty());
    INFO("follower: " << followed.failure);
    REQUIRE(followed.failure.empty());
    // It really raced the writer: batches applied over many polls while the writer ran,
    // read up to the hint as well as the manifest, across rollovers.
    CHECK(followed.polls_applying_while_writing >= 2);
    CHECK(live->hint_used_ever());
    CHECK(segment_files(dir) >= 4);
    REQUIRE(live->next_batch_number() == written.end_batches);
    CHECK(followed.batches == written.end_batches);
    CHECK(live->commands() == opened.state->commands);

    // A fresh follower over the finished directory (one catch-up) ends identical.
    auto fresh = projections::follower::open(dir);
    REQUIRE(fresh.has_value());
    while (fresh->next_batch_number() < written.end_batches) {
        auto polled = fresh->poll();
        INFO((polled.has_value() ? std::string() : polled.error()));
        REQUIRE(polled.has_value());
        REQUIRE(polled->batches > 0);
    }
    check_same_views(*live, *fresh);

    // And the availability view equals the engine's aggregates at the same position.
    const nlohmann::json engine_state = nlohmann::json::parse(tools::state_json(*opened.state));
    const nlohmann::json view = nlohmann::json::parse(tools::availability_json(live->seats(), 0));
    REQUIRE(!engine_state.at("conferences").empty());
    CHECK(view.at("conferences") == engine_state.at("conferences"));
}
