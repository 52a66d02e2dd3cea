// Tests for journal/writer.h on real files: round trips, rollover, reopen, backends.

#include "journal/writer.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>

#include "journal/segment.h"
#include "journal/verify.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

std::vector<batch_shape> mixed_shapes(std::uint32_t count) {
    std::vector<batch_shape> shapes;
    for (std::uint32_t i = 0; i < count; ++i) {
        // 1 record of 8 bytes up to ~100 KiB batches: single-block and multi-block batches.
        shapes.push_back(batch_shape{.record_count = 1 + (i * 7) % 40,
                                     .payload_bytes = 8 + (i * 977) % 2500});
    }
    return shapes;
}

std::uint64_t records_in(const std::vector<batch_shape>& shapes) {
    std::uint64_t total = 0;
    for (const batch_shape& s : shapes) total += s.record_count;
    return total;
}

void check_round_trip(io_backend_kind kind, io_backend_kind expected) {
    temp_dir tmp;
    const auto shapes = mixed_shapes(60);
    journal_position end;
    {
        auto w = writer::open(small_options(tmp.journal(), kind), {});
        REQUIRE(w.has_value());
        REQUIRE((*w)->backend() == expected);
        end = write_batches(**w, shapes);
    }
    const read_result read = read_all(tmp.journal());
    REQUIRE_FALSE(read.error.has_value());
    REQUIRE(read.batches.size() == shapes.size());
    REQUIRE(read.records == records_in(shapes));
    REQUIRE(read.payloads_match);
    REQUIRE_FALSE(read.tail.has_value());
    REQUIRE(read.position == end);
    for (std::size_t i = 0; i < read.batches.size(); ++i) {
        REQUIRE(read.batches[i].batch_number == i);
        REQUIRE(read.batches[i].time_ms == 1000 + i);
    }
}

}  // namespace

TEST_CASE("writer round trip with io_uring and pwrite, rolling over several small segments") {
    // Proves: every batch and record written through either backend reads back in order with
    // its payload, across segment rollover, and the reader ends where the writer stands.
    check_round_trip(io_backend_kind::automatic, io_backend_kind::uring);
    check_round_trip(io_backend_kind::pwrite, io_backend_kind::pwrite);
}

TEST_CASE("rollover names segments by index and first sequence") {
    // Proves: 1 MiB segments fill and roll over; every segment file is named with its index
    // and the sequence of its first record, and verify() counts them all.
    temp_dir tmp;
    std::vector<batch_shape> shapes(40, batch_shape{.record_count = 8, .payload_bytes = 12000});
    {
        auto w = writer::open(small_options(tmp.journal()), {});
        REQUIRE(w.has_value());
        write_batches(**w, shapes);
        REQUIRE((*w)->position().segment_index >= 3);
    }
    const auto paths = segment_paths(tmp.journal());
    REQUIRE(paths.size() >= 4);
    REQUIRE(paths[0].filename() == "segment-000000-00000000000000000000.journal");
    const read_result read = read_all(tmp.journal());
    REQUIRE(read.batches.size() == 40);
    for (const auto& path : paths) {
        const auto parsed = parse_segment_name(path.filename().string());
        REQUIRE(parsed.has_value());
        bool found = false;
        for (const batch_view& b : read.batches) {
            if (b.segment_index == parsed->index && b.segment_offset == 0) {
                REQUIRE(b.first_sequence == parsed->first_sequence);
                found = true;
            }
        }
        REQUIRE(found);
    }
    std::vector<std::uint64_t> progress_batches;  // with no interval: after every batch
    auto report = verify(tmp.journal(), {.call = [&](const verify_report& so_far, double) {
                                             progress_batches.push_back(so_far.batches);
                                         },
                                         .interval_ns = 0});
    REQUIRE(report.has_value());
    REQUIRE(progress_batches.size() == 40);
    REQUIRE(progress_batches.front() == 1);
    REQUIRE(progress_batches.back() == 40);
    REQUIRE(report->segments == paths.size());
    REQUIRE(report->batches == 40);
    REQUIRE(report->records == 320);
    REQUIRE(report->time_ms_first == 1000);
    REQUIRE(report->time_ms_last == 1039);
}

TEST_CASE("a writer reopened at the recovered position continues the chain") {
    // Proves: recover -> reopen -> append three times yields one journal with every batch in
    // order and an unbroken hash chain, in fdatasync and in buffered mode.
    for (const sync_mode mode : {sync_mode::fdatasync, sync_mode::buffered}) {
        temp_dir tmp;
        std::uint64_t total = 0;
        for (int round = 0; round < 3; ++round) {
            const read_result before = read_all(tmp.journal());
            REQUIRE_FALSE(before.error.has_value());
            REQUIRE(before.batches.size() == total);
            writer_options options = small_options(tmp.journal());
            options.sync = mode;
            auto w = writer::open(options, before.position);
            REQUIRE(w.has_value());
            write_batches(**w, mixed_shapes(25));
            total += 25;
        }
        const read_result after = read_all(tmp.journal());
        REQUIRE_FALSE(after.error.has_value());
        REQUIRE(after.batches.size() == total);
        REQUIRE(after.payloads_match);
    }
}

TEST_CASE("a writer opened at a position the journal goes on past is refused, nothing changed") {
    // Proves: a stale tail (the position after an early batch, in the middle of a segment or
    // at the end of one, or the empty position on a written journal) is refused before any
    // byte or file changes, and the journal still reads whole afterwards.
    temp_dir tmp;
    write_journal(tmp.journal(), std::vector<batch_shape>(40, batch_shape{8, 12000}));
    const read_result whole = read_all(tmp.journal());
    REQUIRE_FALSE(whole.error.has_value());
    REQUIRE(whole.batches.size() == 40);
    std::vector<journal_position> stale = {journal_position{}};
    auto reader_at = reader::open(tmp.journal());
    REQUIRE(reader_at.has_value());
    for (std::uint64_t b = 0; b < 40; ++b) {
        REQUIRE(reader_at->next().value().has_value());
        const journal_position after = reader_at->position();
        const bool segment_ends = whole.batches[b + 1 < 40 ? b + 1 : b].segment_index !=
                                  whole.batches[b].segment_index;
        if (b == 5 || (segment_ends && b + 1 < 40)) stale.push_back(after);
    }
    REQUIRE(stale.size() >= 3);  // the empty position, batch 5, and a segment's last batch
    for (const journal_position& at : stale) {
        auto refused = writer::open(small_options(tmp.journal()), at);
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.error().code == journal_errc::invalid_argument);
        CHECK(refused.error().detail.find("goes on past") != std::string::npos);
    }
    const read_result after = read_all(tmp.journal());
    REQUIRE_FALSE(after.error.has_value());
    REQUIRE(after.batches.size() == 40);
    REQUIRE(after.payloads_match);
}

TEST_CASE("poll reports a contiguous durable prefix while batches are in flight") {
    // Proves: poll() never exceeds what was published, never goes backwards, and reaches the
    // published count; claim() keeps at most batches_in_flight batches not durable, also
    // with more buffers than that (the slack of in-process readers).
    const std::uint32_t buffers = GENERATE(0u, batch_buffers_max);
    const io_backend_kind backend =
        GENERATE(io_backend_kind::automatic, io_backend_kind::pwrite);
    INFO("batch_buffers " << buffers << ", pwrite " << (backend == io_backend_kind::pwrite));
    temp_dir tmp;
    writer_options options = small_options(tmp.journal(), backend);
    options.batch_buffers = buffers;
    auto w = writer::open(options, {});
    REQUIRE(w.has_value());
    std::uint64_t last_durable = 0;
    for (std::uint64_t batch = 0; batch < 200; ++batch) {
        auto area = (*w)->claim();
        REQUIRE(area.has_value());
        REQUIRE(area->size() == (*w)->record_bytes_max());
        const std::uint32_t bytes = fill_records(*area, batch, 2, 100);
        REQUIRE((*w)->publish(bytes, 2, batch).value() == batch);
        auto durable = (*w)->poll();
        REQUIRE(durable.has_value());
        REQUIRE(*durable >= last_durable);
        REQUIRE(*durable <= batch + 1);
        REQUIRE(batch + 1 - *durable <= 4);
        last_durable = *durable;
    }
    REQUIRE((*w)->wait_durable(200).value() == 200);
}

TEST_CASE("options outside their limits are refused at the boundary") {
    // Proves: bad sizes and counts come back as invalid_argument, never as a crash.
    temp_dir tmp;
    writer_options options = small_options(tmp.journal());
    options.segment_bytes = 4096;
    REQUIRE(writer::open(options, {}).error().code == journal_errc::invalid_argument);
    options = small_options(tmp.journal());
    options.batches_in_flight = 0;
    REQUIRE(writer::open(options, {}).error().code == journal_errc::invalid_argument);
    options.batches_in_flight = batches_in_flight_max + 1;
    REQUIRE(writer::open(options, {}).error().code == journal_errc::invalid_argument);
    options = small_options(tmp.journal());
    options.batch_buffers = batches_in_flight_max - 1;  // fewer buffers than in flight
    REQUIRE(writer::open(options, {}).error().code == journal_errc::invalid_argument);
    options.batch_buffers = batch_buffers_max + 1;
    REQUIRE(writer::open(options, {}).error().code == journal_errc::invalid_argument);
    options = small_options(tmp.journal());
    options.batch_bytes_max = 5000;
    REQUIRE(writer::open(options, {}).error().code == journal_errc::invalid_argument);
}

namespace {

// Makes io_uring_setup fail with ENOSYS in this process, as kernel.io_uring_disabled=2 or
// a container's seccomp profile does.
bool deny_io_uring() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{.len = static_cast<unsigned short>(std::size(filter)), .filter = filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
    return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

}  // namespace

TEST_CASE("with io_uring denied by seccomp, automatic falls back to pwrite and keeps promises") {
    // Proves: in a child whose io_uring_setup returns ENOSYS, writer::open(automatic) picks
    // pwrite, says so through backend(), writes and syncs 30 batches that the parent then
    // reads back completely; the child also confirms backend uring is refused as unsupported.
    temp_dir tmp;
    const auto shapes = mixed_shapes(30);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (!deny_io_uring()) ::_exit(10);
        writer_options forced = small_options(tmp.journal(), io_backend_kind::uring);
        auto refused = writer::open(forced, {});
        if (refused.has_value()) ::_exit(11);
        if (refused.error().code != journal_errc::unsupported) ::_exit(12);
        auto w = writer::open(small_options(tmp.journal()), {});
        if (!w.has_value()) ::_exit(13);
        if ((*w)->backend() != io_backend_kind::pwrite) ::_exit(14);
        std::uint64_t batch = 0;
        for (const batch_shape& s : shapes) {
            auto area = (*w)->claim();
            if (!area) ::_exit(15);
            const std::uint32_t bytes = fill_records(*area, batch, s.record_count, s.payload_bytes);
            if (!(*w)->publish(bytes, s.record_count, 1000 + batch)) ::_exit(16);
            ++batch;
        }
        auto durable = (*w)->wait_durable(batch);
        if (!durable || *durable != batch) ::_exit(17);
        w->reset();
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    const read_result read = read_all(tmp.journal());
    REQUIRE_FALSE(read.error.has_value());
    REQUIRE(read.batches.size() == shapes.size());
    REQUIRE(read.records == records_in(shapes));
    REQUIRE(read.payloads_match);
}
