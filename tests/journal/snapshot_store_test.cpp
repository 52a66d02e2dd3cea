// Tests of the snapshot store (journal/snapshot_store.h): round trips, newest-first choice,
// detection of every flipped header byte, payload damage, truncation and misnaming, the
// fallback to an older snapshot, crash leftovers, pruning and the payload limit.

#include "journal/snapshot_store.h"

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "journal/checksum.h"

namespace {

std::vector<std::byte> as_vector(std::span<const std::byte> bytes) {
    return std::vector<std::byte>(bytes.begin(), bytes.end());
}

using namespace ordo::journal;
namespace fs = std::filesystem;

// A fresh data dir under /tmp (same file system as the project), removed afterwards.
class temp_data_dir {
  public:
    temp_data_dir() {
        std::string pattern = (fs::temp_directory_path() / "ordo-snapshot-XXXXXX").string();
        const char* made = ::mkdtemp(pattern.data());
        REQUIRE(made != nullptr);
        path_ = made;
    }
    temp_data_dir(const temp_data_dir&) = delete;
    temp_data_dir& operator=(const temp_data_dir&) = delete;
    ~temp_data_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }
    fs::path snapshots() const { return path_ / "snapshots"; }

  private:
    fs::path path_;
};

// Deterministic, non-repeating bytes so that a misplaced or swapped byte shows.
std::vector<std::byte> make_payload(std::size_t size_bytes, std::uint64_t seed) {
    std::vector<std::byte> bytes(size_bytes);
    std::uint64_t state = seed * 0x9e37'79b9'7f4a'7c15ull + 1;
    for (std::byte& b : bytes) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        b = static_cast<std::byte>(state >> 32);
    }
    return bytes;
}

snapshot_position make_position(std::uint64_t next_sequence) {
    return snapshot_position{.next_batch_number = next_sequence / 3 + 7,
                             .next_sequence = next_sequence,
                             .segment_index = static_cast<std::uint32_t>(next_sequence % 97),
                             .segment_offset = next_sequence * 4096 + 4096,  // whole blocks
                             .previous_header_checksum = checksum(&next_sequence, 8)};
}

std::vector<std::byte> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    return bytes;
}

void write_file(const fs::path& path, std::span<const std::byte> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE(out.good());
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

std::string snapshot_file_name(std::uint64_t next_sequence) {
    char name[64];
    std::snprintf(name, sizeof(name), "snapshot-%020llu.snap",
                  static_cast<unsigned long long>(next_sequence));
    return name;
}

snapshot_info write_ok(const fs::path& data_dir, std::uint64_t next_sequence,
                       std::span<const std::byte> payload) {
    const auto written = write_snapshot(data_dir, make_position(next_sequence), payload);
    REQUIRE(written.has_value());
    return *written;
}

// Rewrites the header of the file at `path` with `edit` applied and a valid checksum.
template <class Edit>
void rewrite_header(const fs::path& path, Edit edit) {
    std::vector<std::byte> bytes = read_file(path);
    REQUIRE(bytes.size() >= sizeof(snapshot_header));
    snapshot_header header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    edit(header);
    header.header_checksum = checksum(&header, offsetof(snapshot_header, header_checksum));
    std::memcpy(bytes.data(), &header, sizeof(header));
    write_file(path, bytes);
}

}  // namespace

TEST_CASE("snapshot_round_trip_payloads_and_positions", "[snapshot]") {
    // Proves that empty, small and multi-MiB payloads come back byte for byte, with every
    // position field, through read_snapshot, list_snapshots and load_newest_snapshot.
    temp_data_dir dir;
    const std::size_t sizes_bytes[] = {0, 1, 17, (3u << 20) + 5};
    std::uint64_t next_sequence = 1000;
    for (const std::size_t size_bytes : sizes_bytes) {
        CAPTURE(size_bytes);
        next_sequence += 1000;
        const std::vector<std::byte> payload = make_payload(size_bytes, next_sequence);
        const snapshot_position position = make_position(next_sequence);
        const snapshot_info info = write_ok(dir.path(), next_sequence, payload);
        CHECK(info.path == dir.snapshots() / snapshot_file_name(next_sequence));
        CHECK(info.position == position);
        CHECK(info.payload_bytes == size_bytes);
        CHECK(fs::file_size(info.path) == sizeof(snapshot_header) + size_bytes);

        const auto read = read_snapshot(info);
        REQUIRE(read.has_value());
        CHECK(*read == payload);

        const auto listed = list_snapshots(dir.path());
        REQUIRE(listed.has_value());
        REQUIRE(!listed->empty());
        CHECK(listed->front().path == info.path);
        CHECK(listed->front().position == position);
        CHECK(listed->front().payload_bytes == size_bytes);

        std::vector<journal_error> skipped;
        const auto loaded = load_newest_snapshot(dir.path(), &skipped);
        REQUIRE(loaded.has_value());
        REQUIRE(loaded->has_value());
        CHECK((*loaded)->info.position == position);
        CHECK((*loaded)->info.payload_bytes == size_bytes);
        CHECK(as_vector((*loaded)->payload) == payload);
        CHECK(skipped.empty());
    }
    // No temp file survives a successful write.
    std::size_t files_count = 0;
    for (const auto& entry : fs::directory_iterator(dir.snapshots())) {
        CHECK(entry.path().extension() == ".snap");
        ++files_count;
    }
    CHECK(files_count == std::size(sizes_bytes));
}

TEST_CASE("snapshot_newest_chosen_among_several", "[snapshot]") {
    // Proves that list orders by covered sequence (not by write order) and that load picks
    // the highest sequence; sequences with different digit counts sort numerically.
    temp_data_dir dir;
    const std::uint64_t sequences[] = {100, 5, 300'000'000'000ull, 42, 99'999};
    for (const std::uint64_t sequence : sequences) {
        write_ok(dir.path(), sequence, make_payload(64 + sequence % 50, sequence));
    }
    const auto listed = list_snapshots(dir.path());
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 5);
    const std::uint64_t expected[] = {300'000'000'000ull, 99'999, 100, 42, 5};
    for (std::size_t index = 0; index < 5; ++index) {
        CHECK((*listed)[index].position == make_position(expected[index]));
        CHECK((*listed)[index].path.filename() == snapshot_file_name(expected[index]));
    }
    const auto loaded = load_newest_snapshot(dir.path());
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->info.position.next_sequence == 300'000'000'000ull);
    CHECK(as_vector((*loaded)->payload) == make_payload(64 + 300'000'000'000ull % 50, 300'000'000'000ull));
}

TEST_CASE("snapshot_flipped_bit_detected_and_older_loaded", "[snapshot]") {
    // Proves that one flipped bit in any header byte (every field) or in the payload makes
    // read_snapshot report damage naming the file and offset, and that load falls back to
    // the older snapshot and reports the damaged one as skipped.
    temp_data_dir dir;
    const std::vector<std::byte> older_payload = make_payload(4096, 10);
    const std::vector<std::byte> newer_payload = make_payload(5000, 20);
    write_ok(dir.path(), 10, older_payload);
    const snapshot_info newer = write_ok(dir.path(), 20, newer_payload);
    const std::vector<std::byte> pristine = read_file(newer.path);

    std::vector<std::size_t> offsets;
    for (std::size_t offset = 0; offset < sizeof(snapshot_header); ++offset) {
        offsets.push_back(offset);
    }
    for (const std::size_t offset : {0u, 1u, 2499u, 4999u}) {
        offsets.push_back(sizeof(snapshot_header) + offset);
    }
    for (const std::size_t offset : offsets) {
        CAPTURE(offset);
        std::vector<std::byte> bytes = pristine;
        bytes[offset] ^= static_cast<std::byte>(1u << (offset % 8));
        write_file(newer.path, bytes);

        const auto read = read_snapshot(newer);
        REQUIRE(!read.has_value());
        CHECK(read.error().code == journal_errc::damaged);
        CHECK(read.error().path == newer.path.string());
        const bool in_header = offset < sizeof(snapshot_header);
        CHECK(read.error().offset == (in_header ? 0 : sizeof(snapshot_header)));
        CHECK(read.error().message().find(newer.path.string()) != std::string::npos);

        std::vector<journal_error> skipped;
        const auto loaded = load_newest_snapshot(dir.path(), &skipped);
        REQUIRE(loaded.has_value());
        REQUIRE(loaded->has_value());
        CHECK((*loaded)->info.position == make_position(10));
        CHECK(as_vector((*loaded)->payload) == older_payload);
        REQUIRE(skipped.size() == 1);
        CHECK(skipped[0].code == journal_errc::damaged);
        CHECK(skipped[0].path == newer.path.string());
    }
    write_file(newer.path, pristine);
    const auto restored = load_newest_snapshot(dir.path());
    REQUIRE(restored.has_value());
    REQUIRE(restored->has_value());
    CHECK(as_vector((*restored)->payload) == newer_payload);
}

TEST_CASE("snapshot_all_damaged_means_full_replay", "[snapshot]") {
    // Proves that when no snapshot verifies, load returns nullopt (replay everything) and
    // reports each damaged file, newest first, and that list still shows them by name.
    temp_data_dir dir;
    const snapshot_info first = write_ok(dir.path(), 7, make_payload(100, 7));
    const snapshot_info second = write_ok(dir.path(), 8, make_payload(100, 8));
    for (const snapshot_info* info : {&first, &second}) {
        std::vector<std::byte> bytes = read_file(info->path);
        bytes[150] ^= std::byte{0x80};
        write_file(info->path, bytes);
    }
    std::vector<journal_error> skipped;
    const auto loaded = load_newest_snapshot(dir.path(), &skipped);
    REQUIRE(loaded.has_value());
    CHECK(!loaded->has_value());
    REQUIRE(skipped.size() == 2);
    CHECK(skipped[0].path == second.path.string());
    CHECK(skipped[1].path == first.path.string());

    // A damaged header still lists, by the sequence in its name only.
    std::vector<std::byte> bytes = read_file(second.path);
    bytes[30] ^= std::byte{0x01};
    write_file(second.path, bytes);
    const auto listed = list_snapshots(dir.path());
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].position == snapshot_position{.next_sequence = 8});
    CHECK((*listed)[0].payload_bytes == 0);
    CHECK((*listed)[1].position == make_position(7));
}

TEST_CASE("snapshot_truncated_or_extended_file_detected", "[snapshot]") {
    // Proves that a file cut anywhere (inside the header or the payload) or with bytes
    // appended is damaged, at the offset where the file ends or should have ended.
    temp_data_dir dir;
    write_ok(dir.path(), 1, make_payload(64, 1));
    const snapshot_info info = write_ok(dir.path(), 2, make_payload(1000, 2));
    const std::vector<std::byte> pristine = read_file(info.path);
    const std::size_t cuts[] = {0, 1, 50, 95, 96, 97, 500, 1095};
    for (const std::size_t cut : cuts) {
        CAPTURE(cut);
        write_file(info.path, std::span(pristine).first(cut));
        const auto read = read_snapshot(info);
        REQUIRE(!read.has_value());
        CHECK(read.error().code == journal_errc::damaged);
        CHECK(read.error().path == info.path.string());
        CHECK(read.error().offset == cut);
        std::vector<journal_error> skipped;
        const auto loaded = load_newest_snapshot(dir.path(), &skipped);
        REQUIRE(loaded.has_value());
        REQUIRE(loaded->has_value());
        CHECK((*loaded)->info.position.next_sequence == 1);
        CHECK(skipped.size() == 1);
    }
    std::vector<std::byte> extended = pristine;
    extended.push_back(std::byte{0});
    write_file(info.path, extended);
    const auto read = read_snapshot(info);
    REQUIRE(!read.has_value());
    CHECK(read.error().code == journal_errc::damaged);
    CHECK(read.error().offset == pristine.size());
}

TEST_CASE("snapshot_name_must_agree_with_header", "[snapshot]") {
    // Proves that a valid snapshot copied under another snapshot's name is refused
    // (offset of next_sequence), and that a name that is not a snapshot name is refused.
    temp_data_dir dir;
    const snapshot_info info = write_ok(dir.path(), 55, make_payload(300, 55));
    const fs::path renamed = dir.snapshots() / snapshot_file_name(56);
    fs::copy_file(info.path, renamed);
    const auto read = read_snapshot(snapshot_info{.path = renamed});
    REQUIRE(!read.has_value());
    CHECK(read.error().code == journal_errc::damaged);
    CHECK(read.error().path == renamed.string());
    CHECK(read.error().offset == offsetof(snapshot_header, next_sequence));

    std::vector<journal_error> skipped;
    const auto loaded = load_newest_snapshot(dir.path(), &skipped);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->info.path == info.path);
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].path == renamed.string());

    const auto odd = read_snapshot(snapshot_info{.path = dir.snapshots() / "snapshot-55.snap"});
    REQUIRE(!odd.has_value());
    CHECK(odd.error().code == journal_errc::invalid_argument);
}

TEST_CASE("snapshot_checksummed_but_invalid_header_refused", "[snapshot]") {
    // Proves the checks after the header checksum: a newer format version is reported as
    // such (and skipped by load), and a payload length above the limit is damage even
    // when the header checksum holds.
    temp_data_dir dir;
    write_ok(dir.path(), 3, make_payload(10, 3));
    const snapshot_info info = write_ok(dir.path(), 4, make_payload(10, 4));

    rewrite_header(info.path, [](snapshot_header& header) { header.format_version = 2; });
    auto read = read_snapshot(info);
    REQUIRE(!read.has_value());
    CHECK(read.error().code == journal_errc::format_version);
    CHECK(read.error().offset == offsetof(snapshot_header, format_version));
    std::vector<journal_error> skipped;
    const auto loaded = load_newest_snapshot(dir.path(), &skipped);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->info.position.next_sequence == 3);
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].code == journal_errc::format_version);

    rewrite_header(info.path, [](snapshot_header& header) {
        header.format_version = snapshot_format_version;
        header.payload_bytes = snapshot_payload_bytes_max + 1;
    });
    read = read_snapshot(info);
    REQUIRE(!read.has_value());
    CHECK(read.error().code == journal_errc::damaged);
    CHECK(read.error().offset == offsetof(snapshot_header, payload_bytes));
}

TEST_CASE("snapshot_temp_leftovers_ignored_and_pruned", "[snapshot]") {
    // Proves that a crash between write and rename (a complete temp file, or a partial
    // one) is invisible to list and load, and that prune removes exactly those temp files.
    temp_data_dir dir;
    const snapshot_info kept = write_ok(dir.path(), 40, make_payload(256, 40));
    const snapshot_info newer = write_ok(dir.path(), 90, make_payload(256, 90));
    const fs::path complete_temp = dir.snapshots() / (snapshot_file_name(90) + ".tmp");
    const fs::path partial_temp = dir.snapshots() / (snapshot_file_name(95) + ".tmp");
    fs::rename(newer.path, complete_temp);  // as if the rename never happened
    write_file(partial_temp, make_payload(37, 1));
    const fs::path foreign = dir.snapshots() / "notes.txt";
    write_file(foreign, make_payload(5, 2));

    const auto listed = list_snapshots(dir.path());
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().path == kept.path);
    std::vector<journal_error> skipped;
    const auto loaded = load_newest_snapshot(dir.path(), &skipped);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->info.position == make_position(40));
    CHECK(skipped.empty());

    REQUIRE(prune_snapshots(dir.path(), 3).has_value());
    CHECK(!fs::exists(complete_temp));
    CHECK(!fs::exists(partial_temp));
    CHECK(fs::exists(kept.path));
    CHECK(fs::exists(foreign));  // not ours: never deleted
}

TEST_CASE("snapshot_prune_keeps_newest", "[snapshot]") {
    // Proves that prune keeps exactly the newest `keep` snapshots, refuses keep outside its
    // limits, and is a no-op on a missing snapshots dir.
    temp_data_dir dir;
    CHECK(prune_snapshots(dir.path(), 2).has_value());
    for (const std::uint64_t sequence : {11u, 44u, 22u, 55u, 33u}) {
        write_ok(dir.path(), sequence, make_payload(32, sequence));
    }
    const auto refused = prune_snapshots(dir.path(), 0);
    REQUIRE(!refused.has_value());
    CHECK(refused.error().code == journal_errc::invalid_argument);
    CHECK(!prune_snapshots(dir.path(), snapshot_keep_max + 1).has_value());
    REQUIRE(list_snapshots(dir.path())->size() == 5);

    REQUIRE(prune_snapshots(dir.path(), 2).has_value());
    const auto listed = list_snapshots(dir.path());
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].position.next_sequence == 55);
    CHECK((*listed)[1].position.next_sequence == 44);
    REQUIRE(prune_snapshots(dir.path(), 2).has_value());
    CHECK(list_snapshots(dir.path())->size() == 2);
    REQUIRE(prune_snapshots(dir.path(), 1).has_value());
    REQUIRE(list_snapshots(dir.path())->size() == 1);
    CHECK(list_snapshots(dir.path())->front().position.next_sequence == 55);
}

TEST_CASE("snapshot_missing_dir_means_none", "[snapshot]") {
    // Proves that a data dir without snapshots/ is "no snapshot" (full replay), not an
    // error, and that writing into a missing data dir is not_found with its errno.
    temp_data_dir dir;
    std::vector<journal_error> skipped;
    const auto loaded = load_newest_snapshot(dir.path(), &skipped);
    REQUIRE(loaded.has_value());
    CHECK(!loaded->has_value());
    CHECK(skipped.empty());
    const auto listed = list_snapshots(dir.path());
    REQUIRE(listed.has_value());
    CHECK(listed->empty());

    // A trailing separator on the data dir is the same dir.
    const auto slashed = write_snapshot(dir.path().string() + "/", make_position(2), {});
    REQUIRE(slashed.has_value());
    CHECK(slashed->path == dir.snapshots() / snapshot_file_name(2));
    CHECK(fs::exists(dir.snapshots() / snapshot_file_name(2)));

    const fs::path missing = dir.path() / "absent";
    const auto written = write_snapshot(missing, make_position(1), make_payload(8, 1));
    REQUIRE(!written.has_value());
    CHECK(written.error().code == journal_errc::not_found);
    CHECK(written.error().system_errno == ENOENT);
    CHECK(written.error().path == (missing / "snapshots").string());
}

TEST_CASE("snapshot_payload_over_limit_rejected", "[snapshot]") {
    // Proves that a payload one byte above snapshot_payload_bytes_max is refused before any
    // byte is touched or any file made. The span is over reserved, untouched memory.
    temp_data_dir dir;
    const std::size_t size_bytes = snapshot_payload_bytes_max + 1;
    void* memory =
        ::mmap(nullptr, size_bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    REQUIRE(memory != MAP_FAILED);
    const std::span<const std::byte> payload(static_cast<const std::byte*>(memory), size_bytes);
    const auto written = write_snapshot(dir.path(), make_position(9), payload);
    ::munmap(memory, size_bytes);
    REQUIRE(!written.has_value());
    CHECK(written.error().code == journal_errc::invalid_argument);
    CHECK(!fs::exists(dir.snapshots()));
    const auto loaded = load_newest_snapshot(dir.path());
    REQUIRE(loaded.has_value());
    CHECK(!loaded->has_value());
}

TEST_CASE("snapshot_write_64_mib_timing", "[.][timing]") {
    // Measures (hidden: run by name) one write+fdatasync+rename+dir fsync of 64 MiB, and
    // checks it reads back.
    temp_data_dir dir;
    const std::vector<std::byte> payload = make_payload(64u << 20, 64);
    const auto start = std::chrono::steady_clock::now();
    const snapshot_info info = write_ok(dir.path(), 64, payload);
    const auto write_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    const auto read_start = std::chrono::steady_clock::now();
    const auto read = read_snapshot(info);
    const auto read_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - read_start);
    REQUIRE(read.has_value());
    CHECK(*read == payload);
    WARN("64 MiB snapshot: write+fsync " << write_us.count() << " us, read+verify "
                                         << read_us.count() << " us");
}

TEST_CASE("snapshot_stream_written_in_pieces_reads_back_and_appears_only_when_published",
          "[snapshot]") {
    // A stream's pieces make the same file write_snapshot makes of their concatenation; the
    // snapshot is invisible until publish(), and a dropped stream leaves no file behind.
    temp_data_dir dir;
    const std::vector<std::byte> payload = make_payload(3 * 4096 + 17, 5);
    const snapshot_position position = make_position(777);
    {
        auto stream = snapshot_stream::create(dir.path(), position.next_sequence);
        REQUIRE(stream.has_value());
        for (std::size_t at = 0; at < payload.size(); at += 5000) {
            const std::size_t size = std::min<std::size_t>(5000, payload.size() - at);
            REQUIRE(stream->append(std::span(payload).subspan(at, size)).has_value());
        }
        REQUIRE(stream->finish(position).has_value());
        auto listed = list_snapshots(dir.path());
        REQUIRE(listed.has_value());
        REQUIRE(listed->empty());  // finished, fdatasynced, but not yet a snapshot
        auto published = stream->publish();
        REQUIRE(published.has_value());
        REQUIRE(published->position == position);
        REQUIRE(published->payload_bytes == payload.size());
    }
    auto loaded = load_newest_snapshot(dir.path());
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    REQUIRE((*loaded)->info.position == position);
    REQUIRE(as_vector((*loaded)->payload) == payload);
    {
        auto dropped = snapshot_stream::create(dir.path(), 999);
        REQUIRE(dropped.has_value());
        REQUIRE(dropped->append(payload).has_value());
        REQUIRE(fs::exists(dir.snapshots() / "snapshot-00000000000000000999.snap.tmp"));
    }  // destroyed unpublished: its temp file goes with it
    REQUIRE_FALSE(fs::exists(dir.snapshots() / "snapshot-00000000000000000999.snap.tmp"));
    auto listed = list_snapshots(dir.path());
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 1);
}
