#pragma once
// The snapshot store: whole-state snapshots as opaque payloads, each stamped with the
// journal position it covers, so recovery can load the newest one and replay only the
// journal after it. The journal never interprets the payload (the engine encodes it).
//
// Files live in `<data_dir>/snapshots/`, named `snapshot-<next_sequence, 20 digits>.snap`
// so that name order is age order. Layout: journal/SNAPSHOT_FORMAT.md.
//
// Thread: any thread may call these functions; the engine calls them from its snapshot
// thread. They share no state in memory, but a data dir has one snapshot writer at a time:
// write_snapshot and prune_snapshots must not run concurrently on the same dir (prune
// removes the temp files a running write would still be filling).

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "journal/checksum.h"
#include "journal/errc.h"
#include "journal/io/file_system.h"

namespace ordo::journal {

// Largest payload written or read, in bytes. The engine's state at its table limits is of
// this order (2^28 reservations of 64 B); a reader maps the whole file, so the bound also
// caps what a file can make recovery map.
inline constexpr std::uint64_t snapshot_payload_bytes_max = std::uint64_t{16} << 30;
// Retention bounds for prune_snapshots: at least one snapshot is always kept.
inline constexpr std::uint32_t snapshot_keep_min = 1;
inline constexpr std::uint32_t snapshot_keep_max = 1024;

inline constexpr std::uint64_t snapshot_magic = 0x3150'414e'5344'524full;  // "ORDSNAP1" LE
inline constexpr std::uint32_t snapshot_format_version = 1;

// What a snapshot covers: the state after applying batches [0, next_batch_number).
struct snapshot_position {
    std::uint64_t next_batch_number = 0;
    std::uint64_t next_sequence = 0;  // records [0, next_sequence) applied
    std::uint32_t segment_index = 0;  // where the journal continues
    std::uint64_t segment_offset = 0;
    checksum128 previous_header_checksum{};  // chain value for the next batch
    friend bool operator==(const snapshot_position&, const snapshot_position&) = default;
};

// The on-disk header, version 1 (SNAPSHOT_FORMAT.md). Written as raw bytes on a
// little-endian machine: no padding, so every byte is covered by header_checksum.
struct snapshot_header {
    std::uint64_t magic;
    std::uint32_t format_version;
    std::uint32_t segment_index;
    std::uint64_t next_batch_number;
    std::uint64_t next_sequence;
    std::uint64_t segment_offset;
    std::uint64_t payload_bytes;
    checksum128 previous_header_checksum;
    checksum128 payload_checksum;
    checksum128 header_checksum;  // over every header byte before it
};
static_assert(sizeof(snapshot_header) == 96);
static_assert(alignof(snapshot_header) == 8);
static_assert(std::has_unique_object_representations_v<snapshot_header>);
static_assert(std::is_trivially_copyable_v<snapshot_header>);
static_assert(offsetof(snapshot_header, header_checksum) + sizeof(checksum128) ==
              sizeof(snapshot_header));
inline constexpr std::uint64_t snapshot_header_bytes = sizeof(snapshot_header);

// One snapshot file. From list_snapshots, `position` and `payload_bytes` come from the
// header when its checksum holds; when it does not, only `position.next_sequence` is set
// (from the name) and read_snapshot will report the damage.
struct snapshot_info {
    std::filesystem::path path;
    snapshot_position position;
    std::uint64_t payload_bytes = 0;
};

// A snapshot file mapped read-only, whole: recovery checks and decodes the payload straight
// from the page cache, where a read into fresh memory first faulted in and zeroed as many
// bytes as the file holds (host-bound here, 1-3 GB/s) and then copied them. Move-only.
class snapshot_mapping {
public:
    snapshot_mapping() = default;
    snapshot_mapping(const std::byte* data, std::uint64_t bytes) noexcept
        : data_(data), bytes_(bytes) {}
    snapshot_mapping(snapshot_mapping&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
    snapshot_mapping& operator=(snapshot_mapping&& other) noexcept {
        snapshot_mapping moved(std::move(other));
        std::swap(data_, moved.data_);
        std::swap(bytes_, moved.bytes_);
        return *this;
    }
    ~snapshot_mapping();
    std::span<const std::byte> bytes() const noexcept { return {data_, bytes_}; }

private:
    const std::byte* data_ = nullptr;
    std::uint64_t bytes_ = 0;
};

struct loaded_snapshot {
    snapshot_info info;  // from the verified header
    snapshot_mapping file;
    std::span<const std::byte> payload;  // inside `file`, valid as long as it is
};

// A snapshot file's bytes, checked: what it covers and where its payload lies in them.
struct snapshot_view {
    snapshot_position position;
    std::span<const std::byte> payload;  // inside the bytes given
};

// The checks read_snapshot makes, over a whole snapshot file already in memory (`path`
// only names it in errors): the header checksum before any field is believed, magic,
// version, the payload length against the bytes, the name's sequence, then the payload
// checksum. Any bytes at all give a view or damage, never an assertion (the snapshot
// loader's fuzz target drives it, tests/fuzz/).
std::expected<snapshot_view, journal_error> check_snapshot_bytes(
    std::span<const std::byte> file, std::uint64_t name_sequence,
    const std::filesystem::path& path);

// Atomic, through the durable file layer (io::replace_file): writes a temp file in the
// snapshots dir, fdatasyncs it, renames it over the final name and fsyncs the dir. Creates
// the snapshots dir if missing (data_dir must exist), durably. A crash at any point leaves
// either the old set of snapshots plus perhaps a temp file (ignored by list, removed by
// prune) or the new snapshot, durable. `files`: the simulated disk in tests.
std::expected<snapshot_info, journal_error> write_snapshot(
    const std::filesystem::path& data_dir, const snapshot_position& position,
    std::span<const std::byte> payload, io::file_system& files = io::real_file_system());

// A snapshot written while its payload is being produced (the engine's snapshotter streams
// its tables out piece by piece instead of encoding them into one buffer first). The same
// file, names and atomicity as write_snapshot: the payload is appended and checksummed on
// the way, the header (which holds the payload's length and checksum) is written last at
// offset 0 by finish(), which also fdatasyncs the temp file, and the file becomes a snapshot
// only at publish() (rename over the final name, directory fsync). A crash at any point
// before publish() leaves only the temp file; destroying an unpublished stream removes it.
//
// Thread: one thread at a time. Lifecycle: create, append..., finish, publish (or drop).
class snapshot_stream {
public:
    // Creates `<data_dir>/snapshots/` if missing (durably) and the temp file of the snapshot
    // that will cover records [0, next_sequence), through the durable file layer (`files`:
    // the simulated disk in tests; it must outlive the stream).
    static std::expected<snapshot_stream, journal_error> create(
        const std::filesystem::path& data_dir, std::uint64_t next_sequence,
        io::file_system& files = io::real_file_system());
    snapshot_stream(snapshot_stream&& other) noexcept;
    snapshot_stream& operator=(snapshot_stream&&) = delete;
    snapshot_stream(const snapshot_stream&) = delete;
    snapshot_stream& operator=(const snapshot_stream&) = delete;
    ~snapshot_stream();

    // The next payload bytes, in order (at most snapshot_payload_bytes_max in all).
    std::expected<void, journal_error> append(std::span<const std::byte> bytes);
    // Writes the header for `position` (its next_sequence is the one given to create) and
    // fdatasyncs the temp file. Call publish() only once the journal holds the position.
    std::expected<void, journal_error> finish(const snapshot_position& position);
    // Renames the finished temp file over the final name and fsyncs the directory.
    std::expected<snapshot_info, journal_error> publish();

    std::uint64_t payload_bytes() const noexcept { return payload_bytes_; }

private:
    snapshot_stream(std::filesystem::path dir, std::uint64_t next_sequence,
                    io::file_system& files) noexcept;

    std::filesystem::path dir_;
    std::filesystem::path temp_path_;
    std::filesystem::path final_path_;
    std::uint64_t next_sequence_ = 0;
    std::uint64_t payload_bytes_ = 0;
    snapshot_position position_{};
    io::file_system* files_ = nullptr;
    std::unique_ptr<checksum_stream> hash_;  // on the heap: moving a stream keeps it put
    bool finished_ = false;
    bool published_ = false;
};

// Every snapshot file, newest first (by covered sequence). Reads headers, not payloads.
// A missing snapshots dir is an empty list.
std::expected<std::vector<snapshot_info>, journal_error> list_snapshots(
    const std::filesystem::path& data_dir);

// Reads and verifies one snapshot: header checksum before any length is trusted, then the
// payload checksum, then that the name agrees with the header. Trusts only the file, not
// `info.position`. Damage is journal_errc::damaged naming the file and the byte offset.
std::expected<std::vector<std::byte>, journal_error> read_snapshot(const snapshot_info& info);

// One snapshot, verified as read_snapshot does, mapped instead of copied.
std::expected<loaded_snapshot, journal_error> load_snapshot(const snapshot_info& info);

// The newest snapshot that verifies. A damaged (or newer-format) snapshot is skipped for
// the next older one and reported through `skipped`. nullopt when none verifies or none
// exists: the caller replays the whole journal. I/O errors are returned, not skipped.
std::expected<std::optional<loaded_snapshot>, journal_error> load_newest_snapshot(
    const std::filesystem::path& data_dir, std::vector<journal_error>* skipped = nullptr);

// Keeps the newest `keep` snapshots (by name; snapshot_keep_min..snapshot_keep_max),
// deletes the older ones and the temp files of crashed writes.
std::expected<void, journal_error> prune_snapshots(
    const std::filesystem::path& data_dir, std::uint32_t keep,
    io::file_system& files = io::real_file_system());

}  // namespace ordo::journal
