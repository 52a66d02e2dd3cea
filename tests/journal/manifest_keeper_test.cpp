// Tests for a writer that keeps DIR/manifest (journal/manifest_keeper.h, writer.h), on the
// simulated disk: the manifest records every segment before any batch in it is reported
// durable, follows the durable end within its interval, records the exact end at close,
// survives crashes; a manifest that cannot be written stops acknowledgements; only the
// holder of the data directory's lock may keep one.

#include "journal/manifest_keeper.h"

#include <cerrno>
#include <chrono>
#include <thread>

#include "journal/data_dir.h"
#include "journal/io/simulated_backend.h"
#include "journal/manifest.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

const std::filesystem::path data = "/sim";
const std::filesystem::path journal_path = "/sim/journal";

struct locked_disk {
    io::simulated_disk disk;
    io::file_lock lock;
    locked_disk() {
        REQUIRE(io::make_dirs_durable(disk, data).has_value());
        auto taken = disk.lock_file(data_dir_layout::lock(data), "pid 1 (test)");
        REQUIRE(taken.has_value());
        lock = std::move(*taken);
    }
};

writer_options keeping_options(locked_disk& d, std::uint32_t interval_ms,
                               const manifest& written = manifest{.segment_bytes =
                                                                      segment_bytes_min}) {
    writer_options options = small_options(journal_path, io_backend_kind::simulated);
    options.simulated_disk = &d.disk;
    options.manifest = manifest_keeping{
        .data_dir = data, .lock = &d.lock, .written = written, .interval_ms = interval_ms};
    return options;
}

manifest current(io::simulated_disk& disk) {
    auto read = read_manifest(data, disk);
    REQUIRE(read.has_value());
    REQUIRE(read->has_value());
    return **read;
}

// One batch of 8 KiB on disk; returns the segment it went to.
std::uint32_t publish_one(writer& w, std::uint64_t batch) {
    auto area = w.claim();
    REQUIRE(area.has_value());
    const std::uint32_t bytes = fill_records(*area, batch, 2, 4040);
    REQUIRE(w.publish(bytes, 2, batch).has_value());
    return w.position().segment_index;
}

}  // namespace

TEST_CASE("a writer's manifest counts every segment before a batch in it is durable") {
    // Proves: at open the manifest counts the tail's segment; at every poll, the segment of
    // the last durable batch is one the manifest counts (the rollover records it before the
    // watermark enters it); the keeper's durable end never runs ahead of the watermark and
    // catches up with it; close() records the exact end as closed; and the manifest read
    // back after a crash makes the reader accept exactly this journal.
    locked_disk d;
    auto w = writer::open(keeping_options(d, 1), {});
    REQUIRE(w.has_value());
    manifest opened = current(d.disk);
    REQUIRE(opened.segment_count == 1);
    REQUIRE(opened.durable_end == journal_position{});
    REQUIRE(opened.write_count == 1);
    std::vector<std::uint32_t> segment_of;
    for (std::uint64_t batch = 0; batch < 300; ++batch) {
        segment_of.push_back(publish_one(**w, batch));
        const std::uint64_t durable = (*w)->poll().value();
        const manifest now = current(d.disk);
        REQUIRE(now.durable_end.next_batch_number <= durable);
        if (durable > 0) REQUIRE(segment_of[durable - 1] < now.segment_count);
    }
    REQUIRE(segment_of.back() == 2);
    REQUIRE((*w)->wait_durable(300).has_value());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (current(d.disk).durable_end.next_batch_number < 300) {
        REQUIRE(std::chrono::steady_clock::now() < until);
        std::this_thread::yield();
    }
    REQUIRE(current(d.disk).state == manifest_state::open);
    const auto closed = (*w)->close();
    REQUIRE(closed.has_value());
    const manifest last = current(d.disk);
    REQUIRE(last.state == manifest_state::closed);
    REQUIRE(last.durable_end == *closed);
    REQUIRE(last.segment_count == 3);
    w->reset();
    d.disk.crash();
    temp_dir tmp;
    d.disk.materialize(journal_path, tmp.journal());
    const read_result read = read_all(tmp.journal(), {}, expectations_of(current(d.disk)));
    REQUIRE_FALSE(read.error.has_value());
    REQUIRE(read.batches.size() == 300);
}

TEST_CASE("reopened after a crash, a writer records the recovered end as durable") {
    // Proves: a writer dropped without close() (a kill) leaves the manifest it last wrote,
    // which the recovered journal satisfies; the next writer's manifest holds the recovered
    // end, counts the segments up to it, continues the write count, and is open again.
    locked_disk d;
    {
        auto w = writer::open(keeping_options(d, manifest_keeper::interval_ms_max), {});
        REQUIRE(w.has_value());
        for (std::uint64_t batch = 0; batch < 150; ++batch) publish_one(**w, batch);
        REQUIRE((*w)->wait_durable(150).has_value());
    }
    d.disk.crash();
    const manifest left = current(d.disk);
    REQUIRE(left.state == manifest_state::open);
    REQUIRE(left.segment_count == 2);  // recorded at the rollover
    temp_dir tmp;
    d.disk.materialize(journal_path, tmp.journal());
    const read_result read = read_all(tmp.journal(), {}, expectations_of(left));
    REQUIRE_FALSE(read.error.has_value());
    REQUIRE(read.batches.size() == 150);
    auto lock = d.disk.lock_file(data_dir_layout::lock(data), "pid 2 (test)");
    REQUIRE(lock.has_value());
    d.lock = std::move(*lock);
    auto w = writer::open(keeping_options(d, 1, left), read.position);
    REQUIRE(w.has_value());
    const manifest reopened = current(d.disk);
    REQUIRE(reopened.durable_end == read.position);
    REQUIRE(reopened.segment_count == read.position.segment_index + 1);
    REQUIRE(reopened.write_count == left.write_count + 1);
    REQUIRE(reopened.state == manifest_state::open);
}

TEST_CASE("a manifest that cannot be written stops acknowledgements") {
    // Proves: when the keeper's periodic write fails (ENOSPC on the temp file), or the
    // rollover's record of a new segment fails (EIO on the directory sync), the writer
    // poisons itself with that error naming the manifest, and no batch of the new segment
    // is ever reported durable.
    SECTION("periodic write") {
        locked_disk d;
        auto w = writer::open(keeping_options(d, 1), {});
        REQUIRE(w.has_value());
        d.disk.set_faults({.fail_file_write_at = d.disk.file_writes() + 1,
                           .file_write_errno = ENOSPC});
        std::optional<journal_error> error;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (std::uint64_t batch = 0; !error.has_value(); ++batch) {
            REQUIRE(std::chrono::steady_clock::now() < until);
            auto area = (*w)->claim();
            if (!area) {
                error = area.error();
                break;
            }
            const std::uint32_t bytes = fill_records(*area, batch, 1, 64);
            if (auto published = (*w)->publish(bytes, 1, batch); !published) {
                error = published.error();
                break;
            }
            if (auto polled = (*w)->poll(); !polled) error = polled.error();
        }
        REQUIRE(error->code == journal_errc::no_space);
        REQUIRE(error->path == data_dir_layout::manifest(data).string() + ".tmp");
        REQUIRE((*w)->poll().error().code == journal_errc::no_space);
    }
    SECTION("rollover") {
        locked_disk d;
        auto w = writer::open(keeping_options(d, manifest_keeper::interval_ms_max), {});
        REQUIRE(w.has_value());
        // The next directory syncs: the segment name's (counted from here), then the
        // manifest's at the rollover: make that one fail.
        d.disk.set_faults({.fail_dir_sync_at = d.disk.dir_syncs() + 2, .dir_sync_errno = EIO});
        std::uint64_t first_in_segment_1 = 0;
        std::optional<journal_error> error;
        for (std::uint64_t batch = 0; batch < 200 && !error.has_value(); ++batch) {
            auto area = (*w)->claim();
            if (!area) {
                error = area.error();
                break;
            }
            const std::uint32_t bytes = fill_records(*area, batch, 2, 4040);
            auto published = (*w)->publish(bytes, 2, batch);
            if (!published) {
                error = published.error();
                break;
            }
            if (first_in_segment_1 == 0 && (*w)->position().segment_index == 1) {
                first_in_segment_1 = batch;
            }
            auto polled = (*w)->poll();
            if (!polled) {
                error = polled.error();
                break;
            }
            if (first_in_segment_1 != 0) REQUIRE(*polled <= first_in_segment_1);
        }
        if (!error.has_value()) error = (*w)->wait_durable(200).error();
        REQUIRE(first_in_segment_1 > 0);
        REQUIRE(error->code == journal_errc::io_error);
        REQUIRE(error->path == data.string());
        w->reset();
        d.disk.crash();  // the new manifest was renamed into place, never made durable
        REQUIRE(current(d.disk).segment_count == 1);
    }
}

TEST_CASE("only the holder of the data directory's lock keeps a manifest") {
    // Proves: manifest keeping without the lock, with a released lock, or with segment
    // sizes that disagree with the manifest's is refused before anything is written.
    locked_disk d;
    writer_options unlocked = keeping_options(d, 1);
    unlocked.manifest->lock = nullptr;
    REQUIRE(writer::open(unlocked, {}).error().code == journal_errc::invalid_argument);
    writer_options other_size = keeping_options(d, 1);
    other_size.manifest->written.segment_bytes = 2 * segment_bytes_min;
    REQUIRE(writer::open(other_size, {}).error().code == journal_errc::invalid_argument);
    d.lock.unlock();
    REQUIRE(writer::open(keeping_options(d, 1), {}).error().code ==
            journal_errc::invalid_argument);
    REQUIRE_FALSE(d.disk.exists(data_dir_layout::manifest(data).string()));
}
