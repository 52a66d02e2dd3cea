#pragma once
// Segment files: naming and listing (journal/FORMAT.md "Files"). A segment is named
// `segment-<index, 6 digits>-<first record sequence, 20 digits>.journal`, so `ls` shows the
// order and where each begins. A segment being prepared ahead is `segment-<index>.prepared`
// and is never read: it gets its final name (rename + directory fsync) at rollover, before
// any batch in it is reported durable. Stateless functions; any thread.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "journal/errc.h"

namespace ordo::journal {

struct segment_file {
    std::uint32_t index = 0;
    std::uint64_t first_sequence = 0;
    std::string name;
};

std::string segment_name(std::uint32_t index, std::uint64_t first_sequence);
std::string prepared_segment_name(std::uint32_t index);
std::optional<segment_file> parse_segment_name(std::string_view name);
bool is_prepared_segment_name(std::string_view name);

// Picks the segment files out of a directory listing, sorted by index. Two files with one
// index, or a gap between indexes, is damage: a segment went missing.
std::expected<std::vector<segment_file>, journal_error> sorted_segments(
    std::span<const std::string> names, const std::filesystem::path& dir);

}  // namespace ordo::journal
