#include "tools/drill/data_dir_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "journal/data_dir.h"
#include "journal/format.h"
#include "journal/limits.h"
#include "tools/drill/child_process.h"

namespace ordo::tools::drill {

std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir,
                                                const std::string& suffix) {
    std::vector<std::filesystem::path> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.size() >= suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            found.push_back(entry.path());
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::vector<segment_layout> read_segment_layouts(const std::filesystem::path& data_dir) {
    std::vector<segment_layout> layouts;
    for (const auto& path : files_ending(journal::data_dir_layout::journal(data_dir), ".journal")) {
        const std::string bytes = read_text(path);
        segment_layout layout{.path = path, .file_bytes = bytes.size()};
        std::uint64_t offset = 0;
        while (offset + journal::batch_header_bytes <= bytes.size()) {
            journal::batch_header header;
            std::memcpy(&header, bytes.data() + offset, sizeof(header));
            if (!journal::header_self_consistent(header)) break;
            const std::uint64_t used =
                journal::batch_header_bytes + std::uint64_t{header.body_bytes};
            layout.used.push_back({offset, offset + used});
            offset += journal::align_up(used, journal::block_bytes);
        }
        layout.batches_end = offset;
        layouts.push_back(std::move(layout));
    }
    return layouts;
}

bool in_ranges(const std::vector<byte_range>& ranges, std::uint64_t offset) {
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const byte_range& r) { return offset >= r.begin && offset < r.end; });
}

bool flip_bit(const std::filesystem::path& path, std::uint64_t offset, std::uint32_t bit) {
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) return false;
    unsigned char byte = 0;
    bool ok = ::pread(fd, &byte, 1, static_cast<off_t>(offset)) == 1;
    byte ^= static_cast<unsigned char>(1u << bit);
    ok = ok && ::pwrite(fd, &byte, 1, static_cast<off_t>(offset)) == 1;
    ::close(fd);
    return ok;
}

}  // namespace ordo::tools::drill
