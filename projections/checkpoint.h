#pragma once
// A projection's checkpoint: DIR/projections/<name>.checkpoint holds its place in the
// journal and its state's bytes (projection::encode), with a checksum of the state and one
// of the header, written atomically and durably through the journal's durable file layer
// (temp file, fdatasync, rename, directory fsync, as io::replace_file). The state is encoded
// and written a few MiB at a time, in whole blocks around the page cache: a view of hundreds
// of MB is never built whole in memory first. A restarted reader
// loads it and resumes after the batch it names; the journal's chain check on the next
// batch proves the checkpoint belongs to this history (at the durable end, where there is no
// next batch, journal_source compares the position with the end's own).
//
// Layout (little-endian): magic u64 "ORDPROJ1", format version u32, 0 u32, state bytes u64,
// state checksum 16 B, header checksum 16 B (over the 32 bytes before it), then the state.
//
// Thread: any; the caller owns the projection.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>
#include <optional>
#include <string>

#include "journal/checksum.h"
#include "journal/io/file_system.h"
#include "projections/projection.h"

namespace ordo::projections {

inline constexpr std::uint64_t checkpoint_magic = 0x314a'4f52'5044'524full;  // "ORDPROJ1"
// 3: history's entries in 3 words each, as it stores them (2: 5 words each; 1: maps in
// ascending key order). A checkpoint of another version is rebuilt from the journal.
inline constexpr std::uint32_t checkpoint_format_version = 3;
// A checkpoint larger than this is refused unread (a damaged size field).
inline constexpr std::uint64_t checkpoint_bytes_max = std::uint64_t{64} << 30;

std::filesystem::path checkpoint_path(const std::filesystem::path& data_dir,
                                      const projection& view);

// The checksum of a projection's state (what a checkpoint of it would record): equal
// states, equal checksums.
journal::checksum128 state_checksum(const projection& view);

std::expected<void, std::string> save_checkpoint(
    const std::filesystem::path& data_dir, const projection& view,
    journal::io::file_system& files = journal::io::real_file_system());

enum class checkpoint_load : std::uint8_t { loaded, none };
// Restores `view` from its checkpoint, or leaves it empty when there is none. A checkpoint
// that fails a check is not used: the error says why (the caller rebuilds from the journal
// and says so); `view` is empty then.
std::expected<checkpoint_load, std::string> load_checkpoint(
    const std::filesystem::path& data_dir, projection& view,
    journal::io::file_system& files = journal::io::real_file_system());

// A checkpoint's state bytes (projection::encode), its header and state checksums checked,
// kept readable (mapped, or read for a simulated file system) as long as this lives. For a
// reader that answers straight from the bytes instead of decoding a whole view
// (history_as_of.h).
class file_bytes_mapping;
class checkpoint_state {
  public:
    checkpoint_state() = default;
    checkpoint_state(checkpoint_state&&) noexcept = default;  // state_ stays on its bytes
    checkpoint_state& operator=(checkpoint_state&&) noexcept = default;
    checkpoint_state(const checkpoint_state&) = delete;
    checkpoint_state& operator=(const checkpoint_state&) = delete;
    std::span<const std::byte> state() const noexcept { return state_; }
    const journal::checksum128& state_checksum() const noexcept { return state_checksum_; }

  private:
    friend std::expected<std::optional<checkpoint_state>, std::string> read_checkpoint_state(
        const std::filesystem::path&, journal::io::file_system&);
    std::shared_ptr<const file_bytes_mapping> mapping_;
    std::vector<std::byte> copy_;
    std::span<const std::byte> state_;
    journal::checksum128 state_checksum_{};
};
// nullopt when there is no such file; an error saying why when it fails a check.
std::expected<std::optional<checkpoint_state>, std::string> read_checkpoint_state(
    const std::filesystem::path& path,
    journal::io::file_system& files = journal::io::real_file_system());

// The place a checkpoint file records, read from its first bytes (the header checked, the
// state not): enough to pass over one that is past a time-travel point without reading
// and decoding the whole view (hundreds of MB for a long history). nullopt: no such file, or
// not a checkpoint (loading it says why).
struct checkpoint_place {
    journal::journal_position position{};  // where it resumes
    std::uint64_t commands = 0;
    std::uint64_t now_ms = 0;
    std::uint64_t segment_index = 0;  // the journal position it resumes at
    std::uint64_t segment_offset = 0;
    std::uint64_t file_bytes = 0;
    bool past(const stop_point& stop) const noexcept {
        return (stop.by == stop_point::kind::commands ? commands : now_ms) > stop.value;
    }
};
std::optional<checkpoint_place> peek_checkpoint_place(
    const std::filesystem::path& path,
    journal::io::file_system& files = journal::io::real_file_system());

// The same, at another path of data_dir's projections directory (point_checkpoints.h).
std::expected<void, std::string> save_checkpoint_file(
    const std::filesystem::path& data_dir, const std::filesystem::path& path,
    const projection& view, journal::io::file_system& files = journal::io::real_file_system());
std::expected<checkpoint_load, std::string> load_checkpoint_file(
    const std::filesystem::path& path, projection& view,
    journal::io::file_system& files = journal::io::real_file_system());

}  // namespace ordo::projections
