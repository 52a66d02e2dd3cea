#pragma once
// Sequential recovery scan of a journal directory (journal/FORMAT.md "Reading"). Each
// segment is mapped read-only with MADV_SEQUENTIAL, so the kernel reads ahead in large
// chunks and checksums run at memory speed over the mapping without copies.
//
// Every batch passes the paired checks in this order: header checksum (before its length
// is trusted), body checksum, segment index == the file's, batch number == expected,
// first sequence == expected, chain == previous header checksum, record framing. The
// first batch that fails ends the journal: a torn tail when only zeros or possibly
// in-flight batches follow within the torn-tail window, damage (an error naming the file
// and byte offset) when anything valid lies beyond it.
//
// Thread: any single thread; a value type (movable). Lifecycle: open(), next() until
// nullopt or an error, then torn_tail() / position() describe where the journal ends.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "journal/checksum.h"
#include "journal/errc.h"
#include "journal/segment.h"
#include "journal/writer.h"

namespace ordo::journal {

struct batch_view {
    std::uint64_t batch_number = 0;
    std::uint64_t first_sequence = 0;
    std::uint32_t record_count = 0;
    std::uint64_t time_ms = 0;
    std::span<const std::byte> body;  // valid until the next call to next()
    std::uint32_t segment_index = 0;
    std::uint64_t segment_offset = 0;
};

// What recovery cut off at the end of the journal.
struct tail_report {
    std::string path;                 // segment file of the first batch that failed
    std::uint32_t segment_index = 0;
    std::uint64_t segment_offset = 0;  // byte offset of that batch
    std::uint32_t later_batches = 0;   // self-consistent batch headers found after it (in
                                       // flight when the crash came; never acknowledged)
    std::string detail;                // which check failed first
};

// How a segment's pages come in when it is mapped.
enum class segment_paging : std::uint8_t {
    // All at once (MAP_POPULATE): a reader going through whole segments (recovery, verify)
    // takes one long read instead of a fault per page.
    populate,
    // As read: a follower tailing a live writer reads only past its position, while the
    // segment's rest is mostly the preparer's zeros, on disk and not in the page cache
    // (O_DIRECT), so populating a fresh segment read 256 MiB at each rollover and stalled
    // the follower for seconds (bench/RESULTS.md).
    on_demand,
};

class reader {
public:
    static std::expected<reader, journal_error> open(
        const std::filesystem::path& dir, const journal_position& start = {},
        const journal_expectations& expected = {},
        segment_paging paging = segment_paging::populate);

    // A segment whose bytes are already in memory (borrowed: they must outlive the reader).
    struct memory_segment {
        std::uint32_t index = 0;
        std::uint64_t first_sequence = 0;
        std::span<const std::byte> bytes;  // a whole number of blocks
    };
    // Reads segments held in memory, with consecutive indexes from start.segment_index,
    // exactly as open() and next() read a directory of segment files: every paired check,
    // torn tail against damage. No file system is touched: this is how the batch decoder
    // is fuzzed (tests/fuzz/), so any bytes at all must end in a batch, the end, a torn
    // tail or an error, never in an assertion.
    static reader open_memory(std::span<const memory_segment> segments,
                              const journal_position& start = {});
    reader(reader&& other) noexcept;
    reader& operator=(reader&& other) noexcept;
    ~reader();

    // The next batch; nullopt at the end (clean or torn tail); an error on damage.
    std::expected<std::optional<batch_view>, journal_error> next();
    // Batch views normally last until the next call to next(). After this call they stay
    // valid until `segments` more segments have been mapped (or the reader goes): a
    // replay applies batches a few behind the thread that reads them (engine/replay.h).
    void keep_mapped_segments(std::uint32_t segments) noexcept;
    static constexpr std::uint32_t kept_segments_max = 16;
    // For a reader keeping up with a live writer (on_demand paging): from now on the mapped
    // segment's pages come in exactly as far as `end` (the durable end just read), with no
    // read-around of the kernel's. Why: the writer's O_DIRECT writes leave nothing in the
    // page cache, so each page a follower touches is read from the disk, and the kernel's
    // read-around on such a fault (8 MiB on this machine's disk, doubled for
    // MADV_SEQUENTIAL) also read megabytes past the durable end: blocks not yet written,
    // which the writer's next writes then had to drop from the cache again. A hint only:
    // reading stays correct whatever the kernel does.
    void read_ahead_exactly(const journal_position& end) noexcept;
    std::optional<tail_report> torn_tail() const { return tail_; }
    // Where a writer continues: after the last good batch.
    journal_position position() const { return position_; }
    std::uint32_t segment_count() const noexcept {
        return static_cast<std::uint32_t>(segments_.size());
    }

private:
    reader() = default;
    std::expected<void, journal_error> map_segment(std::size_t cursor);
    struct mapping {
        const std::byte* data;
        std::uint64_t bytes;
    };
    void unmap() noexcept;  // every mapping, kept ones too
    void release(const mapping& m) const noexcept;  // munmap, unless the bytes are borrowed
    void retire_current() noexcept;  // keeps it if asked to, else releases it
    const char* check_batch(std::uint64_t offset, std::uint64_t* disk_bytes) const;
    bool zero_tail_of_segment(std::uint64_t offset) const;
    std::expected<std::optional<batch_view>, journal_error> end_at(std::uint64_t offset,
                                                                    const char* what);
    std::optional<journal_error> short_of_durable_end(std::uint64_t offset,
                                                      const char* what) const;
    std::optional<journal_error> check_segment_count(
        const std::vector<segment_file>& all) const;
    std::string path_of(std::size_t cursor) const;

    std::filesystem::path dir_;
    std::vector<segment_file> segments_;
    std::size_t cursor_ = 0;                // index into segments_ of the mapped segment
    const std::byte* map_ = nullptr;
    std::uint64_t map_bytes_ = 0;
    std::uint64_t offset_ = 0;              // next batch in the mapped segment
    journal_position position_{};           // after the last good batch
    journal_expectations expected_{};
    segment_paging paging_ = segment_paging::populate;
    bool exact_read_ahead_ = false;  // the mapped segment is MADV_RANDOM (read_ahead_exactly)
    bool ended_ = false;
    std::optional<tail_report> tail_;
    std::uint64_t short_segment_bytes_ = 0;  // the last segment's size, when cut short
    std::vector<mapping> retired_;  // oldest first, at most retired_max_
    std::vector<std::span<const std::byte>> memory_;  // open_memory: by cursor, borrowed
    std::uint32_t retired_max_ = 0;
};

}  // namespace ordo::journal
