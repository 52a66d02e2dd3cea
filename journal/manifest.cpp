#include "journal/manifest.h"

#include <bit>
#include <cstring>
#include <string>
#include <type_traits>

#include "base/assert.h"
#include "journal/checksum.h"
#include "journal/data_dir.h"
#include "journal/format.h"

namespace ordo::journal {
namespace {

// The file as laid out on disk (MANIFEST_FORMAT.md), little-endian, no padding.
struct manifest_record {
    std::uint64_t magic;
    std::uint32_t format_version;
    std::uint32_t batch_format_version;
    std::uint64_t write_count;
    std::uint64_t segment_bytes;
    std::uint32_t segment_count;
    std::uint32_t state;
    std::uint64_t durable_batch_count;
    std::uint64_t durable_sequence;
    std::uint32_t durable_segment_index;
    std::uint32_t reserved_zero;
    std::uint64_t durable_segment_offset;
    checksum128 durable_chain;
    std::uint64_t parameters[manifest_parameters_count];
    checksum128 checksum;  // XXH3-128 of every byte before it
};
static_assert(std::endian::native == std::endian::little);
static_assert(sizeof(manifest_record) == manifest_bytes);
static_assert(alignof(manifest_record) == 8);
static_assert(std::has_unique_object_representations_v<manifest_record>);
static_assert(std::is_trivially_copyable_v<manifest_record>);
static_assert(offsetof(manifest_record, checksum) + sizeof(checksum128) == manifest_bytes);
constexpr std::size_t checked_bytes = offsetof(manifest_record, checksum);

journal_error damaged(std::uint64_t offset, std::string detail) {
    return journal_error{.code = journal_errc::damaged, .offset = offset, .detail = std::move(detail)};
}

// Every field in range and consistent with the others, or the first that is not.
std::expected<void, journal_error> check_fields(const manifest_record& r) {
    if (r.segment_bytes < segment_bytes_min || r.segment_bytes > segment_bytes_max ||
        r.segment_bytes % block_bytes != 0) {
        return std::unexpected(damaged(offsetof(manifest_record, segment_bytes),
                                       "segment_bytes " + std::to_string(r.segment_bytes) +
                                           " outside 1 MiB..16 GiB or not a block multiple"));
    }
    if (r.segment_count > segment_index_max + 1) {
        return std::unexpected(damaged(offsetof(manifest_record, segment_count),
                                       "segment_count above the segment index limit"));
    }
    if (r.state != static_cast<std::uint32_t>(manifest_state::open) &&
        r.state != static_cast<std::uint32_t>(manifest_state::closed)) {
        return std::unexpected(damaged(offsetof(manifest_record, state),
                                       "unknown state " + std::to_string(r.state)));
    }
    if (r.reserved_zero != 0) {
        return std::unexpected(damaged(offsetof(manifest_record, reserved_zero),
                                       "reserved field is not zero"));
    }
    if (r.durable_batch_count == 0) {
        const bool origin = r.durable_sequence == 0 && r.durable_segment_index == 0 &&
                            r.durable_segment_offset == 0 && r.durable_chain == chain_origin;
        if (!origin) {
            return std::unexpected(damaged(offsetof(manifest_record, durable_batch_count),
                                           "no durable batch, yet a durable end after one"));
        }
        return {};
    }
    // Every batch holds at least one record and one block.
    if (r.durable_sequence < r.durable_batch_count) {
        return std::unexpected(damaged(offsetof(manifest_record, durable_sequence),
                                       "fewer durable records than durable batches"));
    }
    if (r.durable_segment_index >= r.segment_count) {
        return std::unexpected(damaged(offsetof(manifest_record, durable_segment_index),
                                       "the durable end lies in a segment it does not count"));
    }
    if (r.durable_segment_offset == 0 || r.durable_segment_offset % block_bytes != 0 ||
        r.durable_segment_offset > segment_bytes_max) {
        return std::unexpected(damaged(offsetof(manifest_record, durable_segment_offset),
                                       "durable end offset not a block boundary in a segment"));
    }
    return {};
}

}  // namespace

std::array<std::byte, manifest_bytes> encode_manifest(const manifest& value) {
    ORDO_ASSERT(value.segment_bytes % block_bytes == 0);
    ORDO_ASSERT(value.durable_end.segment_offset % block_bytes == 0);
    if (value.durable_end.next_batch_number > 0) {
        ORDO_ASSERT(value.durable_end.segment_index < value.segment_count);
    }
    manifest_record record{};
    record.magic = manifest_magic;
    record.format_version = manifest_format_version;
    record.batch_format_version = batch_format_version;
    record.write_count = value.write_count;
    record.segment_bytes = value.segment_bytes;
    record.segment_count = value.segment_count;
    record.state = static_cast<std::uint32_t>(value.state);
    record.durable_batch_count = value.durable_end.next_batch_number;
    record.durable_sequence = value.durable_end.next_sequence;
    record.durable_segment_index = value.durable_end.segment_index;
    record.reserved_zero = 0;
    record.durable_segment_offset = value.durable_end.segment_offset;
    record.durable_chain = value.durable_end.previous_header_checksum;
    std::memcpy(record.parameters, value.parameters.data(), sizeof(record.parameters));
    record.checksum = checksum(&record, checked_bytes);
    ORDO_ASSERT(check_fields(record).has_value());  // we never write what we would refuse
    std::array<std::byte, manifest_bytes> bytes;
    std::memcpy(bytes.data(), &record, manifest_bytes);
    return bytes;
}

std::expected<manifest, journal_error> decode_manifest(std::span<const std::byte> bytes) {
    if (bytes.size() != manifest_bytes) {
        return std::unexpected(damaged(std::min<std::uint64_t>(bytes.size(), manifest_bytes),
                                       "a manifest is " + std::to_string(manifest_bytes) +
                                           " bytes, this one " + std::to_string(bytes.size())));
    }
    manifest_record r;
    std::memcpy(&r, bytes.data(), manifest_bytes);
    if (checksum(&r, checked_bytes) != r.checksum) {
        return std::unexpected(damaged(checked_bytes, "checksum mismatch"));
    }
    if (r.magic != manifest_magic) return std::unexpected(damaged(0, "not a manifest (magic)"));
    if (r.format_version != manifest_format_version ||
        r.batch_format_version != batch_format_version) {
        return std::unexpected(journal_error{
            .code = journal_errc::format_version,
            .offset = offsetof(manifest_record, format_version),
            .detail = "manifest format " + std::to_string(r.format_version) + ", journal format " +
                      std::to_string(r.batch_format_version) + ": written by a newer ordo"});
    }
    if (auto checked = check_fields(r); !checked) return std::unexpected(checked.error());
    manifest value{
        .write_count = r.write_count,
        .segment_bytes = r.segment_bytes,
        .segment_count = r.segment_count,
        .state = static_cast<manifest_state>(r.state),
        .durable_end = journal_position{.next_batch_number = r.durable_batch_count,
                                        .next_sequence = r.durable_sequence,
                                        .segment_index = r.durable_segment_index,
                                        .segment_offset = r.durable_segment_offset,
                                        .previous_header_checksum = r.durable_chain},
        .parameters = {}};
    std::memcpy(value.parameters.data(), r.parameters, sizeof(r.parameters));
    return value;
}

std::expected<std::optional<manifest>, journal_error> read_manifest(
    const std::filesystem::path& data_dir, io::file_system& files) {
    const std::filesystem::path path = data_dir_layout::manifest(data_dir);
    // One byte more than a manifest: a longer file is damage, not a manifest cut short.
    std::array<std::byte, manifest_bytes + 1> buffer{};
    auto got = files.read_at(path, 0, buffer);
    if (!got && got.error().code == journal_errc::not_found) return std::optional<manifest>{};
    if (!got) return std::unexpected(got.error());
    auto decoded = decode_manifest(std::span<const std::byte>(buffer.data(), *got));
    if (!decoded) {
        journal_error error = decoded.error();
        error.path = path.string();
        return std::unexpected(std::move(error));
    }
    return std::optional<manifest>(*decoded);
}

std::expected<void, journal_error> write_manifest(const std::filesystem::path& data_dir,
                                                  const manifest& value,
                                                  io::file_system& files) {
    const std::array<std::byte, manifest_bytes> bytes = encode_manifest(value);
    const std::span<const std::byte> parts[] = {bytes};
    return io::replace_file(files, data_dir_layout::manifest(data_dir), parts);
}

}  // namespace ordo::journal
