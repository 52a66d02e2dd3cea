#pragma once
// The manifest of a data directory (TigerBeetle's superblock is the model): a small file,
// DIR/manifest, that records durably what the journal must hold, so recovery can tell a
// torn tail from damage and notice a missing end or a missing segment, and what the
// directory was created with (segment size, and the engine's parameters: its table
// capacities, opaque to the journal). Replaced atomically through the durable file layer
// (temp file, fdatasync, rename, directory fsync), checksummed, versioned. Byte layout:
// journal/MANIFEST_FORMAT.md.
//
// Who writes it: the journal writer, which holds the data directory's lock (writer.h:
// at open, at each segment rollover, about once a second while batches become durable,
// and at close). Readers read it and take no lock.
//
// Stateless functions; any thread. decode_manifest never asserts on its input (a fuzz
// target calls it with arbitrary bytes).

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>

#include "journal/errc.h"
#include "journal/io/file_system.h"
#include "journal/limits.h"
#include "journal/position.h"

namespace ordo::journal {

inline constexpr std::uint64_t manifest_magic = 0x31464e4d4f44524full;  // "ORDOMNF1" LE
inline constexpr std::uint32_t manifest_format_version = 1;
// Words the owner of the journal (the engine) keeps in the manifest: its table capacities.
inline constexpr std::uint32_t manifest_parameters_count = 8;
inline constexpr std::uint32_t manifest_bytes = 168;

enum class manifest_state : std::uint32_t {
    open = 1,    // a writer opened the journal and has not closed it (running, or crashed)
    closed = 2,  // the writer closed it: `durable_end` is exactly where the journal ends
};

struct manifest {
    std::uint64_t write_count = 0;  // +1 at every write: which of two manifests is newer
    std::uint64_t segment_bytes = segment_bytes_default;  // size of every segment it writes
    // Segments [0, segment_count) exist. A writer records a new segment here before any
    // batch in it is reported durable, so a missing segment is always noticed.
    std::uint32_t segment_count = 0;
    manifest_state state = manifest_state::open;
    // Batches [0, durable_end.next_batch_number) were durable when this was written, and
    // the last of them ends at this position with this header checksum (the chain value).
    // Recovery must reach it; a batch before it that fails is damage, not a torn tail.
    journal_position durable_end{};
    std::array<std::uint64_t, manifest_parameters_count> parameters{};  // opaque here
    friend bool operator==(const manifest&, const manifest&) = default;
};

// What the journal must hold according to `value` (the reader checks it).
inline journal_expectations expectations_of(const manifest& value) {
    return journal_expectations{.segment_count = value.segment_count,
                                .segment_bytes = value.segment_bytes,
                                .durable_end = value.durable_end};
}

std::array<std::byte, manifest_bytes> encode_manifest(const manifest& value);

// Checks, in order: the size, the checksum (before any field is trusted), the magic, the
// versions (format_version errors), then that every field is in range and agrees with the
// others (damaged, with the byte offset of the field). Any input, never an assertion.
std::expected<manifest, journal_error> decode_manifest(std::span<const std::byte> bytes);

// DIR/manifest, or nullopt when DIR has none. A manifest that does not decode is an
// error naming the file.
std::expected<std::optional<manifest>, journal_error> read_manifest(
    const std::filesystem::path& data_dir, io::file_system& files = io::real_file_system());

// Replaces DIR/manifest atomically and durably (io::replace_file). The caller holds the
// data directory's lock.
std::expected<void, journal_error> write_manifest(const std::filesystem::path& data_dir,
                                                  const manifest& value,
                                                  io::file_system& files = io::real_file_system());

}  // namespace ordo::journal
