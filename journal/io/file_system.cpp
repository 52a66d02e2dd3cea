#include "journal/io/file_system.h"

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal::io {

std::filesystem::path directory_of(const std::filesystem::path& path) {
    std::filesystem::path clean = path.lexically_normal();
    if (!clean.has_filename()) clean = clean.parent_path();  // a trailing separator
    const std::filesystem::path parent = clean.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

std::expected<void, journal_error> make_dirs_durable(file_system& files,
                                                     const std::filesystem::path& dir) {
    ORDO_ASSERT(!dir.empty());
    auto made = files.make_dir(dir);
    const std::filesystem::path parent = directory_of(dir);
    const bool at_top = parent == dir.lexically_normal() || parent == dir;
    if (!made && made.error().code == journal_errc::not_found && !at_top) {
        if (auto above = make_dirs_durable(files, parent); !above) return above;
        made = files.make_dir(dir);
    }
    if (!made) return std::unexpected(made.error());
    if (*made) return files.sync_dir(parent);  // the new name is durable once its dir is
    return {};
}

bool whole_blocks(std::uint64_t offset, std::span<const std::byte> bytes) noexcept {
    return offset % block_bytes == 0 && bytes.size() % block_bytes == 0 &&
           reinterpret_cast<std::uintptr_t>(bytes.data()) % block_bytes == 0;
}

std::expected<void, journal_error> replace_file(file_system& files,
                                                const std::filesystem::path& path,
                                                std::span<const std::span<const std::byte>> parts) {
    ORDO_ASSERT(path.has_filename());
    const std::filesystem::path temp = path.string() + ".tmp";
    if (auto written = files.write_file(temp, parts); !written) {
        (void)files.remove_file(temp);  // best effort: the next replace truncates it anyway
        return written;
    }
    if (auto renamed = files.rename_file(temp, path); !renamed) return renamed;
    return files.sync_dir(directory_of(path));
}

}  // namespace ordo::journal::io
