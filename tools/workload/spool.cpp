#include "tools/workload/spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "base/assert.h"

namespace ordo::workload {
namespace {

std::string errno_text(int error) {
    return std::error_code(error, std::generic_category()).message();
}

// An unnamed file in `dir`: O_TMPFILE where the file system has it, else a named temp
// file removed at once (same effect once it is unlinked).
int open_anonymous(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR)) return fd;
    std::string name = (dir / "ordo-workload-XXXXXX").string();
    const int named = ::mkostemp(name.data(), O_CLOEXEC);
    if (named < 0) return named;
    ::unlink(name.c_str());
    return named;
}

}  // namespace

command_spool::command_spool(int fd, std::filesystem::path dir)
    : fd_(fd), dir_(std::move(dir)), buffer_(buffer_bytes_first) {
    ORDO_ASSERT(fd_ >= 0);
}

command_spool::command_spool(command_spool&& other) noexcept { *this = std::move(other); }

command_spool& command_spool::operator=(command_spool&& other) noexcept {
    if (this == &other) return *this;
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    dir_ = std::move(other.dir_);
    buffer_ = std::move(other.buffer_);
    used_ = other.used_;
    consumed_ = other.consumed_;
    written_count_ = other.written_count_;
    written_bytes_ = other.written_bytes_;
    read_count_ = other.read_count_;
    read_offset_ = other.read_offset_;
    finished_ = other.finished_;
    return *this;
}

command_spool::~command_spool() {
    if (fd_ >= 0) ::close(fd_);
}

std::expected<command_spool, std::string> command_spool::create(const std::filesystem::path& dir) {
    const int fd = open_anonymous(dir);
    if (fd < 0) {
        return std::unexpected(fmt::format("cannot create a temporary file in {}: {}",
                                           dir.string(), errno_text(errno)));
    }
    return command_spool(fd, dir);
}

std::string command_spool::error_text(const char* what, int error) const {
    return fmt::format("cannot {} the checked workload's copy in {}: {}", what, dir_.string(),
                       errno_text(error));
}

std::expected<void, std::string> command_spool::flush() {
    ORDO_ASSERT(!finished_);
    ORDO_ASSERT(used_ <= buffer_.size());
    std::size_t done = 0;
    while (done < used_) {
        const ssize_t got = ::write(fd_, buffer_.data() + done, used_ - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return std::unexpected(error_text("write", errno));
        ORDO_ASSERT(got > 0);  // a regular file takes at least a byte or says why not
        done += static_cast<std::size_t>(got);
    }
    written_bytes_ += used_;
    used_ = 0;
    return {};
}

std::expected<void, std::string> command_spool::append(const workload_command& c) {
    ORDO_ASSERT(!finished_);
    if (buffer_.size() - used_ < record_bytes_max) {
        if (buffer_.size() < buffer_bytes) {
            buffer_.resize(std::min(buffer_.size() * 2, buffer_bytes));
        } else if (auto flushed = flush(); !flushed) {
            return flushed;
        }
    }
    ORDO_ASSERT(buffer_.size() - used_ >= record_bytes_max);
    engine::command_slot slots[engine::command_slots_max];
    const std::uint32_t slot_count = engine::encode(c.command, slots);
    ORDO_ASSERT(slot_count >= 1);
    ORDO_ASSERT(slot_count <= engine::command_slots_max);
    const record_header header{.line = c.line,
                               .slot_count = static_cast<std::uint8_t>(slot_count),
                               .reserved_zero = {}};
    std::memcpy(buffer_.data() + used_, &header, sizeof(header));
    std::memcpy(buffer_.data() + used_ + sizeof(header), slots,
                slot_count * sizeof(engine::command_slot));
    used_ += sizeof(header) + slot_count * sizeof(engine::command_slot);
    written_count_++;
    return {};
}

std::expected<void, std::string> command_spool::finish() {
    ORDO_ASSERT(!finished_);
    if (auto flushed = flush(); !flushed) return flushed;
    finished_ = true;
    used_ = 0;
    consumed_ = 0;
    return {};
}

std::expected<bool, std::string> command_spool::next(workload_command& out) {
    ORDO_ASSERT(finished_);
    if (read_count_ == written_count_) {
        ORDO_ASSERT(read_offset_ - (used_ - consumed_) == written_bytes_);
        return false;
    }
    if (used_ - consumed_ < record_bytes_max && read_offset_ < written_bytes_) {
        // Keep the unread part, then fill the rest of the buffer from the file.
        std::memmove(buffer_.data(), buffer_.data() + consumed_, used_ - consumed_);
        used_ -= consumed_;
        consumed_ = 0;
        while (used_ < buffer_.size() && read_offset_ < written_bytes_) {
            const ssize_t got = ::pread(fd_, buffer_.data() + used_, buffer_.size() - used_,
                                        static_cast<off_t>(read_offset_));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return std::unexpected(error_text("read", errno));
            if (got == 0) return std::unexpected(error_text("read", EIO));  // shorter than written
            used_ += static_cast<std::size_t>(got);
            read_offset_ += static_cast<std::uint64_t>(got);
        }
    }
    record_header header;
    if (used_ - consumed_ < sizeof(header)) return std::unexpected(error_text("read", EIO));
    std::memcpy(&header, buffer_.data() + consumed_, sizeof(header));
    const std::size_t slot_bytes = std::size_t{header.slot_count} * sizeof(engine::command_slot);
    // The file is ours and unnamed; a record that does not frame is the disk's fault.
    if (header.slot_count < 1 || header.slot_count > engine::command_slots_max ||
        used_ - consumed_ < sizeof(header) + slot_bytes) {
        return std::unexpected(error_text("read back", EIO));
    }
    engine::command_slot slots[engine::command_slots_max];
    std::memcpy(slots, buffer_.data() + consumed_ + sizeof(header), slot_bytes);
    if (slots[0].header.slot_count != header.slot_count) {
        return std::unexpected(error_text("read back", EIO));
    }
    out.line = header.line;
    out.command = engine::decode({slots, header.slot_count});
    consumed_ += sizeof(header) + slot_bytes;
    read_count_++;
    return true;
}

}  // namespace ordo::workload
