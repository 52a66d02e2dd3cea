// Tests for the writer's failure paths on journal/io/simulated_backend.h: EIO, ENOSPC,
// short writes and crashes poison the writer and nothing after a failure is durable.

#include "journal/io/simulated_backend.h"

#include <cerrno>

#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

const std::filesystem::path sim_dir = "/sim/journal";

writer_options sim_options(io::simulated_disk* disk) {
    writer_options options = small_options(sim_dir, io_backend_kind::simulated);
    options.simulated_disk = disk;
    return options;
}

// What recovery reads after the simulated machine crashes: unsynced writes are gone. Any
// error reading it back fails the test.
read_result read_after_crash(io::simulated_disk& disk) {
    disk.crash();
    temp_dir tmp;
    disk.materialize(sim_dir, tmp.journal());
    read_result read = read_all(tmp.journal());
    REQUIRE_FALSE(read.error.has_value());
    return read;
}

struct failure_case {
    const char* name;
    io::simulated_faults faults;
    journal_errc code;
    int system_errno;
};

// Publishes batches until one call fails; returns the durable watermark seen before it.
std::uint64_t publish_until_failure(writer& w, journal_error* error) {
    std::uint64_t durable = 0;
    for (std::uint64_t batch = 0; batch < 50; ++batch) {
        auto area = w.claim();
        if (!area) { *error = area.error(); return durable; }
        const std::uint32_t bytes = fill_records(*area, batch, 3, 200);
        auto published = w.publish(bytes, 3, batch);
        if (!published) { *error = published.error(); return durable; }
        auto polled = w.poll();
        if (!polled) { *error = polled.error(); return durable; }
        durable = *polled;
    }
    FAIL("no failure was injected");
    return durable;
}

}  // namespace

TEST_CASE("EIO and ENOSPC on write and on sync, and short writes, poison the writer") {
    // Proves: for each injected failure at the 6th write or sync, the error names the
    // segment file and errno, every later call returns the same error, the watermark
    // never covered the failed batch, and the durable image holds exactly batches 0..4.
    const failure_case cases[] = {
        {"write EIO", {.fail_write_at = 6, .write_errno = EIO}, journal_errc::io_error, EIO},
        {"write ENOSPC", {.fail_write_at = 6, .write_errno = ENOSPC}, journal_errc::no_space,
         ENOSPC},
        {"sync EIO", {.fail_sync_at = 6, .sync_errno = EIO}, journal_errc::io_error, EIO},
        {"sync ENOSPC", {.fail_sync_at = 6, .sync_errno = ENOSPC}, journal_errc::no_space,
         ENOSPC},
        {"short write", {.short_write_at = 6, .short_write_bytes = 1000},
         journal_errc::short_write, 0},
    };
    for (const failure_case& c : cases) {
        INFO(c.name);
        io::simulated_disk disk;
        auto w = writer::open(sim_options(&disk), {});
        REQUIRE(w.has_value());
        REQUIRE((*w)->backend() == io_backend_kind::simulated);
        disk.set_faults(c.faults);
        journal_error error;
        const std::uint64_t durable = publish_until_failure(**w, &error);
        REQUIRE(durable <= 5);
        REQUIRE(error.code == c.code);
        REQUIRE(error.system_errno == c.system_errno);
        REQUIRE(error.path == (sim_dir / segment_name(0, 0)).string());
        REQUIRE(error.offset == 5 * block_bytes);
        // Poisoned: every later call returns the error; nothing more becomes durable.
        REQUIRE((*w)->poll().error().code == c.code);
        REQUIRE((*w)->claim().error().code == c.code);
        REQUIRE((*w)->publish(8, 1, 0).error().code == c.code);
        REQUIRE((*w)->wait_durable(1).error().code == c.code);
        w->reset();
        const read_result read = read_after_crash(disk);
        REQUIRE(read.batches.size() == 5);
        REQUIRE(read.payloads_match);
    }
}

TEST_CASE("a crash tearing the last unsynced write recovers the synced prefix") {
    // Proves: after batches 0..6 synced and batch 7's sync failed, a crash that keeps the
    // first N bytes of batch 7's write recovers exactly 0..6 when N cuts its header or body
    // (720 bytes: torn tail), 0..7 when only zero padding is missing, and a clean end for
    // N = 0; a writer reopened at the recovered position continues the journal.
    constexpr std::uint32_t batch_used_bytes = 96 + 3 * 208;
    for (const std::uint32_t kept : {0u, 50u, 96u, 700u, 719u, 720u, 4095u}) {
        const bool whole = kept >= batch_used_bytes;
        INFO("kept bytes " << kept);
        io::simulated_disk disk;
        {
            auto w = writer::open(sim_options(&disk), {});
            REQUIRE(w.has_value());
            disk.set_faults({.fail_sync_at = 8, .sync_errno = EIO});
            journal_error error;
            REQUIRE(publish_until_failure(**w, &error) <= 7);
            REQUIRE(error.code == journal_errc::io_error);
        }
        disk.crash(kept);
        disk.set_faults({});
        temp_dir tmp;
        disk.materialize(sim_dir, tmp.journal());
        const read_result read = read_all(tmp.journal());
        REQUIRE_FALSE(read.error.has_value());
        REQUIRE(read.batches.size() == (whole ? 8u : 7u));
        REQUIRE(read.tail.has_value() == (kept > 0 && !whole));
        auto w = writer::open(sim_options(&disk), read.position);
        REQUIRE(w.has_value());
        write_batches(**w, std::vector<batch_shape>(3, batch_shape{2, 64}));
        w->reset();
        temp_dir again;
        disk.materialize(sim_dir, again.journal());
        const read_result after = read_all(again.journal());
        REQUIRE_FALSE(after.error.has_value());
        REQUIRE(after.batches.size() == (whole ? 11u : 10u));
        REQUIRE_FALSE(after.tail.has_value());
    }
}

TEST_CASE("buffered mode loses unsynced batches on crash but never corrupts the prefix") {
    // Proves: with sync_mode::buffered nothing is fsynced, so a power cut (crash) drops every
    // batch; the recovered journal is empty and clean. (Buffered mode survives kill -9,
    // where the page cache persists, not a power cut: see journal/README.md.)
    io::simulated_disk disk;
    {
        writer_options options = sim_options(&disk);
        options.sync = sync_mode::buffered;
        auto w = writer::open(options, {});
        REQUIRE(w.has_value());
        write_batches(**w, std::vector<batch_shape>(5, batch_shape{1, 100}));
        REQUIRE(disk.syncs() == 0);
    }
    const read_result read = read_after_crash(disk);
    REQUIRE(read.batches.empty());
    REQUIRE_FALSE(read.tail.has_value());
}

TEST_CASE("a failed zero fill of the next segment poisons the writer at rollover") {
    // Proves: when the preparer cannot zero the next segment (EIO on its first piece), the
    // rollover that needs it fails with that error naming the prepared file, every later
    // call returns it, and every batch published before it is recovered.
    io::simulated_disk disk;
    auto w = writer::open(sim_options(&disk), {});
    REQUIRE(w.has_value());
    disk.set_faults({.fail_zero_fill_at = 1, .zero_fill_errno = EIO});
    std::uint64_t published = 0;
    std::optional<journal_error> error;
    while (!error.has_value()) {
        REQUIRE(published < 100);  // 1 MiB segments hold about ten of these batches
        auto area = (*w)->claim();
        REQUIRE(area.has_value());
        const std::uint32_t bytes = fill_records(*area, published, 8, 12000);
        auto batch = (*w)->publish(bytes, 8, published);
        if (!batch) {
            error = batch.error();
            break;
        }
        ++published;
    }
    REQUIRE(published >= 5);
    REQUIRE(error->code == journal_errc::io_error);
    REQUIRE(error->system_errno == EIO);
    REQUIRE(error->path == (sim_dir / prepared_segment_name(1)).string());
    REQUIRE((*w)->poll().error().code == journal_errc::io_error);
    REQUIRE((*w)->claim().error().code == journal_errc::io_error);
    w->reset();
    const read_result read = read_after_crash(disk);
    REQUIRE(read.batches.size() == published);
    REQUIRE(read.payloads_match);
}
