// Tests for journal/reader.h: clean end, torn tails, damage and the torn-tail window rule.

#include "journal/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "journal/verify.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

struct built_journal {
    std::vector<batch_view> batches;  // positions of every batch (bodies not kept)
    std::filesystem::path segment;    // the first segment file
};

// `count` batches of two blocks each whose last byte is record payload (no padding), so a
// tear anywhere in the last block changes the batch.
built_journal build(const temp_dir& tmp, std::uint32_t count) {
    auto w = writer::open(small_options(tmp.journal()), {});
    REQUIRE(w.has_value());
    // body = 8192 - 96 = 8096 = 2 records of 4048 bytes (4040 payload).
    write_batches(**w, std::vector<batch_shape>(count, batch_shape{2, 4040}));
    w->reset();
    built_journal built;
    const read_result read = read_all(tmp.journal());
    REQUIRE(read.batches.size() == count);
    built.batches = read.batches;
    built.segment = segment_paths(tmp.journal()).at(0);
    for (const batch_view& b : built.batches) {
        REQUIRE(batch_disk_bytes(static_cast<std::uint32_t>(b.body.size())) == 8192);
        REQUIRE(b.body.size() == 8096);
    }
    return built;
}

}  // namespace

TEST_CASE("an empty or missing directory is an empty journal") {
    // Proves: open() of a missing or empty directory yields no batches, no tail, position 0.
    temp_dir tmp;
    for (const auto& dir : {tmp.path() / "missing", tmp.path()}) {
        const read_result read = read_all(dir);
        REQUIRE_FALSE(read.error.has_value());
        REQUIRE(read.batches.empty());
        REQUIRE_FALSE(read.tail.has_value());
        REQUIRE(read.position == journal_position{});
    }
}

TEST_CASE("a last batch torn at every byte of its last block is cut as a torn tail") {
    // Proves: for each of the 4096 tear points in the last block of the last batch, recovery
    // returns exactly the batches before it, reports a torn tail (not an error) at that
    // batch's offset, and positions the writer right after the previous batch.
    temp_dir tmp;
    const built_journal built = build(tmp, 6);
    const batch_view& last = built.batches.back();
    const auto original = read_file(built.segment);
    const std::uint64_t last_block = last.segment_offset + 8192 - block_bytes;
    const read_result clean = read_all(tmp.journal());
    auto torn = original;
    for (std::uint32_t cut = 0; cut < block_bytes; ++cut) {
        // Bytes from the tear point on never reached the disk: they are still zeros.
        std::fill(torn.begin() + static_cast<std::ptrdiff_t>(last_block + cut),
                  torn.begin() + static_cast<std::ptrdiff_t>(last_block + block_bytes),
                  std::byte{0});
        write_file(built.segment, torn);
        const read_result read = read_all(tmp.journal());
        REQUIRE_FALSE(read.error.has_value());
        REQUIRE(read.batches.size() == 5);
        REQUIRE(read.tail.has_value());
        REQUIRE(read.tail->segment_offset == last.segment_offset);
        REQUIRE(read.tail->later_batches == 0);
        REQUIRE(read.position.next_batch_number == 5);
        REQUIRE(read.position.segment_offset == last.segment_offset);
        std::copy(original.begin() + static_cast<std::ptrdiff_t>(last_block),
                  original.begin() + static_cast<std::ptrdiff_t>(last_block + block_bytes),
                  torn.begin() + static_cast<std::ptrdiff_t>(last_block));
    }
    write_file(built.segment, original);
    REQUIRE(read_all(tmp.journal()).batches.size() == 6);
    REQUIRE(clean.position.next_batch_number == 6);
}

TEST_CASE("a flipped bit in any header byte or in the body is detected") {
    // Proves: flipping one bit in each of the 96 header bytes and in body bytes of batch 2
    // (with 9 valid batches after it, beyond what could be in flight) is damage: an error
    // naming the segment file and the batch's byte offset. The same flips in the LAST
    // batch are a torn tail: recovery keeps the batches before it and does not fail.
    temp_dir tmp;
    const built_journal built = build(tmp, 12);
    const auto original = read_file(built.segment);
    const std::uint64_t middle = built.batches[2].segment_offset;
    const std::uint64_t last = built.batches.back().segment_offset;
    std::vector<std::uint64_t> offsets;
    for (std::uint64_t i = 0; i < batch_header_bytes; ++i) offsets.push_back(i);
    for (std::uint64_t i = batch_header_bytes; i < 8192; i += 97) offsets.push_back(i);
    offsets.push_back(8191);
    for (const std::uint64_t at : offsets) {
        auto flipped = original;
        flipped[middle + at] ^= static_cast<std::byte>(1u << (at % 8));
        write_file(built.segment, flipped);
        const read_result read = read_all(tmp.journal());
        INFO("flipped byte " << at << " of batch 2");
        REQUIRE(read.error.has_value());
        REQUIRE(read.error->code == journal_errc::damaged);
        REQUIRE(read.error->path == built.segment.string());
        REQUIRE(read.error->offset == middle);
        REQUIRE(read.batches.size() == 2);

        flipped = original;
        flipped[last + at] ^= static_cast<std::byte>(1u << (at % 8));
        write_file(built.segment, flipped);
        const read_result tail = read_all(tmp.journal());
        INFO("flipped byte " << at << " of the last batch");
        REQUIRE_FALSE(tail.error.has_value());
        REQUIRE(tail.batches.size() == 11);
        REQUIRE(tail.tail.has_value());
        REQUIRE(tail.tail->segment_offset == last);
    }
    write_file(built.segment, original);
}

TEST_CASE("a missing middle batch breaks the chain and is detected") {
    // Proves: zeroing batch 3, or removing it (later batches moved down over it), is damage
    // at batch 3's offset when more batches follow than could have been in flight.
    temp_dir tmp;
    const built_journal built = build(tmp, 12);
    const auto original = read_file(built.segment);
    const std::uint64_t at = built.batches[3].segment_offset;

    auto zeroed = original;
    std::fill(zeroed.begin() + static_cast<std::ptrdiff_t>(at),
              zeroed.begin() + static_cast<std::ptrdiff_t>(at + 8192), std::byte{0});
    write_file(built.segment, zeroed);
    read_result read = read_all(tmp.journal());
    REQUIRE(read.error.has_value());
    REQUIRE(read.error->code == journal_errc::damaged);
    REQUIRE(read.error->offset == at);
    REQUIRE(read.batches.size() == 3);

    auto removed = original;
    removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(at),
                  removed.begin() + static_cast<std::ptrdiff_t>(at + 8192));
    removed.resize(original.size());
    write_file(built.segment, removed);
    read = read_all(tmp.journal());
    REQUIRE(read.error.has_value());
    REQUIRE(read.error->code == journal_errc::damaged);
    REQUIRE(read.error->offset == at);
    REQUIRE(read.error->detail.find("unexpected batch number") != std::string::npos);
}

TEST_CASE("one torn batch followed by complete in-flight batches is a torn tail") {
    // Proves: with batches 0..7 durable, batch 8 torn and batches 9 and 10 complete (all
    // three in flight at the crash), recovery keeps 0..7, reports the tail at batch 8 with
    // two later batches cut; a writer reopened there zeroes them, and after new batches the
    // journal reads back whole with no trace of the stale ones.
    temp_dir tmp;
    const built_journal built = build(tmp, 11);
    auto bytes = read_file(built.segment);
    const std::uint64_t torn_at = built.batches[8].segment_offset;
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(torn_at + 5000),
              bytes.begin() + static_cast<std::ptrdiff_t>(torn_at + 8192), std::byte{0});
    write_file(built.segment, bytes);
    const read_result read = read_all(tmp.journal());
    REQUIRE_FALSE(read.error.has_value());
    REQUIRE(read.batches.size() == 8);
    REQUIRE(read.tail.has_value());
    REQUIRE(read.tail->segment_offset == torn_at);
    REQUIRE(read.tail->later_batches == 2);
    REQUIRE(read.tail->detail == "body checksum mismatch");
    {
        auto w = writer::open(small_options(tmp.journal()), read.position);
        REQUIRE(w.has_value());
        write_batches(**w, std::vector<batch_shape>(1, batch_shape{1, 8}));
    }
    const read_result after = read_all(tmp.journal());
    REQUIRE_FALSE(after.error.has_value());
    REQUIRE(after.batches.size() == 9);
    REQUIRE_FALSE(after.tail.has_value());
    REQUIRE(after.payloads_match);
}

TEST_CASE("a torn batch with a valid batch beyond the in-flight count is damage") {
    // Proves: batch 8 torn while batch 12 (8 + batches_in_flight_max) is valid cannot be a
    // crash of in-flight batches: the reader reports damage at batch 8 instead of cutting.
    temp_dir tmp;
    const built_journal built = build(tmp, 13);
    auto bytes = read_file(built.segment);
    const std::uint64_t torn_at = built.batches[8].segment_offset;
    bytes[torn_at + 100] ^= std::byte{0x40};
    write_file(built.segment, bytes);
    const read_result read = read_all(tmp.journal());
    REQUIRE(read.error.has_value());
    REQUIRE(read.error->code == journal_errc::damaged);
    REQUIRE(read.error->offset == torn_at);
    REQUIRE(read.error->message().find("valid batch 12") != std::string::npos);
}

TEST_CASE("a gap in segment indexes is damage") {
    // Proves: deleting a middle segment file makes open() fail with damage naming the gap.
    temp_dir tmp;
    write_journal(tmp.journal(), std::vector<batch_shape>(40, batch_shape{8, 12000}));
    auto paths = segment_paths(tmp.journal());
    REQUIRE(paths.size() >= 3);
    std::filesystem::remove(paths[1]);
    auto opened = reader::open(tmp.journal());
    REQUIRE_FALSE(opened.has_value());
    REQUIRE(opened.error().code == journal_errc::damaged);
    REQUIRE(opened.error().detail.find("segment 1 is missing") != std::string::npos);
}

TEST_CASE("reading can start from a position after a snapshot") {
    // Proves: open(dir, position) continues the chain from that position and returns only
    // the batches after it.
    temp_dir tmp;
    const built_journal built = build(tmp, 10);
    auto opened = reader::open(tmp.journal());
    REQUIRE(opened.has_value());
    for (int i = 0; i < 4; ++i) REQUIRE(opened->next().value().has_value());
    const journal_position middle = opened->position();
    const read_result rest = read_all(tmp.journal(), middle);
    REQUIRE_FALSE(rest.error.has_value());
    REQUIRE(rest.batches.size() == 6);
    REQUIRE(rest.batches.front().batch_number == 4);
    journal_position wrong = middle;
    wrong.previous_header_checksum.low ^= 1;
    const read_result broken = read_all(tmp.journal(), wrong);
    REQUIRE(broken.error.has_value());
    REQUIRE(broken.error->code == journal_errc::damaged);
    REQUIRE(built.batches.size() == 10);
}

TEST_CASE("kept segments keep earlier batch views readable") {
    // Proves: after keep_mapped_segments(2), the body of a batch stays readable (and equal
    // to what it was) until two more segments have been mapped; by default it would be
    // unmapped when the next segment is (reading it then would fault).
    temp_dir tmp;
    write_journal(tmp.journal(), std::vector<batch_shape>(40, batch_shape{8, 12000}));
    REQUIRE(segment_paths(tmp.journal()).size() >= 4);
    auto opened = reader::open(tmp.journal());
    REQUIRE(opened.has_value());
    opened->keep_mapped_segments(2);
    struct seen {
        batch_view view;
        std::vector<std::byte> copy;
    };
    std::vector<seen> batches;
    for (;;) {
        auto next = opened->next();
        REQUIRE(next.has_value());
        if (!next->has_value()) break;
        const batch_view& view = **next;
        batches.push_back({view, std::vector<std::byte>(view.body.begin(), view.body.end())});
        // Every view from this segment and the two before it still reads as it did.
        for (const seen& s : batches) {
            if (s.view.segment_index + 2 < view.segment_index) continue;
            REQUIRE(std::equal(s.view.body.begin(), s.view.body.end(), s.copy.begin()));
        }
    }
    REQUIRE(batches.size() == 40);
    REQUIRE(batches.back().view.segment_index >= 3);
}

TEST_CASE("before the manifest's durable end, a flipped bit in the last batches is damage") {
    // Proves: with the durable end recorded after the last batch (a clean close), a flipped
    // bit in any of the last four batches, which the torn-tail rule alone cuts as a torn
    // tail, is damage naming the segment and the batch's offset; without the manifest it
    // is still cut as before.
    temp_dir tmp;
    const built_journal built = build(tmp, 12);
    const read_result clean = read_all(tmp.journal());
    const journal_expectations expected{.segment_count = 1, .durable_end = clean.position};
    REQUIRE_FALSE(read_all(tmp.journal(), {}, expected).error.has_value());
    const auto original = read_file(built.segment);
    for (std::size_t b = 8; b < 12; ++b) {
        const std::uint64_t at = built.batches[b].segment_offset + 3000;
        auto flipped = original;
        flipped[at] ^= std::byte{0x10};
        write_file(built.segment, flipped);
        INFO("batch " << b);
        const read_result bare = read_all(tmp.journal());
        REQUIRE_FALSE(bare.error.has_value());
        REQUIRE(bare.batches.size() == b);
        REQUIRE(bare.tail.has_value());
        const read_result checked = read_all(tmp.journal(), {}, expected);
        REQUIRE(checked.error.has_value());
        REQUIRE(checked.error->code == journal_errc::damaged);
        REQUIRE(checked.error->path == built.segment.string());
        REQUIRE(checked.error->offset == built.batches[b].segment_offset);
        REQUIRE(checked.error->detail.find("before the durable end") != std::string::npos);
    }
    // After the durable end the torn-tail rule still applies: recorded after batch 9, a
    // flip in batch 11 is cut.
    write_file(built.segment, original);
    auto scan = reader::open(tmp.journal());
    REQUIRE(scan.has_value());
    for (int i = 0; i < 10; ++i) REQUIRE(scan->next().value().has_value());
    const journal_expectations earlier{.segment_count = 1, .durable_end = scan->position()};
    auto flipped = original;
    flipped[built.batches[11].segment_offset + 3000] ^= std::byte{0x10};
    write_file(built.segment, flipped);
    const read_result cut = read_all(tmp.journal(), {}, earlier);
    REQUIRE_FALSE(cut.error.has_value());
    REQUIRE(cut.batches.size() == 11);
    REQUIRE(cut.tail.has_value());
    write_file(built.segment, original);
}

TEST_CASE("a journal shorter than the durable end or missing a segment is damage") {
    // Proves: with three segments and the durable end in the last, removing the last
    // segment is damage naming the missing segment, and truncating it before the durable
    // end is damage, where without the manifest both read as a clean or torn end; a
    // durable end whose batch is another one (a different chain value) is damage too.
    temp_dir tmp;
    write_journal(tmp.journal(), std::vector<batch_shape>(300, batch_shape{2, 4040}));
    const read_result clean = read_all(tmp.journal());
    REQUIRE(clean.position.segment_index == 2);
    const journal_expectations expected{.segment_count = 3,
                                        .segment_bytes = segment_bytes_min,
                                        .durable_end = clean.position};
    const std::vector<std::filesystem::path> paths = segment_paths(tmp.journal());
    REQUIRE(paths.size() == 3);
    const auto last = read_file(paths[2]);

    std::filesystem::remove(paths[2]);
    REQUIRE_FALSE(read_all(tmp.journal()).error.has_value());
    const read_result missing = read_all(tmp.journal(), {}, expected);
    REQUIRE(missing.error.has_value());
    REQUIRE(missing.error->code == journal_errc::damaged);
    REQUIRE(missing.error->detail.find("segment 2 is missing") != std::string::npos);

    {
        std::ofstream out(paths[2], std::ios::binary);
        out.write(reinterpret_cast<const char*>(last.data()), 10 * 8192);
    }
    const read_result bare = read_all(tmp.journal());
    REQUIRE_FALSE(bare.error.has_value());
    REQUIRE(bare.tail.has_value());  // the segment is cut short
    const read_result shorter = read_all(tmp.journal(), {}, expected);
    REQUIRE(shorter.error.has_value());
    REQUIRE(shorter.error->code == journal_errc::damaged);
    REQUIRE(shorter.error->path == paths[2].string());
    REQUIRE(shorter.error->detail.find("the journal ends before batch") != std::string::npos);

    {
        std::ofstream out(paths[2], std::ios::binary);
        out.write(reinterpret_cast<const char*>(last.data()),
                  static_cast<std::streamsize>(last.size()));
    }
    journal_expectations other = expected;
    other.durable_end.previous_header_checksum.low ^= 1;
    const read_result foreign = read_all(tmp.journal(), {}, other);
    REQUIRE(foreign.error.has_value());
    REQUIRE(foreign.error->code == journal_errc::damaged);
    REQUIRE(foreign.error->detail.find("not the one the manifest records") != std::string::npos);
}

TEST_CASE("a last segment cut short is read as far as it goes; a writer restores its size") {
    // Proves: a last segment cut inside a batch (not a block multiple, shorter than a
    // segment) is not refused: the batches it still holds are read and the rest is a torn
    // tail; a writer opened there gives the segment its size back and continues the chain.
    temp_dir tmp;
    const built_journal built = build(tmp, 6);
    const auto original = read_file(built.segment);
    ::truncate(built.segment.c_str(), static_cast<off_t>(3 * 8192 + 5000));
    const read_result cut = read_all(tmp.journal());
    REQUIRE_FALSE(cut.error.has_value());
    REQUIRE(cut.batches.size() == 3);
    REQUIRE(cut.tail.has_value());
    REQUIRE(cut.tail->segment_offset == 3 * 8192);
    {
        auto w = writer::open(small_options(tmp.journal()), cut.position);
        REQUIRE(w.has_value());
        REQUIRE(std::filesystem::file_size(built.segment) == segment_bytes_min);
        write_batches(**w, std::vector<batch_shape>(4, batch_shape{2, 4040}));
    }
    const read_result after = read_all(tmp.journal());
    REQUIRE_FALSE(after.error.has_value());
    REQUIRE_FALSE(after.tail.has_value());
    REQUIRE(after.batches.size() == 7);
    REQUIRE(after.payloads_match);

    ::truncate(built.segment.c_str(), 0);  // nothing left at all: an empty journal
    const read_result empty = read_all(tmp.journal());
    REQUIRE_FALSE(empty.error.has_value());
    REQUIRE(empty.batches.empty());
}

TEST_CASE("valid batches early in a later segment, after a failure late in one, are damage") {
    // Proves the torn-tail scan reads every later segment from its start: with 4 MiB
    // segments, batch 100 (800 KiB into segment 0) and everything after it in segment 0
    // zeroed, the 100 valid batches at the start of segment 1 make it damage. The scan once
    // started each later segment at the failed batch's offset, missed them, and ended the
    // journal cleanly at batch 100, dropping them.
    temp_dir tmp;
    {
        writer_options options = small_options(tmp.journal());
        options.segment_bytes = 4 * segment_bytes_min;
        auto w = writer::open(options, {});
        REQUIRE(w.has_value());
        write_batches(**w, std::vector<batch_shape>(612, batch_shape{2, 4040}));
    }
    const std::vector<std::filesystem::path> paths = segment_paths(tmp.journal());
    REQUIRE(paths.size() == 2);
    const std::uint64_t failed_at = 100 * 8192;
    auto first = read_file(paths[0]);
    std::fill(first.begin() + failed_at, first.end(), std::byte{0});
    write_file(paths[0], first);
    const read_result read = read_all(tmp.journal());
    REQUIRE(read.error.has_value());
    REQUIRE(read.error->code == journal_errc::damaged);
    REQUIRE(read.error->path == paths[0].string());
    REQUIRE(read.error->offset == failed_at);
    REQUIRE(read.error->detail.find(paths[1].string() + " byte 0 ") != std::string::npos);
}

namespace {

// Pages of `path` in the page cache, one flag a page (mincore on a mapping of our own).
std::vector<bool> cached_pages(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const auto bytes = static_cast<std::size_t>(std::filesystem::file_size(path));
    void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    REQUIRE(map != MAP_FAILED);
    const auto page_bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> flags((bytes + page_bytes - 1) / page_bytes);
    REQUIRE(::mincore(map, bytes, flags.data()) == 0);
    ::munmap(map, bytes);
    std::vector<bool> cached(flags.size());
    for (std::size_t i = 0; i < flags.size(); i++) cached[i] = (flags[i] & 1) != 0;
    return cached;
}

// Drops the file's pages from the page cache; false when some stay (tmpfs keeps them all).
bool evict(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    for (const bool cached : cached_pages(path)) {
        if (cached) return false;
    }
    return true;
}

// Pages cached in [from_bytes, to_bytes).
std::size_t cached_between(const std::filesystem::path& path, std::uint64_t from_bytes,
                           std::uint64_t to_bytes) {
    const auto page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::vector<bool> cached = cached_pages(path);
    std::size_t count = 0;
    for (std::uint64_t page = from_bytes / page_bytes;
         page < std::min<std::uint64_t>(cached.size(), to_bytes / page_bytes); page++) {
        count += cached[page] ? 1 : 0;
    }
    return count;
}

}  // namespace

TEST_CASE("a reader keeping up brings in its segment's pages only as far as the end it is given") {
    // Proves read_ahead_exactly: reading the first batch after it brings no page past the
    // given end into the page cache, where a plain on-demand read (the kernel's read-around
    // on the fault) brings in pages well past it: the blocks a follower read past the
    // durable end before the writer wrote them. Skipped where the file's pages cannot be
    // evicted (tmpfs) or the kernel reads nothing around a fault (no control to compare).
    temp_dir tmp;
    write_journal(tmp.journal(), std::vector<batch_shape>(64, batch_shape{2, 4040}));
    const read_result read = read_all(tmp.journal());
    REQUIRE(read.batches.size() == 64);
    const std::filesystem::path segment = segment_paths(tmp.journal()).at(0);
    const std::uint64_t end_bytes = read.batches[1].segment_offset;  // after batch 0
    const journal_position end{.next_batch_number = 1,
                               .segment_index = 0,
                               .segment_offset = end_bytes};
    const std::uint64_t past_bytes = end_bytes + 8 * 4096;  // from one page past the end
    const std::uint64_t data_bytes = read.batches.back().segment_offset;
    const auto first_batch = [&](bool exact) {
        auto opened = reader::open(tmp.journal(), {}, {}, segment_paging::on_demand);
        REQUIRE(opened.has_value());
        if (exact) opened->read_ahead_exactly(end);
        auto next = opened->next();
        REQUIRE(next.has_value());
        REQUIRE(next->has_value());
        CHECK((**next).batch_number == 0);
    };
    if (!evict(segment)) {
        WARN("the segment's pages cannot be evicted here (tmpfs?): nothing to compare");
        return;
    }
    first_batch(false);
    const std::size_t around = cached_between(segment, past_bytes, data_bytes);
    if (around == 0) {
        WARN("the kernel read nothing around the fault here: nothing to compare");
        return;
    }
    REQUIRE(evict(segment));
    first_batch(true);
    CHECK(cached_between(segment, 0, end_bytes) > 0);
    CHECK(cached_between(segment, past_bytes, data_bytes) == 0);
}
