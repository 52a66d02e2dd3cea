// Tests for journal/manifest.h: the encoding round-trips; every flipped bit, every cut or
// extended file and every checksummed but inconsistent field is refused with the offset of
// what is wrong (the decoder never asserts, whatever the bytes); reading and writing
// DIR/manifest through the durable file layer survive crashes whole.

#include "journal/manifest.h"

#include <cerrno>
#include <random>

#include "journal/data_dir.h"
#include "journal/io/simulated_backend.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

manifest sample(std::uint64_t batches) {
    manifest value{.write_count = 7,
                   .segment_bytes = 4ull << 20,
                   .segment_count = 3,
                   .state = manifest_state::open,
                   .durable_end = {},
                   .parameters = {16384, 1048576, 0, 0, 0, 0, 0, 0}};
    if (batches > 0) {
        value.durable_end = journal_position{.next_batch_number = batches,
                                             .next_sequence = batches * 5,
                                             .segment_index = 2,
                                             .segment_offset = 12 * block_bytes,
                                             .previous_header_checksum = {.low = 11, .high = 22}};
    }
    return value;
}

// The encoded bytes with the checksum made to hold again after an edit: what a writer with
// a bug (or a newer ordo) would produce, which only the field checks can refuse.
std::array<std::byte, manifest_bytes> resealed(std::array<std::byte, manifest_bytes> bytes) {
    const checksum128 sum = checksum(bytes.data(), manifest_bytes - 16);
    std::memcpy(bytes.data() + manifest_bytes - 16, &sum, sizeof(sum));
    return bytes;
}

template <class T>
std::array<std::byte, manifest_bytes> with_field(const manifest& value, std::size_t offset,
                                                 T field) {
    std::array<std::byte, manifest_bytes> bytes = encode_manifest(value);
    std::memcpy(bytes.data() + offset, &field, sizeof(field));
    return resealed(bytes);
}

}  // namespace

TEST_CASE("a manifest round-trips through its encoding") {
    // Proves: encode then decode gives back every field, for an empty journal and a long
    // one, open and closed.
    for (const std::uint64_t batches : {0ull, 1ull, 123456789ull}) {
        for (const manifest_state state : {manifest_state::open, manifest_state::closed}) {
            manifest value = sample(batches);
            value.state = state;
            const auto bytes = encode_manifest(value);
            const auto decoded = decode_manifest(bytes);
            REQUIRE(decoded.has_value());
            REQUIRE(*decoded == value);
        }
    }
}

TEST_CASE("every flipped bit of a manifest is refused") {
    // Proves: no single-bit change of an encoded manifest decodes (the checksum covers
    // every byte, and a flip in the checksum itself no longer matches).
    const auto bytes = encode_manifest(sample(99));
    for (std::size_t bit = 0; bit < manifest_bytes * 8; ++bit) {
        auto flipped = bytes;
        flipped[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
        const auto decoded = decode_manifest(flipped);
        INFO("bit " << bit);
        REQUIRE_FALSE(decoded.has_value());
        REQUIRE(decoded.error().code == journal_errc::damaged);
    }
}

TEST_CASE("a manifest cut short or extended is refused") {
    // Proves: every length but the exact one is damage (offset: where it goes wrong).
    const auto bytes = encode_manifest(sample(5));
    std::vector<std::byte> longer(bytes.begin(), bytes.end());
    longer.push_back(std::byte{0});
    for (std::size_t size = 0; size <= manifest_bytes + 1; ++size) {
        if (size == manifest_bytes) continue;
        const std::span<const std::byte> cut(longer.data(), size);
        const auto decoded = decode_manifest(cut);
        REQUIRE_FALSE(decoded.has_value());
        REQUIRE(decoded.error().code == journal_errc::damaged);
        REQUIRE(decoded.error().offset == std::min<std::size_t>(size, manifest_bytes));
    }
}

TEST_CASE("checksummed but inconsistent fields are refused with their offset") {
    // Proves: a manifest whose checksum holds is still refused when a field is out of range
    // or disagrees with another (magic, versions, segment size, state, reserved bytes, a
    // durable end without batches or outside the counted segments), naming the field.
    const manifest value = sample(9);
    struct bad {
        const char* what;
        std::array<std::byte, manifest_bytes> bytes;
        journal_errc code;
        std::uint64_t offset;
    };
    const bad cases[] = {
        {"magic", with_field<std::uint64_t>(value, 0, 42), journal_errc::damaged, 0},
        {"format", with_field<std::uint32_t>(value, 8, 2), journal_errc::format_version, 8},
        {"batch format", with_field<std::uint32_t>(value, 12, 2), journal_errc::format_version, 8},
        {"segment bytes", with_field<std::uint64_t>(value, 24, 4097), journal_errc::damaged, 24},
        {"small segment", with_field<std::uint64_t>(value, 24, 4096), journal_errc::damaged, 24},
        {"state", with_field<std::uint32_t>(value, 36, 3), journal_errc::damaged, 36},
        {"reserved", with_field<std::uint32_t>(value, 60, 1), journal_errc::damaged, 60},
        {"end outside segments", with_field<std::uint32_t>(value, 56, 3), journal_errc::damaged,
         56},
        {"records < batches", with_field<std::uint64_t>(value, 48, 8), journal_errc::damaged, 48},
        {"end not on a block", with_field<std::uint64_t>(value, 64, 100), journal_errc::damaged,
         64},
        {"end without batches", with_field<std::uint64_t>(value, 40, 0), journal_errc::damaged,
         40},
    };
    for (const bad& c : cases) {
        INFO(c.what);
        const auto decoded = decode_manifest(c.bytes);
        REQUIRE_FALSE(decoded.has_value());
        REQUIRE(decoded.error().code == c.code);
        REQUIRE(decoded.error().offset == c.offset);
    }
}

TEST_CASE("the manifest decoder takes any bytes without asserting") {
    // Proves: random buffers of random sizes, and random bodies under a valid checksum (so
    // the field checks run), are refused or decoded, never a crash; what decodes encodes
    // back to the same bytes.
    std::mt19937_64 random(15);
    for (int round = 0; round < 20000; ++round) {
        std::array<std::byte, manifest_bytes + 8> buffer;
        for (std::byte& b : buffer) b = static_cast<std::byte>(random());
        const std::size_t size = round % 2 == 0 ? manifest_bytes : random() % buffer.size();
        std::array<std::byte, manifest_bytes> exact;
        std::memcpy(exact.data(), buffer.data(), manifest_bytes);
        if (round % 4 == 0) {
            const std::uint64_t magic = manifest_magic;
            const std::uint32_t versions[2] = {1, 1};
            std::memcpy(exact.data(), &magic, 8);
            std::memcpy(exact.data() + 8, versions, 8);
            exact = resealed(exact);
            std::memcpy(buffer.data(), exact.data(), manifest_bytes);
        }
        const auto decoded = decode_manifest(std::span<const std::byte>(buffer.data(), size));
        if (decoded) REQUIRE(encode_manifest(*decoded) == exact);
    }
}

TEST_CASE("DIR/manifest is read and written whole through the durable file layer") {
    // Proves: no manifest reads as none; a written one survives a crash; a failed write
    // leaves the previous one; a damaged file is an error naming DIR/manifest.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, "/data").has_value());
    auto none = read_manifest("/data", disk);
    REQUIRE(none.has_value());
    REQUIRE_FALSE(none->has_value());
    REQUIRE(write_manifest("/data", sample(3), disk).has_value());
    disk.crash();
    auto read = read_manifest("/data", disk);
    REQUIRE(read.has_value());
    REQUIRE(**read == sample(3));
    disk.set_faults({.fail_file_write_at = disk.file_writes() + 1, .file_write_errno = ENOSPC});
    REQUIRE_FALSE(write_manifest("/data", sample(4), disk).has_value());
    disk.crash();
    REQUIRE(**read_manifest("/data", disk) == sample(3));

    temp_dir tmp;
    REQUIRE(write_manifest(tmp.path(), sample(3)).has_value());
    std::vector<std::byte> bytes = read_file(data_dir_layout::manifest(tmp.path()));
    bytes[100] ^= std::byte{4};
    write_file(data_dir_layout::manifest(tmp.path()), bytes);
    const auto damaged = read_manifest(tmp.path());
    REQUIRE_FALSE(damaged.has_value());
    REQUIRE(damaged.error().code == journal_errc::damaged);
    REQUIRE(damaged.error().path == data_dir_layout::manifest(tmp.path()).string());
}
