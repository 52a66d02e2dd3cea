#include "journal/io/simulated_backend.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal::io {

void simulated_disk::set_faults(const simulated_faults& faults) {
    std::lock_guard lock(mutex_);
    faults_ = faults;
}

void simulated_disk::crash(std::optional<std::uint32_t> tear_last_write_bytes) {
    std::lock_guard lock(mutex_);
    if (tear_last_write_bytes.has_value() && !unsynced_.empty()) {
        const unsynced_write& last = unsynced_.back();
        file& target = files_.at(last.path);
        const std::size_t kept = std::min<std::size_t>(*tear_last_write_bytes, last.bytes.size());
        ORDO_ASSERT(last.offset + kept <= target.durable.size());
        std::memcpy(target.durable.data() + last.offset, last.bytes.data(), kept);
    }
    unsynced_.clear();
    for (auto& [path, f] : files_) f.current = f.durable;
}

void simulated_disk::materialize(const std::filesystem::path& dir,
                                 const std::filesystem::path& target) {
    std::lock_guard lock(mutex_);
    std::filesystem::create_directories(target);
    const std::string prefix = dir.string() + "/";
    for (const auto& [path, f] : files_) {
        if (path.rfind(prefix, 0) != 0) continue;
        std::ofstream out(target / path.substr(prefix.size()), std::ios::binary);
        out.write(reinterpret_cast<const char*>(f.durable.data()),
                  static_cast<std::streamsize>(f.durable.size()));
        ORDO_ASSERT(out.good());
    }
}

std::uint64_t simulated_disk::writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
}

std::uint64_t simulated_disk::syncs() const {
    std::lock_guard lock(mutex_);
    return syncs_;
}

bool simulated_disk::exists(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return files_.contains(path);
}

std::uint64_t simulated_disk::size(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return files_.at(path).current.size();
}

std::uint64_t simulated_disk::read(const std::string& path, std::uint64_t offset,
                                   std::span<std::byte> out) const {
    std::lock_guard lock(mutex_);
    const std::vector<std::byte>& bytes = files_.at(path).current;
    if (offset >= bytes.size()) return 0;
    const std::uint64_t n = std::min<std::uint64_t>(out.size(), bytes.size() - offset);
    std::memcpy(out.data(), bytes.data() + offset, n);
    return n;
}

void simulated_disk::create_zeroed(const std::string& path, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    ORDO_ASSERT(bytes % block_bytes == 0);
    files_[path] = file{.durable = std::vector<std::byte>(bytes),
                        .current = std::vector<std::byte>(bytes)};
}

void simulated_disk::zero_range(const std::string& path, std::uint64_t offset,
                                std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    file& f = files_.at(path);
    ORDO_ASSERT(offset + bytes <= f.current.size());
    std::memset(f.current.data() + offset, 0, bytes);
    std::memset(f.durable.data() + offset, 0, bytes);
}

int simulated_disk::append_zeros(const std::string& path, std::uint64_t offset,
                                 std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    ORDO_ASSERT(offset % block_bytes == 0);
    ORDO_ASSERT(bytes % block_bytes == 0);
    ++zero_fills_;
    if (zero_fills_ == faults_.fail_zero_fill_at) return faults_.zero_fill_errno;
    if (offset == 0) files_[path] = file{};
    file& f = files_.at(path);
    ORDO_ASSERT(f.current.size() == offset);  // appends only
    ORDO_ASSERT(f.durable.size() == offset);
    f.current.resize(offset + bytes);
    f.durable.resize(offset + bytes);
    return 0;
}

std::uint64_t simulated_disk::zero_fills() const {
    std::lock_guard lock(mutex_);
    return zero_fills_;
}

void simulated_disk::rename(const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    auto node = files_.extract(from);
    ORDO_ASSERT(!node.empty());
    node.key() = to;
    files_.insert(std::move(node));
    for (unsynced_write& write : unsynced_) {
        if (write.path == from) write.path = to;
    }
}

void simulated_disk::remove(const std::string& path) {
    std::lock_guard lock(mutex_);
    files_.erase(path);
    std::erase_if(unsynced_, [&](const unsynced_write& w) { return w.path == path; });
}

std::vector<std::string> simulated_disk::list(const std::string& dir) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    const std::string prefix = dir + "/";
    for (const auto& [path, f] : files_) {
        if (path.rfind(prefix, 0) == 0) names.push_back(path.substr(prefix.size()));
    }
    return names;
}

io_completion simulated_disk::write(const std::string& path, std::span<const std::byte> bytes,
                                    std::uint64_t offset, bool sync, std::uint64_t tag) {
    std::lock_guard lock(mutex_);
    file& f = files_.at(path);
    ORDO_ASSERT(offset + bytes.size() <= f.current.size());
    io_completion completion{.tag = tag};
    ++writes_;
    if (writes_ == faults_.fail_write_at) {
        completion.error = faults_.write_errno;
        completion.failed = io_operation::write;
        return completion;
    }
    std::span<const std::byte> landed = bytes;
    if (writes_ == faults_.short_write_at) {
        landed = bytes.first(std::min<std::size_t>(faults_.short_write_bytes, bytes.size()));
        completion.short_write = true;
    }
    std::memcpy(f.current.data() + offset, landed.data(), landed.size());
    unsynced_.push_back(unsynced_write{.path = path,
                                       .offset = offset,
                                       .bytes = {landed.begin(), landed.end()}});
    if (!sync || completion.short_write) return completion;
    ++syncs_;
    if (syncs_ == faults_.fail_sync_at) {
        completion.error = faults_.sync_errno;
        completion.failed = io_operation::sync;
        return completion;
    }
    f.durable = f.current;
    std::erase_if(unsynced_, [&](const unsynced_write& w) { return w.path == path; });
    return completion;
}

simulated_backend::simulated_backend(simulated_disk* disk) : disk_(disk) {
    ORDO_ASSERT(disk != nullptr);
}

std::expected<void, journal_error> simulated_backend::attach_buffers(
    std::span<const std::span<std::byte>> buffers) {
    ORDO_ASSERT(!buffers.empty());
    done_.reserve(2 * batches_in_flight_max);
    return {};
}

std::expected<open_result, journal_error> simulated_backend::open_file(
    const std::filesystem::path& path, bool direct) {
    if (!disk_->exists(path.string())) {
        return std::unexpected(journal_error{.code = journal_errc::not_found,
                                             .system_errno = ENOENT,
                                             .path = path.string(),
                                             .detail = "open segment"});
    }
    open_paths_.push_back(path.string());
    return open_result{.file = static_cast<file_id>(open_paths_.size() - 1), .direct = direct};
}

void simulated_backend::close_file(file_id file) noexcept {
    ORDO_ASSERT(file >= 0);
    ORDO_ASSERT(static_cast<std::size_t>(file) < open_paths_.size());
}

std::expected<void, journal_error> simulated_backend::submit_write(const write_request& request) {
    ORDO_ASSERT(request.file >= 0);
    ORDO_ASSERT(done_.size() < 2 * batches_in_flight_max);
    const std::string& path = open_paths_.at(static_cast<std::size_t>(request.file));
    done_.push_back(disk_->write(path, request.bytes, request.offset, request.sync, request.tag));
    return {};
}

std::uint32_t simulated_backend::reap(std::span<io_completion> out, bool wait) {
    ORDO_ASSERT(!out.empty());
    if (wait) ORDO_ASSERT(!done_.empty());
    const std::size_t count = std::min(out.size(), done_.size());
    std::copy_n(done_.begin(), count, out.begin());
    done_.erase(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(count));
    return static_cast<std::uint32_t>(count);
}

std::expected<void, journal_error> simulated_backend::create_zeroed(
    const std::filesystem::path& path, std::uint64_t bytes) {
    disk_->create_zeroed(path.string(), bytes);
    return {};
}

std::expected<void, journal_error> simulated_backend::zero_range(
    const std::filesystem::path& path, std::uint64_t offset, std::uint64_t bytes) {
    disk_->zero_range(path.string(), offset, bytes);
    return {};
}

std::expected<void, journal_error> simulated_backend::append_zeros(
    const std::filesystem::path& path, std::uint64_t offset, std::uint64_t bytes, bool) {
    const int error = disk_->append_zeros(path.string(), offset, bytes);
    if (error != 0) {
        return std::unexpected(journal_error{.code = error == ENOSPC ? journal_errc::no_space
                                                                     : journal_errc::io_error,
                                             .system_errno = error,
                                             .path = path.string(),
                                             .offset = offset,
                                             .detail = "zero fill"});
    }
    return {};
}

std::expected<void, journal_error> simulated_backend::rename_file(
    const std::filesystem::path& from, const std::filesystem::path& to) {
    disk_->rename(from.string(), to.string());
    return {};
}

std::expected<void, journal_error> simulated_backend::remove_file(
    const std::filesystem::path& path) {
    disk_->remove(path.string());
    return {};
}

std::expected<void, journal_error> simulated_backend::make_dir(const std::filesystem::path&) {
    return {};
}

std::expected<void, journal_error> simulated_backend::sync_dir(const std::filesystem::path&) {
    return {};
}

std::expected<std::vector<std::string>, journal_error> simulated_backend::list_dir(
    const std::filesystem::path& path) {
    return disk_->list(path.string());
}

std::expected<std::uint64_t, journal_error> simulated_backend::file_bytes(
    const std::filesystem::path& path) {
    if (!disk_->exists(path.string())) {
        return std::unexpected(journal_error{.code = journal_errc::not_found,
                                             .system_errno = ENOENT,
                                             .path = path.string(),
                                             .detail = "stat"});
    }
    return disk_->size(path.string());
}

std::expected<std::uint64_t, journal_error> simulated_backend::read_at(
    const std::filesystem::path& path, std::uint64_t offset, std::span<std::byte> out) {
    if (!disk_->exists(path.string())) {
        return std::unexpected(journal_error{.code = journal_errc::not_found,
                                             .system_errno = ENOENT,
                                             .path = path.string(),
                                             .offset = offset,
                                             .detail = "read"});
    }
    return disk_->read(path.string(), offset, out);
}

}  // namespace ordo::journal::io
