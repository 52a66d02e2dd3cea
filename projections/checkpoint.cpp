#include "projections/checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <string_view>
#include <system_error>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "journal/data_dir.h"
#include "journal/limits.h"
#include "projections/big_vector.h"

namespace ordo::projections {
namespace {

struct checkpoint_header {
    std::uint64_t magic;
    std::uint32_t format_version;
    std::uint32_t reserved_zero;
    std::uint64_t state_bytes;
    journal::checksum128 state_checksum;
    journal::checksum128 header_checksum;  // over every byte before it
};
static_assert(sizeof(checkpoint_header) == 56);
static_assert(std::has_unique_object_representations_v<checkpoint_header>);
constexpr std::size_t header_checked_bytes = offsetof(checkpoint_header, header_checksum);

}  // namespace

// A whole file mapped read-only, unmapped when it goes.
class file_bytes_mapping {
  public:
    file_bytes_mapping() = default;
    file_bytes_mapping(file_bytes_mapping&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    file_bytes_mapping& operator=(file_bytes_mapping&& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        return *this;
    }
    ~file_bytes_mapping() {
        if (data_ != nullptr) ::munmap(data_, size_);
    }

    static std::expected<file_bytes_mapping, std::string> map(const std::filesystem::path& path,
                                                              std::uint64_t size) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return std::unexpected(std::string("open: ") + std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != size) {
            ::close(fd);
            return std::unexpected(std::string("changed while it was read"));
        }
        void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        const int map_errno = errno;
        ::close(fd);
        if (data == MAP_FAILED) return std::unexpected("mmap: " + std::string(std::strerror(map_errno)));
        file_bytes_mapping mapping;
        mapping.data_ = data;
        mapping.size_ = size;
        return mapping;
    }
    std::span<const std::byte> bytes() const noexcept {
        return {static_cast<const std::byte*>(data_), size_};
    }

  private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

std::filesystem::path checkpoint_path(const std::filesystem::path& data_dir,
                                      const projection& view) {
    return journal::data_dir_layout::projections(data_dir) /
           (std::string(view.name()) + ".checkpoint");
}

namespace {

struct encoded_state {
    std::uint64_t bytes = 0;
    journal::checksum128 checksum{};
};

// Encodes the view a piece at a time, checksumming each piece and handing it to `put` when
// there is one.
encoded_state encode_in_pieces(const projection& view,
                               const std::function<void(std::span<const std::byte>)>& put) {
    journal::checksum_stream hash;
    state_writer out([&](std::span<const std::byte> piece) {
        hash.update(piece);
        if (put) put(piece);
    });
    view.encode(out);
    const std::uint64_t bytes = out.finish();
    return encoded_state{.bytes = bytes, .checksum = hash.digest()};
}

// A checkpoint file written in whole blocks around the page cache (file_system::
// write_blocks_at): the header's place first (its block kept until finish() writes the
// header into it), then the state, a buffer of blocks at a time; the tail padded to a block
// and the file cut back to its length at the end, which also syncs it.
class block_file_writer {
  public:
    block_file_writer(journal::io::file_system& files, std::filesystem::path path)
        : files_(&files), path_(std::move(path)) {
        buffer_.assign_zeroed(buffer_bytes);
        used_ = sizeof(checkpoint_header);  // its place, zeros until finish()
    }

    // The next bytes of the file. After an error nothing more is written; finish() says it.
    void put(std::span<const std::byte> bytes) {
        while (!bytes.empty() && !failed_) {
            const std::size_t taken = std::min(bytes.size(), buffer_bytes - used_);
            std::memcpy(buffer_.data() + used_, bytes.data(), taken);
            used_ += taken;
            bytes = bytes.subspan(taken);
            if (used_ == buffer_bytes) flush(buffer_bytes);
        }
    }

    // Writes the header over its place and the rest of the file, cut to its length, synced.
    std::expected<void, journal::journal_error> finish(const checkpoint_header& header) {
        if (failed_) return std::unexpected(*failed_);
        const std::uint64_t file_bytes = flushed_ + used_;
        ORDO_ASSERT(file_bytes == sizeof(header) + header.state_bytes);  // every byte was put
        std::byte* header_block = flushed_ == 0 ? buffer_.data() : first_block_.data();
        std::memcpy(header_block, &header, sizeof(header));
        const std::size_t tail =
            (used_ + journal::block_bytes - 1) / journal::block_bytes * journal::block_bytes;
        std::memset(buffer_.data() + used_, 0, tail - used_);
        const bool header_flushed_before = flushed_ > 0;
        if (tail > 0) flush(tail);
        if (header_flushed_before && !failed_) {
            if (auto written = files_->write_blocks_at(path_, 0, first_block_); !written) {
                failed_ = written.error();
            }
        }
        if (failed_) return std::unexpected(*failed_);
        // fdatasync with the cut: the file is new, its length is its data.
        return files_->resize_file(path_, file_bytes);
    }

  private:
    static constexpr std::size_t buffer_bytes = std::size_t{4} << 20;
    static_assert(buffer_bytes % journal::block_bytes == 0);

    void flush(std::size_t bytes) {
        ORDO_ASSERT(bytes % journal::block_bytes == 0 && bytes <= buffer_bytes);
        if (flushed_ == 0) std::memcpy(first_block_.data(), buffer_.data(), first_block_.size());
        if (auto written =
                files_->write_blocks_at(path_, flushed_, std::span(buffer_.data(), bytes));
            !written) {
            failed_ = written.error();
            return;
        }
        flushed_ += bytes;
        used_ = 0;
    }

    journal::io::file_system* files_;
    std::filesystem::path path_;
    big_vector<std::byte> buffer_;  // page-aligned (its own mapping), as O_DIRECT needs
    std::size_t used_ = 0;
    std::uint64_t flushed_ = 0;
    alignas(journal::block_bytes) std::array<std::byte, journal::block_bytes> first_block_{};
    std::optional<journal::journal_error> failed_;
};

}  // namespace

journal::checksum128 state_checksum(const projection& view) {
    return encode_in_pieces(view, {}).checksum;
}

std::expected<void, std::string> save_checkpoint(const std::filesystem::path& data_dir,
                                                 const projection& view,
                                                 journal::io::file_system& files) {
    return save_checkpoint_file(data_dir, checkpoint_path(data_dir, view), view, files);
}

namespace {

// This process's temp file for `path`: its own name, so that two processes saving one view
// at once (two followers, or a query beside a follower) never write into one file (they
// did: the file renamed in held pieces of both, and the next load rebuilt the view).
std::filesystem::path temp_path_of(const std::filesystem::path& path) {
    return path.string() + ".tmp-" + std::to_string(::getpid());
}

// Removes the temp files of `path` that processes which have exited left behind (killed
// while saving), and the single temp name of older ordo; best effort.
void remove_stale_temps(journal::io::file_system& files, const std::filesystem::path& path) {
    const std::filesystem::path dir = journal::io::directory_of(path);
    auto names = files.list_dir(dir);
    if (!names) return;
    const std::string prefix = path.filename().string() + ".tmp";
    for (const std::string& name : *names) {
        if (!name.starts_with(prefix)) continue;
        const std::string_view rest = std::string_view(name).substr(prefix.size());
        bool stale = rest.empty();  // older ordo's name
        if (rest.starts_with("-")) {
            int pid = 0;
            const auto digits = rest.substr(1);
            const auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), pid);
            stale = error == std::errc{} && end == digits.data() + digits.size() && pid > 0 &&
                    ::kill(pid, 0) != 0 && errno == ESRCH;
        }
        if (stale) static_cast<void>(files.remove_file(dir / name));
    }
}

}  // namespace

// The atomic replace of io::replace_file, the file written by block_file_writer: temp file,
// fdatasync, rename, directory fsync. A crash before the rename leaves the old checkpoint;
// the temp file is dropped first, as one a crash left behind may be longer than this state.
std::expected<void, std::string> save_checkpoint_file(const std::filesystem::path& data_dir,
                                                      const std::filesystem::path& path,
                                                      const projection& view,
                                                      journal::io::file_system& files) {
    ORDO_ASSERT(path.has_filename());
    ORDO_ASSERT(view.whole());  // a part of a view would stand in for the whole
    if (auto made =
            journal::io::make_dirs_durable(files, journal::data_dir_layout::projections(data_dir));
        !made) {
        return std::unexpected(made.error().message());
    }
    const std::filesystem::path temp = temp_path_of(path);
    if (auto removed = files.remove_file(temp); !removed) {
        return std::unexpected(removed.error().message());
    }
    block_file_writer file(files, temp);
    const encoded_state state =
        encode_in_pieces(view, [&](std::span<const std::byte> piece) { file.put(piece); });
    checkpoint_header header{.magic = checkpoint_magic,
                             .format_version = checkpoint_format_version,
                             .reserved_zero = 0,
                             .state_bytes = state.bytes,
                             .state_checksum = state.checksum,
                             .header_checksum = {}};
    header.header_checksum = journal::checksum(&header, header_checked_bytes);
    if (auto written = file.finish(header); !written) {
        (void)files.remove_file(temp);  // best effort: the next save drops it anyway
        return std::unexpected(written.error().message());
    }
    if (auto renamed = files.rename_file(temp, path); !renamed) {
        return std::unexpected(renamed.error().message());
    }
    if (auto synced = files.sync_dir(journal::io::directory_of(path)); !synced) {
        return std::unexpected(synced.error().message());
    }
    remove_stale_temps(files, path);
    return {};
}

std::optional<checkpoint_place> peek_checkpoint_place(const std::filesystem::path& path,
                                                      journal::io::file_system& files) {
    // The state starts with the position (next batch, next sequence, segment index and
    // offset, chain value: 6 words), then commands and stamped time (projection::encode).
    constexpr std::size_t position_offset = sizeof(checkpoint_header);
    constexpr std::size_t place_offset = position_offset + 6 * sizeof(std::uint64_t);
    std::array<std::byte, place_offset + 2 * sizeof(std::uint64_t)> bytes{};
    auto size = files.file_bytes(path);
    if (!size) return std::nullopt;
    auto read = files.read_at(path, 0, bytes);
    if (!read || *read != bytes.size()) return std::nullopt;
    checkpoint_header header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    if (header.magic != checkpoint_magic || header.format_version != checkpoint_format_version ||
        header.header_checksum != journal::checksum(bytes.data(), header_checked_bytes)) {
        return std::nullopt;
    }
    checkpoint_place place;
    std::memcpy(&place.commands, bytes.data() + place_offset, sizeof(place.commands));
    std::memcpy(&place.now_ms, bytes.data() + place_offset + 8, sizeof(place.now_ms));
    std::memcpy(&place.segment_index, bytes.data() + position_offset + 16, 8);
    std::memcpy(&place.segment_offset, bytes.data() + position_offset + 24, 8);
    const auto position =
        projection::position_in(std::span<const std::byte>(bytes).subspan(position_offset));
    if (!position) return std::nullopt;
    place.position = *position;
    place.file_bytes = *size;
    return place;
}

std::expected<checkpoint_load, std::string> load_checkpoint(const std::filesystem::path& data_dir,
                                                            projection& view,
                                                            journal::io::file_system& files) {
    return load_checkpoint_file(checkpoint_path(data_dir, view), view, files);
}

std::expected<std::optional<checkpoint_state>, std::string> read_checkpoint_state(
    const std::filesystem::path& path, journal::io::file_system& files) {
    auto size = files.file_bytes(path);
    if (!size) {
        if (size.error().code == journal::journal_errc::not_found) return std::nullopt;
        return std::unexpected(size.error().message());
    }
    const std::string where = path.string() + ": ";
    if (*size < sizeof(checkpoint_header) || *size > checkpoint_bytes_max) {
        return std::unexpected(where + "too short or too long for a checkpoint");
    }
    // A real file is mapped (its page-cache pages, read-only): reading it into a buffer
    // made a large view's load touch as much fresh memory again as the view holds, most of
    // its time (bench/RESULTS.md, point-in-time checkpoints).
    checkpoint_state read;
    std::span<const std::byte> bytes;
    if (&files == &journal::io::real_file_system()) {
        auto mapped = file_bytes_mapping::map(path, *size);
        if (!mapped) return std::unexpected(where + mapped.error());
        read.mapping_ = std::make_shared<file_bytes_mapping>(std::move(*mapped));
        bytes = read.mapping_->bytes();
    } else {
        read.copy_.resize(*size);
        auto got = files.read_at(path, 0, read.copy_);
        if (!got) return std::unexpected(got.error().message());
        if (*got != read.copy_.size()) return std::unexpected(where + "shorter than it was");
        bytes = read.copy_;
    }
    checkpoint_header header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    if (header.header_checksum != journal::checksum(bytes.data(), header_checked_bytes)) {
        return std::unexpected(where + "header checksum mismatch");
    }
    if (header.magic != checkpoint_magic) return std::unexpected(where + "not a checkpoint");
    if (header.format_version < checkpoint_format_version) {
        return std::unexpected(where + "written by an older ordo (format " +
                               std::to_string(header.format_version) + ", now " +
                               std::to_string(checkpoint_format_version) + ")");
    }
    if (header.format_version > checkpoint_format_version) {
        return std::unexpected(where + "written by a newer ordo (format " +
                               std::to_string(header.format_version) + "): upgrade ordo");
    }
    if (header.state_bytes != bytes.size() - sizeof(header)) {
        return std::unexpected(where + "state length differs from the file's");
    }
    const std::span<const std::byte> state(bytes.data() + sizeof(header), header.state_bytes);
    if (header.state_checksum != journal::checksum(state)) {
        return std::unexpected(where + "state checksum mismatch");
    }
    read.state_ = state;
    read.state_checksum_ = header.state_checksum;
    return read;
}

std::expected<checkpoint_load, std::string> load_checkpoint_file(const std::filesystem::path& path,
                                                                 projection& view,
                                                                 journal::io::file_system& files) {
    view.reset();
    auto read = read_checkpoint_state(path, files);
    if (!read) return std::unexpected(read.error());
    if (!*read) return checkpoint_load::none;
    if (!view.decode((*read)->state())) {
        return std::unexpected(path.string() + ": state does not decode");
    }
    ORDO_ASSERT(view.position().next_batch_number > 0 || view.commands() == 0);
    if (view.whole()) ORDO_ASSERT(state_checksum(view) == (*read)->state_checksum());
    return checkpoint_load::loaded;
}

}  // namespace ordo::projections
