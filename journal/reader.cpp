#include "journal/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/assert.h"
#include "journal/format.h"
#include "journal/io/posix_files.h"
#include "journal/record.h"

namespace ordo::journal {
namespace {

journal_error damage(std::string path, std::uint64_t offset, std::string detail) {
    return journal_error{.code = journal_errc::damaged,
                         .path = std::move(path),
                         .offset = offset,
                         .detail = std::move(detail)};
}

bool all_zero(std::span<const std::byte> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace

reader::reader(reader&& other) noexcept { *this = std::move(other); }

reader& reader::operator=(reader&& other) noexcept {
    if (this == &other) return *this;
    unmap();
    dir_ = std::move(other.dir_);
    segments_ = std::move(other.segments_);
    cursor_ = other.cursor_;
    map_ = std::exchange(other.map_, nullptr);
    map_bytes_ = std::exchange(other.map_bytes_, 0);
    offset_ = other.offset_;
    position_ = other.position_;
    expected_ = other.expected_;
    paging_ = other.paging_;
    exact_read_ahead_ = other.exact_read_ahead_;
    short_segment_bytes_ = other.short_segment_bytes_;
    ended_ = other.ended_;
    tail_ = std::move(other.tail_);
    retired_ = std::move(other.retired_);
    retired_max_ = other.retired_max_;
    memory_ = std::move(other.memory_);
    return *this;
}

reader::~reader() { unmap(); }

void reader::keep_mapped_segments(std::uint32_t segments) noexcept {
    ORDO_ASSERT(segments <= kept_segments_max);
    retired_max_ = segments;
}

void reader::unmap() noexcept {
    for (const mapping& m : retired_) release(m);
    retired_.clear();
    if (map_ == nullptr) return;
    release(mapping{map_, map_bytes_});
    map_ = nullptr;
    map_bytes_ = 0;
}

void reader::release(const mapping& m) const noexcept {
    if (!memory_.empty()) return;  // borrowed bytes, never mapped here
    const int result = ::munmap(const_cast<std::byte*>(m.data), m.bytes);
    ORDO_ASSERT(result == 0);
}

void reader::retire_current() noexcept {
    if (map_ == nullptr) return;
    retired_.push_back(mapping{map_, map_bytes_});
    map_ = nullptr;
    map_bytes_ = 0;
    if (retired_.size() > retired_max_) {
        release(retired_.front());
        retired_.erase(retired_.begin());
    }
}

void reader::read_ahead_exactly(const journal_position& end) noexcept {
    if (map_ == nullptr || !memory_.empty() || paging_ != segment_paging::on_demand) return;
    const std::uint32_t segment = segments_[cursor_].index;
    if (end.segment_index < segment) return;
    if (!exact_read_ahead_) {
        ::madvise(const_cast<std::byte*>(map_), map_bytes_, MADV_RANDOM);
        exact_read_ahead_ = true;
    }
    static const auto page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t from = offset_ / page_bytes * page_bytes;
    const std::uint64_t until =
        end.segment_index == segment ? std::min(end.segment_offset, map_bytes_) : map_bytes_;
    if (until <= from) return;
    const std::uint64_t bytes = (until - from + page_bytes - 1) / page_bytes * page_bytes;
    ::madvise(const_cast<std::byte*>(map_ + from), std::min(bytes, map_bytes_ - from),
              MADV_WILLNEED);
}

std::string reader::path_of(std::size_t cursor) const {
    ORDO_ASSERT(cursor < segments_.size());
    return (dir_ / segments_[cursor].name).string();
}

std::expected<reader, journal_error> reader::open(const std::filesystem::path& dir,
                                                  const journal_position& start,
                                                  const journal_expectations& expected,
                                                  segment_paging paging) {
    ORDO_ASSERT(start.segment_offset % block_bytes == 0);
    if (expected.durable_end.next_batch_number > 0) ORDO_ASSERT(expected.segment_count > 0);
    reader result;
    result.dir_ = dir;
    result.position_ = start;
    result.expected_ = expected;
    result.paging_ = paging;
    std::error_code error;
    if (!std::filesystem::exists(dir, error)) {
        if (start.next_batch_number == 0 && expected.segment_count == 0) {
            result.ended_ = true;  // a missing directory is an empty journal
            return result;
        }
        return std::unexpected(io::error_from_errno(ENOENT, dir, 0, "journal directory"));
    }
    auto names = std::vector<std::string>{};
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        names.push_back(entry.path().filename().string());
    }
    if (error) return std::unexpected(io::error_from_errno(error.value(), dir, 0, "list"));
    auto segments = sorted_segments(names, dir);
    if (!segments) return std::unexpected(segments.error());
    if (auto missing = result.check_segment_count(*segments)) return std::unexpected(*missing);
    auto first = std::find_if(segments->begin(), segments->end(), [&](const segment_file& s) {
        return s.index == start.segment_index;
    });
    if (first == segments->end()) {
        if (segments->empty() && start.next_batch_number == 0) {
            result.ended_ = true;
            return result;
        }
        return std::unexpected(damage(dir.string(), 0,
                                      "segment " + std::to_string(start.segment_index) +
                                          " where reading starts is missing"));
    }
    result.segments_.assign(first, segments->end());
    result.offset_ = start.segment_offset;
    if (auto mapped = result.map_segment(0); !mapped) return std::unexpected(mapped.error());
    return result;
}

reader reader::open_memory(std::span<const memory_segment> segments,
                           const journal_position& start) {
    ORDO_ASSERT(start.segment_offset % block_bytes == 0);
    reader result;
    result.position_ = start;
    for (const memory_segment& segment : segments) {
        ORDO_ASSERT(segment.bytes.size() % block_bytes == 0);
        ORDO_ASSERT(segment.index == start.segment_index + result.segments_.size());
        result.segments_.push_back(segment_file{
            .index = segment.index,
            .first_sequence = segment.first_sequence,
            .name = "memory segment " + std::to_string(segment.index)});
        result.memory_.push_back(segment.bytes);
    }
    if (segments.empty()) {
        result.ended_ = true;  // as a directory without segments
        return result;
    }
    result.offset_ = start.segment_offset;
    const auto mapped = result.map_segment(0);
    ORDO_ASSERT(mapped.has_value());  // nothing to open or map
    return result;
}

// Segments [0, segment_count) must all be there (sorted_segments already refused a gap).
std::optional<journal_error> reader::check_segment_count(
    const std::vector<segment_file>& all) const {
    const std::uint32_t count = expected_.segment_count;
    if (count == 0) return std::nullopt;
    std::uint32_t missing = 0;
    if (all.empty() || all.front().index != 0) {
        missing = 0;
    } else if (all.back().index + 1 < count) {
        missing = all.back().index + 1;
    } else {
        return std::nullopt;
    }
    return damage(dir_.string(), 0,
                  "segment " + std::to_string(missing) + " is missing: the manifest records " +
                      std::to_string(count) + " segments (restore it from a backup)");
}

std::expected<void, journal_error> reader::map_segment(std::size_t cursor) {
    ORDO_ASSERT(cursor < segments_.size());
    retire_current();
    cursor_ = cursor;
    exact_read_ahead_ = false;
    if (!memory_.empty()) {
        ORDO_ASSERT(memory_.size() == segments_.size());
        map_ = memory_[cursor].data();
        map_bytes_ = memory_[cursor].size();
        return {};
    }
    const std::string path = path_of(cursor);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(io::error_from_errno(errno, path, 0, "open segment"));
    struct stat status {};
    const int stat_result = ::fstat(fd, &status);
    ORDO_ASSERT(stat_result == 0);
    const auto bytes = static_cast<std::uint64_t>(status.st_size);
    // The last segment may have been cut short (an interrupted copy, a truncation): it is
    // read as far as whole blocks go, and what it lost ends the journal as a torn write
    // would (or is damage, before the durable end). Any other segment must be whole.
    const bool last = cursor + 1 == segments_.size();
    if (!last && (bytes < segment_bytes_min || bytes % block_bytes != 0)) {
        ::close(fd);
        return std::unexpected(damage(path, bytes, "segment size not a block multiple >= 1 MiB"));
    }
    const std::uint64_t mapped_bytes = bytes / block_bytes * block_bytes;
    const bool cut_short = bytes != mapped_bytes || bytes < segment_bytes_min ||
                           (expected_.segment_bytes != 0 && bytes < expected_.segment_bytes);
    if (last && cut_short) short_segment_bytes_ = bytes;
    if (mapped_bytes == 0) {
        ::close(fd);
        return {};  // nothing to read: map_ stays null, map_bytes_ 0
    }
    const int populate = paging_ == segment_paging::populate ? MAP_POPULATE : 0;
    void* map = ::mmap(nullptr, mapped_bytes, PROT_READ, MAP_PRIVATE | populate, fd, 0);
    const int map_errno = errno;
    ::close(fd);
    if (map == MAP_FAILED) return std::unexpected(io::error_from_errno(map_errno, path, 0, "mmap"));
    ::madvise(map, mapped_bytes, MADV_SEQUENTIAL);
    map_ = static_cast<const std::byte*>(map);
    map_bytes_ = mapped_bytes;
    return {};
}

// Returns nullptr when the batch at `offset` passes every paired check, else what failed.
const char* reader::check_batch(std::uint64_t offset, std::uint64_t* disk_bytes) const {
    ORDO_ASSERT(offset % block_bytes == 0);
    ORDO_ASSERT(offset + batch_header_bytes <= map_bytes_);
    const batch_header header = load_batch_header({map_ + offset, batch_header_bytes});
    if (header.magic != batch_magic) return "no batch magic";
    if (header.header_checksum != header_checksum_of(header)) return "header checksum mismatch";
    // Only now is body_bytes trusted.
    if (header.body_bytes > batch_bytes_max - batch_header_bytes) return "body length too big";
    *disk_bytes = batch_disk_bytes(header.body_bytes);
    if (offset + *disk_bytes > map_bytes_) return "batch runs past the segment end";
    const std::span<const std::byte> body{map_ + offset + batch_header_bytes, header.body_bytes};
    if (header.body_checksum != checksum(body)) return "body checksum mismatch";
    return successor_mismatch(header, segments_[cursor_].index, position_);
}

// A writer rolls over when the next batch does not fit, leaving zeros at the end of the
// segment, shorter than one maximal batch and with no batch header in them.
bool reader::zero_tail_of_segment(std::uint64_t offset) const {
    if (cursor_ + 1 >= segments_.size()) return false;
    if (map_bytes_ - offset >= batch_bytes_max) return false;
    return all_zero({map_ + offset, map_bytes_ - offset});
}

std::expected<std::optional<batch_view>, journal_error> reader::next() {
    while (!ended_) {
        if (offset_ + batch_header_bytes > map_bytes_ || zero_tail_of_segment(offset_)) {
            if (cursor_ + 1 >= segments_.size()) return end_at(offset_, nullptr);
            if (auto mapped = map_segment(cursor_ + 1); !mapped) {
                return std::unexpected(mapped.error());
            }
            offset_ = 0;
            continue;
        }
        std::uint64_t disk_bytes = 0;
        if (const char* failed = check_batch(offset_, &disk_bytes)) return end_at(offset_, failed);
        const batch_header header = load_batch_header({map_ + offset_, batch_header_bytes});
        if (header.version != batch_format_version) {
            return std::unexpected(journal_error{.code = journal_errc::format_version,
                                                 .path = path_of(cursor_),
                                                 .offset = offset_,
                                                 .detail = "batch format version " +
                                                           std::to_string(header.version)});
        }
        const std::span<const std::byte> body{map_ + offset_ + batch_header_bytes,
                                              header.body_bytes};
        if (const char* framing = validate_records(body, header.record_count)) {
            return std::unexpected(damage(path_of(cursor_), offset_, framing));
        }
        if (offset_ == 0 && header.first_sequence != segments_[cursor_].first_sequence) {
            return std::unexpected(
                damage(path_of(cursor_), 0, "first sequence differs from the segment name"));
        }
        const batch_view view{.batch_number = header.batch_number,
                              .first_sequence = header.first_sequence,
                              .record_count = header.record_count,
                              .time_ms = header.time_ms,
                              .body = body,
                              .segment_index = header.segment_index,
                              .segment_offset = offset_};
        offset_ += disk_bytes;
        position_ = journal_position{.next_batch_number = header.batch_number + 1,
                                     .next_sequence = header.first_sequence + header.record_count,
                                     .segment_index = header.segment_index,
                                     .segment_offset = offset_,
                                     .previous_header_checksum = header.header_checksum};
        if (position_.next_batch_number == expected_.durable_end.next_batch_number &&
            position_ != expected_.durable_end) {
            ended_ = true;
            return std::unexpected(damage(
                path_of(cursor_), view.segment_offset,
                "batch " + std::to_string(header.batch_number) +
                    " is not the one the manifest records as the last durable batch (another "
                    "position or header checksum): the journal is not the one it describes"));
        }
        return view;
    }
    return std::optional<batch_view>{};
}


// The journal ends (or fails `what`) at `offset` before the durable end the manifest
// records: acknowledged batches are damaged or missing. nullopt when it is past it.
std::optional<journal_error> reader::short_of_durable_end(std::uint64_t offset,
                                                          const char* what) const {
    const std::uint64_t expected = position_.next_batch_number;
    const std::uint64_t durable = expected_.durable_end.next_batch_number;
    if (expected >= durable) return std::nullopt;
    const std::string counted = "the manifest records " + std::to_string(durable) +
                                " durable batches";
    if (what == nullptr) {
        return damage(path_of(cursor_), offset,
                      "the journal ends before batch " + std::to_string(expected) + ", but " +
                          counted + ": acknowledged batches are missing (a segment cut short "
                                    "or removed?)");
    }
    return damage(path_of(cursor_), offset,
                  std::string(what) + " in batch " + std::to_string(expected) + ", before the "
                      "durable end (" + counted + "): damage, not a torn tail (restore the file "
                      "from a backup)");
}

// The first batch at `offset` failed `what` (nullptr: the last segment simply ends). Decides
// clean end, torn tail or damage by the rule of FORMAT.md "Torn tail or damage": every
// self-consistent batch header after the failure must be one that could have been in
// flight with it (batch number within batches_in_flight_max, start within
// torn_window_bytes); anything else proves acknowledged data was lost.
std::expected<std::optional<batch_view>, journal_error> reader::end_at(std::uint64_t offset,
                                                                        const char* what) {
    ORDO_ASSERT(!ended_);
    ended_ = true;
    if (auto short_of = short_of_durable_end(offset, what)) return std::unexpected(*short_of);
    // The journal ends where a cut-short last segment still holds zeros or nothing: what the
    // segment lost is reported as cut (the writer restores its size).
    const bool in_cut_segment = short_segment_bytes_ != 0 && cursor_ + 1 == segments_.size();
    const auto cut_short = [&] {
        tail_ = tail_report{.path = path_of(cursor_),
                            .segment_index = segments_[cursor_].index,
                            .segment_offset = offset,
                            .later_batches = 0,
                            .detail = "the segment is cut short (" +
                                      std::to_string(short_segment_bytes_) + " bytes)"};
        return std::optional<batch_view>{};
    };
    if (what == nullptr) return in_cut_segment ? cut_short() : std::optional<batch_view>{};
    // map_segment moves cursor_: the failed segment is remembered apart.
    const std::size_t failed = cursor_;
    const std::string failed_path = path_of(failed);
    const std::uint32_t failed_index = segments_[failed].index;
    const bool first_block_zero = all_zero({map_ + offset, block_bytes});
    const std::uint64_t expected = position_.next_batch_number;
    std::uint64_t distance_base = 0;  // bytes from the failure to the mapped segment's start
    std::uint32_t later = 0;
    for (std::size_t cursor = failed; cursor < segments_.size(); ++cursor) {
        if (cursor != failed) {
            distance_base += map_bytes_ - (cursor - 1 == failed ? offset : 0);
            if (auto mapped = map_segment(cursor); !mapped) return std::unexpected(mapped.error());
        }
        const std::uint64_t begin = cursor == failed ? offset : 0;
        for (std::uint64_t at = begin; at + batch_header_bytes <= map_bytes_; at += block_bytes) {
            const batch_header h = load_batch_header({map_ + at, batch_header_bytes});
            if (!header_self_consistent(h)) continue;
            if (at == offset && cursor == failed && h.batch_number == expected) continue;
            const std::uint64_t distance = distance_base + at - begin;
            const bool in_window = distance < torn_window_bytes &&
                                   h.batch_number > expected &&
                                   h.batch_number < expected + batches_in_flight_max;
            if (!in_window) {
                return std::unexpected(damage(
                    failed_path, offset,
                    std::string(what) + " in batch " + std::to_string(expected) +
                        ", yet valid batch " + std::to_string(h.batch_number) + " follows at " +
                        path_of(cursor) + " byte " + std::to_string(at) +
                        " (beyond what could have been in flight)"));
            }
            ++later;
        }
    }
    if (first_block_zero && later == 0) {
        if (in_cut_segment) return cut_short();
        return std::optional<batch_view>{};  // clean end
    }
    tail_ = tail_report{.path = failed_path,
                        .segment_index = failed_index,
                        .segment_offset = offset,
                        .later_batches = later,
                        .detail = what};
    return std::optional<batch_view>{};
}

}  // namespace ordo::journal
