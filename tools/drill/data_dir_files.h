#pragma once
// What a drill needs to know about a data directory's files: the segments, snapshots and
// manifest it holds, and which bytes of a segment carry meaning (batch headers and
// records) versus which are padding or the zeroed area past the last batch. Read from a
// directory a clean run left (the drill's pristine copy), by walking the batch headers.
// Thread: the drill's.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ordo::tools::drill {

struct byte_range {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;  // exclusive
};

struct segment_layout {
    std::filesystem::path path;
    std::uint64_t file_bytes = 0;
    std::vector<byte_range> used;   // each batch's header + records (not its padding)
    std::uint64_t batches_end = 0;  // where the zeroed area past the last batch starts
};

// Files of `dir` whose name ends with `suffix`, sorted by name.
std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir,
                                                const std::string& suffix);

// The batches of every segment under DIR/journal, in order.
std::vector<segment_layout> read_segment_layouts(const std::filesystem::path& data_dir);

bool in_ranges(const std::vector<byte_range>& ranges, std::uint64_t offset);

// Flips bit `bit` (0..7) of the byte at `offset`; flipping it again restores the file.
bool flip_bit(const std::filesystem::path& path, std::uint64_t offset, std::uint32_t bit);

}  // namespace ordo::tools::drill
