#include "journal/snapshot_store.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/assert.h"
#include "journal/data_dir.h"
#include "journal/io/file_system.h"
#include "journal/limits.h"

namespace ordo::journal {
namespace {

// The header is written as its in-memory bytes; the format is little-endian.
static_assert(std::endian::native == std::endian::little);
static_assert(snapshot_payload_bytes_max <= std::uint64_t{PTRDIFF_MAX} - snapshot_header_bytes);
static_assert(snapshot_keep_min >= 1);
static_assert(snapshot_keep_min <= snapshot_keep_max);

constexpr std::string_view name_prefix = "snapshot-";
constexpr std::string_view name_suffix = ".snap";
// A temp file is the final name plus this suffix: it cannot parse as a snapshot name,
// so list ignores it, and prune recognises it exactly (it deletes nothing else).
constexpr std::string_view temp_suffix = ".snap.tmp";
constexpr std::size_t name_digits = 20;  // UINT64_MAX has 20 decimal digits
constexpr std::size_t header_checksummed_bytes = offsetof(snapshot_header, header_checksum);

// The one errno mapping of the data directory (journal/io/file_system.h).
journal_error system_error(int error, const std::filesystem::path& path, std::string detail,
                           std::uint64_t offset = 0) {
    return io::error_from_errno(error, path, offset, detail);
}

journal_error damaged(const std::filesystem::path& path, std::uint64_t offset, std::string detail) {
    return journal_error{.code = journal_errc::damaged,
                         .path = path.string(),
                         .offset = offset,
                         .detail = std::move(detail)};
}

std::string snapshot_name(std::uint64_t next_sequence) {
    char digits[name_digits + 1];
    const int written = std::snprintf(digits, sizeof(digits), "%020llu",
                                      static_cast<unsigned long long>(next_sequence));
    ORDO_ASSERT(written == static_cast<int>(name_digits));
    return std::string(name_prefix) + digits + std::string(name_suffix);
}

// The covered sequence when `name` is exactly prefix + 20 digits + suffix, else nullopt.
std::optional<std::uint64_t> parse_name(std::string_view name, std::string_view suffix) {
    if (name.size() != name_prefix.size() + name_digits + suffix.size()) return std::nullopt;
    if (!name.starts_with(name_prefix)) return std::nullopt;
    if (!name.ends_with(suffix)) return std::nullopt;
    const std::string_view digits = name.substr(name_prefix.size(), name_digits);
    ORDO_ASSERT(digits.size() == name_digits);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{}) return std::nullopt;  // above UINT64_MAX
    ORDO_ASSERT(end == digits.data() + digits.size());
    return value;
}

// Owns one descriptor. Failure paths close it here and ignore the result: the first
// error is the one reported. Success paths call close_checked() to see a late EIO.
class file_descriptor {
  public:
    explicit file_descriptor(int fd) noexcept : fd_(fd) {}
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    ~file_descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    // 0 or the errno of close. EINTR still closed the descriptor on Linux: not an error.
    int close_checked() noexcept {
        ORDO_ASSERT(fd_ >= 0);
        const int result = ::close(fd_);
        fd_ = -1;
        if (result == 0) return 0;
        return errno == EINTR ? 0 : errno;
    }

  private:
    int fd_;
};

// Reads up to `size_bytes` at `offset`; fewer only at end of file (the caller decides
// whether that is damage).
std::expected<std::uint64_t, journal_error> read_at(int fd, void* into, std::uint64_t size_bytes,
                                                    std::uint64_t offset,
                                                    const std::filesystem::path& path) {
    ORDO_ASSERT(fd >= 0);
    ORDO_ASSERT(into != nullptr || size_bytes == 0);
    std::uint64_t done_bytes = 0;
    while (done_bytes < size_bytes) {
        const ssize_t result =
            ::pread(fd, static_cast<std::byte*>(into) + done_bytes, size_bytes - done_bytes,
                    static_cast<off_t>(offset + done_bytes));
        if (result < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(system_error(errno, path, "read", offset + done_bytes));
        }
        if (result == 0) break;  // end of file
        done_bytes += static_cast<std::uint64_t>(result);
    }
    ORDO_ASSERT(done_bytes <= size_bytes);
    return done_bytes;
}

snapshot_header make_header(const snapshot_position& position, std::uint64_t payload_bytes,
                            const checksum128& payload_checksum) {
    ORDO_ASSERT(payload_bytes <= snapshot_payload_bytes_max);
    snapshot_header header{.magic = snapshot_magic,
                           .format_version = snapshot_format_version,
                           .segment_index = position.segment_index,
                           .next_batch_number = position.next_batch_number,
                           .next_sequence = position.next_sequence,
                           .segment_offset = position.segment_offset,
                           .payload_bytes = payload_bytes,
                           .previous_header_checksum = position.previous_header_checksum,
                           .payload_checksum = payload_checksum,
                           .header_checksum = {}};
    header.header_checksum = checksum(&header, header_checksummed_bytes);
    ORDO_ASSERT(header.header_checksum != checksum128{});
    return header;
}

snapshot_position position_of(const snapshot_header& header) {
    return snapshot_position{.next_batch_number = header.next_batch_number,
                             .next_sequence = header.next_sequence,
                             .segment_index = header.segment_index,
                             .segment_offset = header.segment_offset,
                             .previous_header_checksum = header.previous_header_checksum};
}

// Checks a header read from `path` (of `file_bytes`), checksum first: no field, length
// included, is believed before it holds.
std::expected<void, journal_error> verify_header(const snapshot_header& header,
                                                 const std::filesystem::path& path,
                                                 std::uint64_t file_bytes,
                                                 std::uint64_t name_sequence) {
    ORDO_ASSERT(file_bytes >= snapshot_header_bytes);  // the caller read a whole header
    if (checksum(&header, header_checksummed_bytes) != header.header_checksum) {
        return std::unexpected(damaged(path, 0, "header checksum mismatch"));
    }
    if (header.magic != snapshot_magic) {
        return std::unexpected(damaged(path, 0, "not a snapshot file (magic)"));
    }
    if (header.format_version != snapshot_format_version) {
        return std::unexpected(
            journal_error{.code = journal_errc::format_version,
                          .path = path.string(),
                          .offset = offsetof(snapshot_header, format_version),
                          .detail = "format version " + std::to_string(header.format_version)});
    }
    // Where the journal continues must be a place a reader can start: a whole block
    // inside a segment index that can exist (reader::open asserts the first).
    if (header.segment_offset % block_bytes != 0 || header.segment_index > segment_index_max) {
        return std::unexpected(damaged(path, offsetof(snapshot_header, segment_index),
                                       "journal position is not a block of a segment"));
    }
    if (header.payload_bytes > snapshot_payload_bytes_max) {
        return std::unexpected(damaged(path, offsetof(snapshot_header, payload_bytes),
                                       "payload_bytes above snapshot_payload_bytes_max"));
    }
    const std::uint64_t expected_bytes = snapshot_header_bytes + header.payload_bytes;
    if (file_bytes < expected_bytes) {
        return std::unexpected(
            damaged(path, file_bytes,
                    "truncated: header says " + std::to_string(expected_bytes) + " bytes"));
    }
    if (file_bytes > expected_bytes) {
        return std::unexpected(damaged(path, expected_bytes, "trailing bytes after payload"));
    }
    if (header.next_sequence != name_sequence) {
        return std::unexpected(damaged(path, offsetof(snapshot_header, next_sequence),
                                       "next_sequence " + std::to_string(header.next_sequence) +
                                           " disagrees with the file name"));
    }
    ORDO_ASSERT(header.payload_bytes <= snapshot_payload_bytes_max);
    return {};
}

std::expected<std::uint64_t, journal_error> name_sequence_of(const std::filesystem::path& path) {
    const auto sequence = parse_name(path.filename().native(), name_suffix);
    if (!sequence) {
        return std::unexpected(journal_error{.code = journal_errc::invalid_argument,
                                             .path = path.string(),
                                             .detail = "not a snapshot file name"});
    }
    return *sequence;
}

// Reads the header of the open file `path` and verifies it against the file size and name.
std::expected<snapshot_header, journal_error> read_header(int fd, const std::filesystem::path& path,
                                                          std::uint64_t name_sequence) {
    ORDO_ASSERT(fd >= 0);
    ORDO_ASSERT(name_sequence_of(path) == name_sequence);
    struct stat status {};
    if (::fstat(fd, &status) != 0) return std::unexpected(system_error(errno, path, "fstat"));
    const auto file_bytes = static_cast<std::uint64_t>(status.st_size);
    snapshot_header header{};
    const auto got = read_at(fd, &header, snapshot_header_bytes, 0, path);
    if (!got) return std::unexpected(got.error());
    if (*got < snapshot_header_bytes) {
        return std::unexpected(damaged(path, *got, "truncated inside the header"));
    }
    const auto verified = verify_header(header, path, file_bytes, name_sequence);
    if (!verified) return std::unexpected(verified.error());
    return header;
}

std::expected<int, journal_error> open_for_read(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(system_error(errno, path, "open"));
    return fd;
}

// The whole verified snapshot: header, then payload checksum.
std::expected<loaded_snapshot, journal_error> read_verified(const std::filesystem::path& path) {
    const auto name_sequence = name_sequence_of(path);  // a caller's value: checked first
    if (!name_sequence) return std::unexpected(name_sequence.error());
    const auto fd = open_for_read(path);
    if (!fd) return std::unexpected(fd.error());
    file_descriptor owned(*fd);
    const auto header = read_header(owned.get(), path, *name_sequence);
    if (!header) return std::unexpected(header.error());
    // verify_header checked that the file is exactly the header and the payload.
    const std::uint64_t file_bytes = snapshot_header_bytes + header->payload_bytes;
    void* map = ::mmap(nullptr, file_bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, owned.get(), 0);
    if (map == MAP_FAILED) return std::unexpected(system_error(errno, path, "mmap"));
    ::madvise(map, file_bytes, MADV_SEQUENTIAL);
    snapshot_mapping file(static_cast<const std::byte*>(map), file_bytes);
    // The mapped bytes are checked again, whole, by the function the fuzz target drives.
    const auto view = check_snapshot_bytes(file.bytes(), *name_sequence, path);
    if (!view) return std::unexpected(view.error());
    ORDO_ASSERT(view->payload.size() == header->payload_bytes);
    return loaded_snapshot{.info = {.path = path,
                                    .position = view->position,
                                    .payload_bytes = header->payload_bytes},
                           .file = std::move(file),
                           .payload = view->payload};
}

// What the snapshots dir holds, by name only.
struct dir_listing {
    std::vector<std::pair<std::uint64_t, std::filesystem::path>> snapshots;  // newest first
    std::vector<std::filesystem::path> temps;
};

std::expected<dir_listing, journal_error> scan_dir(io::file_system& files,
                                                   const std::filesystem::path& dir) {
    dir_listing listing;
    auto names = files.list_dir(dir);
    if (!names && names.error().code == journal_errc::not_found) return listing;  // none yet
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
        if (const auto sequence = parse_name(name, name_suffix)) {
            listing.snapshots.emplace_back(*sequence, dir / name);
        } else if (parse_name(name, temp_suffix)) {
            listing.temps.push_back(dir / name);
        }
    }
    std::sort(listing.snapshots.begin(), listing.snapshots.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    // Names are canonical (20 digits), so two files never share a sequence.
    ORDO_ASSERT(std::adjacent_find(listing.snapshots.begin(), listing.snapshots.end(),
                                   [](const auto& a, const auto& b) {
                                       return a.first <= b.first;
                                   }) == listing.snapshots.end());
    return listing;
}

}  // namespace

std::expected<snapshot_view, journal_error> check_snapshot_bytes(
    std::span<const std::byte> file, std::uint64_t name_sequence,
    const std::filesystem::path& path) {
    if (file.size() < snapshot_header_bytes) {
        return std::unexpected(damaged(path, file.size(), "truncated inside the header"));
    }
    snapshot_header header{};
    std::memcpy(&header, file.data(), sizeof(header));
    const auto verified = verify_header(header, path, file.size(), name_sequence);
    if (!verified) return std::unexpected(verified.error());
    const std::span<const std::byte> payload = file.subspan(snapshot_header_bytes);
    ORDO_ASSERT(payload.size() == header.payload_bytes);  // verify_header: exact length
    if (checksum(payload) != header.payload_checksum) {
        return std::unexpected(damaged(path, snapshot_header_bytes, "payload checksum mismatch"));
    }
    return snapshot_view{.position = position_of(header), .payload = payload};
}

std::expected<snapshot_info, journal_error> write_snapshot(const std::filesystem::path& data_dir,
                                                           const snapshot_position& position,
                                                           std::span<const std::byte> payload,
                                                           io::file_system& files) {
    if (payload.size() > snapshot_payload_bytes_max) {
        return std::unexpected(journal_error{.code = journal_errc::invalid_argument,
                                             .path = data_dir.string(),
                                             .detail = "snapshot payload of " +
                                                       std::to_string(payload.size()) +
                                                       " bytes above snapshot_payload_bytes_max"});
    }
    if (data_dir.empty()) {
        return std::unexpected(
            journal_error{.code = journal_errc::invalid_argument, .detail = "empty data dir"});
    }
    ORDO_ASSERT(payload.data() != nullptr || payload.empty());
    const std::filesystem::path dir = data_dir_layout::snapshots(data_dir);
    // One level: the data dir must exist. A new snapshots/ is durable once data_dir is synced.
    auto made = files.make_dir(dir);
    if (!made) return std::unexpected(made.error());
    if (*made) {
        if (auto synced = files.sync_dir(io::directory_of(dir)); !synced) {
            return std::unexpected(synced.error());
        }
    }
    const snapshot_header header = make_header(position, payload.size(), checksum(payload));
    const std::string name = snapshot_name(position.next_sequence);
    const std::filesystem::path final_path = dir / name;
    ORDO_ASSERT(parse_name(name + ".tmp", temp_suffix) == position.next_sequence);
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(&header, 1)), payload};
    // The temp file is the final name + ".tmp" (SNAPSHOT_FORMAT.md): replace_file's.
    if (auto replaced = io::replace_file(files, final_path, parts); !replaced) {
        return std::unexpected(replaced.error());
    }
    return snapshot_info{.path = final_path, .position = position, .payload_bytes = payload.size()};
}

snapshot_stream::snapshot_stream(std::filesystem::path dir, std::uint64_t next_sequence,
                                 io::file_system& files) noexcept
    : dir_(std::move(dir)),
      next_sequence_(next_sequence),
      files_(&files),
      hash_(std::make_unique<checksum_stream>()) {
    const std::string name = snapshot_name(next_sequence);
    final_path_ = dir_ / name;
    temp_path_ = dir_ / (name + ".tmp");
}

snapshot_stream::snapshot_stream(snapshot_stream&& other) noexcept
    : dir_(std::move(other.dir_)),
      temp_path_(std::move(other.temp_path_)),
      final_path_(std::move(other.final_path_)),
      next_sequence_(other.next_sequence_),
      payload_bytes_(other.payload_bytes_),
      position_(other.position_),
      files_(other.files_),
      hash_(std::move(other.hash_)),
      finished_(other.finished_),
      published_(std::exchange(other.published_, true)) {}  // the moved-from owns no file

snapshot_stream::~snapshot_stream() {
    // Best effort: a temp file left behind is ignored by list and removed by prune.
    if (!published_) static_cast<void>(files_->remove_file(temp_path_));
}

std::expected<snapshot_stream, journal_error> snapshot_stream::create(
    const std::filesystem::path& data_dir, std::uint64_t next_sequence, io::file_system& files) {
    if (data_dir.empty()) {
        return std::unexpected(
            journal_error{.code = journal_errc::invalid_argument, .detail = "empty data dir"});
    }
    std::filesystem::path dir = data_dir_layout::snapshots(data_dir);
    // One level: the data dir must exist. A new snapshots/ is durable once data_dir is synced.
    auto made = files.make_dir(dir);
    if (!made) return std::unexpected(made.error());
    if (*made) {
        if (auto synced = files.sync_dir(io::directory_of(dir)); !synced) {
            return std::unexpected(synced.error());
        }
    }
    ORDO_ASSERT(parse_name(snapshot_name(next_sequence) + ".tmp", temp_suffix) == next_sequence);
    snapshot_stream stream(std::move(dir), next_sequence, files);
    // The header's place: zeros until finish() writes it, so a file cut short by a crash
    // never verifies (its header checksum cannot hold). write_file truncates a temp file a
    // crashed write left behind.
    const snapshot_header placeholder{};
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(&placeholder, 1))};
    if (auto written = files.write_file(stream.temp_path_, parts); !written) {
        return std::unexpected(written.error());
    }
    return stream;
}

std::expected<void, journal_error> snapshot_stream::append(std::span<const std::byte> bytes) {
    ORDO_ASSERT(hash_ != nullptr);
    ORDO_ASSERT(!finished_);
    if (bytes.size() > snapshot_payload_bytes_max - payload_bytes_) {
        return std::unexpected(journal_error{.code = journal_errc::invalid_argument,
                                             .path = temp_path_.string(),
                                             .detail = "snapshot payload above "
                                                       "snapshot_payload_bytes_max"});
    }
    hash_->update(bytes);
    auto written = files_->write_at(temp_path_, snapshot_header_bytes + payload_bytes_, bytes);
    if (!written) return written;
    payload_bytes_ += bytes.size();
    return {};
}

std::expected<void, journal_error> snapshot_stream::finish(const snapshot_position& position) {
    ORDO_ASSERT(hash_ != nullptr);
    ORDO_ASSERT(!finished_);
    ORDO_ASSERT(position.next_sequence == next_sequence_);  // the name says which records
    const snapshot_header header = make_header(position, payload_bytes_, hash_->digest());
    if (auto written = files_->write_at(temp_path_, 0, std::as_bytes(std::span(&header, 1)));
        !written) {
        return written;
    }
    // fdatasync also covers the file size: the file is new, its length is its data.
    if (auto synced = files_->sync_file(temp_path_); !synced) return synced;
    position_ = position;
    finished_ = true;
    return {};
}

std::expected<snapshot_info, journal_error> snapshot_stream::publish() {
    ORDO_ASSERT(finished_);
    ORDO_ASSERT(!published_);
    if (auto renamed = files_->rename_file(temp_path_, final_path_); !renamed) {
        return std::unexpected(renamed.error());
    }
    published_ = true;
    if (auto synced = files_->sync_dir(dir_); !synced) return std::unexpected(synced.error());
    return snapshot_info{
        .path = final_path_, .position = position_, .payload_bytes = payload_bytes_};
}

std::expected<std::vector<snapshot_info>, journal_error> list_snapshots(
    const std::filesystem::path& data_dir) {
    const auto listing = scan_dir(io::real_file_system(), data_dir_layout::snapshots(data_dir));
    if (!listing) return std::unexpected(listing.error());
    std::vector<snapshot_info> infos;
    infos.reserve(listing->snapshots.size());
    for (const auto& [sequence, path] : listing->snapshots) {
        const auto fd = open_for_read(path);
        if (!fd && fd.error().code == journal_errc::not_found) continue;  // pruned meanwhile
        if (!fd) return std::unexpected(fd.error());
        file_descriptor owned(*fd);
        const auto header = read_header(owned.get(), path, sequence);
        if (header) {
            infos.push_back({.path = path,
                             .position = position_of(*header),
                             .payload_bytes = header->payload_bytes});
            continue;
        }
        const journal_errc code = header.error().code;
        if (code != journal_errc::damaged && code != journal_errc::format_version) {
            return std::unexpected(header.error());
        }
        // Listed all the same (named by its file name only): read_snapshot reports why.
        infos.push_back({.path = path, .position = {.next_sequence = sequence}});
    }
    ORDO_ASSERT(infos.size() <= listing->snapshots.size());
    return infos;
}

snapshot_mapping::~snapshot_mapping() {
    if (data_ == nullptr) return;
    const int result = ::munmap(const_cast<std::byte*>(data_), bytes_);
    ORDO_ASSERT(result == 0);
}

std::expected<std::vector<std::byte>, journal_error> read_snapshot(const snapshot_info& info) {
    ORDO_ASSERT(!info.path.empty());
    auto loaded = read_verified(info.path);
    if (!loaded) return std::unexpected(loaded.error());
    ORDO_ASSERT(loaded->payload.size() == loaded->info.payload_bytes);
    return std::vector<std::byte>(loaded->payload.begin(), loaded->payload.end());
}

std::expected<loaded_snapshot, journal_error> load_snapshot(const snapshot_info& info) {
    ORDO_ASSERT(!info.path.empty());
    return read_verified(info.path);
}

std::expected<std::optional<loaded_snapshot>, journal_error> load_newest_snapshot(
    const std::filesystem::path& data_dir, std::vector<journal_error>* skipped) {
    const auto infos = list_snapshots(data_dir);
    if (!infos) return std::unexpected(infos.error());
    for (const snapshot_info& info : *infos) {
        auto loaded = read_verified(info.path);
        if (loaded) {
            ORDO_ASSERT(loaded->info.position.next_sequence == info.position.next_sequence);
            return std::optional<loaded_snapshot>(std::move(*loaded));
        }
        // Damage and newer formats fall back to an older snapshot (the journal replays
        // the difference); a file pruned meanwhile is simply gone. I/O errors stop here.
        const journal_errc code = loaded.error().code;
        if (code != journal_errc::damaged && code != journal_errc::format_version &&
            code != journal_errc::not_found) {
            return std::unexpected(loaded.error());
        }
        if (skipped != nullptr) skipped->push_back(loaded.error());
    }
    return std::optional<loaded_snapshot>{};
}

std::expected<void, journal_error> prune_snapshots(const std::filesystem::path& data_dir,
                                                   std::uint32_t keep, io::file_system& files) {
    if (keep < snapshot_keep_min || keep > snapshot_keep_max) {
        return std::unexpected(journal_error{
            .code = journal_errc::invalid_argument,
            .path = data_dir.string(),
            .detail = "keep " + std::to_string(keep) + " outside snapshot_keep_min.._max"});
    }
    const std::filesystem::path dir = data_dir_layout::snapshots(data_dir);
    const auto listing = scan_dir(files, dir);
    if (!listing) return std::unexpected(listing.error());
    std::vector<std::filesystem::path> doomed = listing->temps;
    for (std::size_t index = keep; index < listing->snapshots.size(); ++index) {
        doomed.push_back(listing->snapshots[index].second);
    }
    for (const std::filesystem::path& path : doomed) {
        if (auto removed = files.remove_file(path); !removed) return removed;
    }
    if (doomed.empty()) return {};
    return files.sync_dir(dir);
}

}  // namespace ordo::journal
