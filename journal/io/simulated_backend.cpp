#include "journal/io/simulated_backend.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal::io {
namespace {

bool is_root(const std::string& key) { return key == "/" || key == "."; }

}  // namespace

std::string simulated_disk::key_of(const std::filesystem::path& path) {
    std::filesystem::path clean = path.lexically_normal();
    if (!clean.has_filename() && clean != clean.root_path()) clean = clean.parent_path();
    std::string key = clean.string();
    ORDO_ASSERT(!key.empty());
    return key;
}

std::string simulated_disk::parent_of(const std::string& key) {
    return directory_of(key).string();
}

bool simulated_disk::is_directory(const std::string& key) const {
    if (is_root(key)) return true;
    const auto found = names_.find(key);
    return found != names_.end() && found->second.directory;
}

const simulated_disk::entry* simulated_disk::file_entry(const std::string& key) const {
    const auto found = names_.find(key);
    if (found == names_.end() || found->second.directory) return nullptr;
    return &found->second;
}

simulated_disk::inode* simulated_disk::file_of(const std::string& key) {
    const entry* e = file_entry(key);
    return e == nullptr ? nullptr : &inodes_.at(e->inode);
}

const simulated_disk::inode* simulated_disk::file_of(const std::string& key) const {
    const entry* e = file_entry(key);
    return e == nullptr ? nullptr : &inodes_.at(e->inode);
}

// O_CREAT | O_TRUNC: a new file, or the existing one emptied (its synced bytes stay until
// the next sync, as on a real disk, where the truncation is not durable before it).
std::expected<simulated_disk::inode*, journal_error> simulated_disk::create_file(
    const std::string& key, std::string_view detail) {
    if (!is_directory(parent_of(key))) return std::unexpected(error_from_errno(ENOENT, key, 0, detail));
    if (is_directory(key)) return std::unexpected(error_from_errno(EISDIR, key, 0, detail));
    if (inode* existing = file_of(key)) {
        existing->current.clear();
        return existing;
    }
    const std::uint64_t number = next_inode_++;
    names_[key] = entry{.directory = false, .inode = number};
    return &inodes_[number];
}

bool simulated_disk::durable_locked(const std::string& key) const {
    if (is_root(key)) return true;
    const auto found = durable_names_.find(key);
    const auto now = names_.find(key);
    if (found == durable_names_.end() || now == names_.end()) return false;
    if (!(found->second == now->second)) return false;
    return durable_locked(parent_of(key));
}

void simulated_disk::set_faults(const simulated_faults& faults) {
    std::lock_guard lock(mutex_);
    faults_ = faults;
}

void simulated_disk::crash(std::optional<std::uint32_t> tear_last_write_bytes) {
    std::lock_guard lock(mutex_);
    if (tear_last_write_bytes.has_value() && !unsynced_.empty()) {
        const unsynced_write& last = unsynced_.back();
        inode& target = inodes_.at(last.inode);
        const std::size_t kept = std::min<std::size_t>(*tear_last_write_bytes, last.bytes.size());
        ORDO_ASSERT(last.offset + kept <= target.durable.size());
        std::memcpy(target.durable.data() + last.offset, last.bytes.data(), kept);
    }
    unsynced_.clear();
    locks_.clear();
    // Names survive when they and every directory above them are durable. The map is
    // sorted, so a directory comes before the names inside it.
    std::map<std::string, entry> kept;
    for (const auto& [key, e] : durable_names_) {
        const std::string parent = parent_of(key);
        if (is_root(parent) || kept.contains(parent)) kept.emplace(key, e);
    }
    names_ = kept;
    durable_names_ = std::move(kept);
    std::map<std::uint64_t, inode> alive;
    for (const auto& [key, e] : names_) {
        if (e.directory || alive.contains(e.inode)) continue;
        inode& file = inodes_.at(e.inode);
        file.current = file.durable;
        alive.emplace(e.inode, std::move(file));
    }
    inodes_ = std::move(alive);
}

void simulated_disk::materialize(const std::filesystem::path& dir,
                                 const std::filesystem::path& target) {
    std::lock_guard lock(mutex_);
    std::filesystem::create_directories(target);
    const std::string prefix = key_of(dir) + "/";
    std::map<std::string, entry> surviving;  // as crash() computes it
    for (const auto& [key, e] : durable_names_) {
        const std::string parent = parent_of(key);
        if (is_root(parent) || surviving.contains(parent)) surviving.emplace(key, e);
    }
    for (const auto& [key, e] : surviving) {
        if (key.rfind(prefix, 0) != 0) continue;
        const std::filesystem::path out = target / key.substr(prefix.size());
        if (e.directory) {
            std::filesystem::create_directories(out);
            continue;
        }
        std::filesystem::create_directories(out.parent_path());
        const std::vector<std::byte>& bytes = inodes_.at(e.inode).durable;
        std::ofstream file(out, std::ios::binary | std::ios::trunc);
        file.write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
        ORDO_ASSERT(file.good());
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

std::uint64_t simulated_disk::zero_fills() const {
    std::lock_guard lock(mutex_);
    return zero_fills_;
}

std::uint64_t simulated_disk::file_writes() const {
    std::lock_guard lock(mutex_);
    return file_writes_;
}

std::uint64_t simulated_disk::dir_syncs() const {
    std::lock_guard lock(mutex_);
    return dir_syncs_;
}

bool simulated_disk::exists(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return names_.contains(key_of(path));
}

bool simulated_disk::durable(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return durable_locked(key_of(path));
}

std::uint64_t simulated_disk::size(const std::string& path) const {
    std::lock_guard lock(mutex_);
    const inode* file = file_of(key_of(path));
    ORDO_ASSERT(file != nullptr);
    return file->current.size();
}

std::vector<std::byte> simulated_disk::contents(const std::string& path) const {
    std::lock_guard lock(mutex_);
    const inode* file = file_of(key_of(path));
    ORDO_ASSERT(file != nullptr);
    return file->current;
}

std::optional<std::uint64_t> simulated_disk::open_file(const std::string& path) const {
    std::lock_guard lock(mutex_);
    const entry* e = file_entry(key_of(path));
    if (e == nullptr) return std::nullopt;
    return e->inode;
}

io_completion simulated_disk::write(std::uint64_t file, std::span<const std::byte> bytes,
                                    std::uint64_t offset, bool sync, std::uint64_t tag) {
    std::lock_guard lock(mutex_);
    inode& f = inodes_.at(file);
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
    unsynced_.push_back(unsynced_write{.inode = file,
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
    std::erase_if(unsynced_, [&](const unsynced_write& w) { return w.inode == file; });
    return completion;
}

std::expected<void, journal_error> simulated_disk::create_zeroed(
    const std::filesystem::path& path, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    ORDO_ASSERT(bytes % block_bytes == 0);
    auto file = create_file(key_of(path), "create zeroed");
    if (!file) return std::unexpected(file.error());
    (*file)->current.assign(bytes, std::byte{0});
    (*file)->durable = (*file)->current;
    return {};
}

std::expected<void, journal_error> simulated_disk::zero_range(const std::filesystem::path& path,
                                                              std::uint64_t offset,
                                                              std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    inode* f = file_of(key_of(path));
    if (f == nullptr) return std::unexpected(error_from_errno(ENOENT, path, offset, "zero range"));
    ORDO_ASSERT(offset + bytes <= f->current.size());
    ORDO_ASSERT(offset + bytes <= f->durable.size());
    std::memset(f->current.data() + offset, 0, bytes);
    std::memset(f->durable.data() + offset, 0, bytes);
    return {};
}

std::expected<void, journal_error> simulated_disk::append_zeros(const std::filesystem::path& path,
                                                                std::uint64_t offset,
                                                                std::uint64_t bytes, bool) {
    std::lock_guard lock(mutex_);
    ORDO_ASSERT(offset % block_bytes == 0);
    ORDO_ASSERT(bytes % block_bytes == 0);
    ++zero_fills_;
    if (zero_fills_ == faults_.fail_zero_fill_at) {
        return std::unexpected(error_from_errno(faults_.zero_fill_errno, path, offset, "zero fill"));
    }
    const std::string key = key_of(path);
    inode* f = nullptr;
    if (offset == 0) {
        auto created = create_file(key, "zero fill");
        if (!created) return std::unexpected(created.error());
        f = *created;
        f->durable.clear();
    } else {
        f = file_of(key);
        if (f == nullptr) return std::unexpected(error_from_errno(ENOENT, path, offset, "zero fill"));
    }
    ORDO_ASSERT(f->current.size() == offset);  // appends only
    ORDO_ASSERT(f->durable.size() == offset);
    f->current.resize(offset + bytes);
    f->durable.resize(offset + bytes);
    return {};
}

std::expected<void, journal_error> simulated_disk::write_file(
    const std::filesystem::path& path, std::span<const std::span<const std::byte>> parts) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    auto file = create_file(key, "create");
    if (!file) return std::unexpected(file.error());
    inode& f = **file;
    ++file_writes_;
    if (file_writes_ == faults_.fail_file_write_at) {
        return std::unexpected(error_from_errno(faults_.file_write_errno, path, 0, "write"));
    }
    for (const std::span<const std::byte> part : parts) {
        f.current.insert(f.current.end(), part.begin(), part.end());
    }
    f.durable = f.current;  // fdatasync
    const std::uint64_t number = names_.at(key).inode;
    std::erase_if(unsynced_, [&](const unsynced_write& w) { return w.inode == number; });
    return {};
}

// Into `current` only: what a crash keeps is the file as last synced (sync_file). Not a
// batch write, so crash() never tears it.
std::expected<void, journal_error> simulated_disk::write_at(const std::filesystem::path& path,
                                                            std::uint64_t offset,
                                                            std::span<const std::byte> bytes) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    inode* f = file_of(key);
    if (f == nullptr) {
        auto created = create_file(key, "create");
        if (!created) return std::unexpected(created.error());
        f = *created;
    }
    ++file_writes_;
    if (file_writes_ == faults_.fail_file_write_at) {
        return std::unexpected(error_from_errno(faults_.file_write_errno, path, offset, "write"));
    }
    if (f->current.size() < offset + bytes.size()) f->current.resize(offset + bytes.size());
    std::copy(bytes.begin(), bytes.end(), f->current.begin() + static_cast<std::ptrdiff_t>(offset));
    return {};
}

std::expected<void, journal_error> simulated_disk::write_blocks_at(
    const std::filesystem::path& path, std::uint64_t offset, std::span<const std::byte> bytes) {
    ORDO_ASSERT(whole_blocks(offset, bytes));
    return write_at(path, offset, bytes);
}

std::expected<void, journal_error> simulated_disk::resize_file(const std::filesystem::path& path,
                                                               std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    inode* f = file_of(key);
    if (f == nullptr) return std::unexpected(error_from_errno(ENOENT, path, bytes, "ftruncate"));
    f->current.resize(bytes);
    f->durable = f->current;  // fdatasync
    const std::uint64_t number = names_.at(key).inode;
    std::erase_if(unsynced_, [&](const unsynced_write& w) { return w.inode == number; });
    return {};
}

std::expected<void, journal_error> simulated_disk::sync_file(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    inode* f = file_of(key);
    if (f == nullptr) return std::unexpected(error_from_errno(ENOENT, path, 0, "fdatasync"));
    f->durable = f->current;
    const std::uint64_t number = names_.at(key).inode;
    std::erase_if(unsynced_, [&](const unsynced_write& w) { return w.inode == number; });
    return {};
}

std::expected<void, journal_error> simulated_disk::rename_file(const std::filesystem::path& from,
                                                               const std::filesystem::path& to) {
    std::lock_guard lock(mutex_);
    const std::string source = key_of(from);
    const std::string target = key_of(to);
    const entry* moved = file_entry(source);
    if (moved == nullptr) {
        return std::unexpected(error_from_errno(ENOENT, from, 0, "rename to " + to.string()));
    }
    if (!is_directory(parent_of(target))) {
        return std::unexpected(error_from_errno(ENOENT, from, 0, "rename to " + to.string()));
    }
    ORDO_ASSERT(!is_directory(target));
    const entry e = *moved;
    names_.erase(source);
    names_[target] = e;  // replaces what the target named, atomically
    return {};
}

std::expected<void, journal_error> simulated_disk::remove_file(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    ORDO_ASSERT(!is_directory(key));
    names_.erase(key);
    return {};
}

std::expected<bool, journal_error> simulated_disk::make_dir(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    if (is_directory(key)) return false;
    if (names_.contains(key)) {
        return std::unexpected(journal_error{.code = journal_errc::invalid_argument,
                                             .system_errno = ENOTDIR,
                                             .path = key,
                                             .detail = "exists and is not a directory"});
    }
    if (!is_directory(parent_of(key))) {
        return std::unexpected(error_from_errno(ENOENT, path, 0, "mkdir"));
    }
    names_[key] = entry{.directory = true};
    return true;
}

// Makes the directory's entries what a crash leaves: new and renamed names appear,
// removed and renamed-away names disappear.
std::expected<void, journal_error> simulated_disk::sync_dir(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    if (!is_directory(key)) return std::unexpected(error_from_errno(ENOENT, path, 0, "open directory"));
    ++dir_syncs_;
    if (dir_syncs_ == faults_.fail_dir_sync_at) {
        return std::unexpected(error_from_errno(faults_.dir_sync_errno, path, 0, "fsync directory"));
    }
    std::erase_if(durable_names_, [&](const auto& named) {
        return parent_of(named.first) == key && !names_.contains(named.first);
    });
    for (const auto& [name, e] : names_) {
        if (parent_of(name) == key) durable_names_[name] = e;
    }
    return {};
}

std::expected<std::vector<std::string>, journal_error> simulated_disk::list_dir(
    const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    if (!is_directory(key)) return std::unexpected(error_from_errno(ENOENT, path, 0, "opendir"));
    std::vector<std::string> names;
    for (const auto& [name, e] : names_) {
        if (parent_of(name) == key) names.push_back(std::filesystem::path(name).filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::expected<std::uint64_t, journal_error> simulated_disk::file_bytes(
    const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const inode* f = file_of(key_of(path));
    if (f == nullptr) return std::unexpected(error_from_errno(ENOENT, path, 0, "stat"));
    return f->current.size();
}

std::expected<std::uint64_t, journal_error> simulated_disk::read_at(
    const std::filesystem::path& path, std::uint64_t offset, std::span<std::byte> out) {
    std::lock_guard lock(mutex_);
    const inode* f = file_of(key_of(path));
    if (f == nullptr) return std::unexpected(error_from_errno(ENOENT, path, offset, "read"));
    if (offset >= f->current.size()) return 0;
    const std::uint64_t n = std::min<std::uint64_t>(out.size(), f->current.size() - offset);
    std::memcpy(out.data(), f->current.data() + offset, n);
    return n;
}

std::expected<file_lock, journal_error> simulated_disk::lock_file(
    const std::filesystem::path& path, std::string_view holder) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path);
    if (!is_directory(parent_of(key))) {
        return std::unexpected(error_from_errno(ENOENT, path, 0, "open lock file"));
    }
    if (const auto held = locks_.find(key); held != locks_.end()) {
        return std::unexpected(journal_error{.code = journal_errc::locked,
                                             .path = key,
                                             .detail = "held by " + held->second});
    }
    locks_.emplace(key, std::string(holder));
    return file_lock([this, key] { unlock(key); });
}

void simulated_disk::unlock(const std::string& key) {
    std::lock_guard lock(mutex_);
    locks_.erase(key);  // after a crash it is gone already
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
    const std::optional<std::uint64_t> file = disk_->open_file(path.string());
    if (!file.has_value()) return std::unexpected(error_from_errno(ENOENT, path, 0, "open segment"));
    open_files_.push_back(*file);
    return open_result{.file = static_cast<file_id>(open_files_.size() - 1), .direct = direct};
}

void simulated_backend::close_file(file_id file) noexcept {
    ORDO_ASSERT(file >= 0);
    ORDO_ASSERT(static_cast<std::size_t>(file) < open_files_.size());
}

std::expected<void, journal_error> simulated_backend::submit_write(const write_request& request) {
    ORDO_ASSERT(request.file >= 0);
    ORDO_ASSERT(done_.size() < 2 * batches_in_flight_max);
    const std::uint64_t file = open_files_.at(static_cast<std::size_t>(request.file));
    done_.push_back(disk_->write(file, request.bytes, request.offset, request.sync, request.tag));
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

}  // namespace ordo::journal::io
