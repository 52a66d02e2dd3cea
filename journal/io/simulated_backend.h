#pragma once
// An in-memory disk with fault injection, for tests and drills (TigerBeetle style: a
// simulator beside the code). It is the durable file layer (file_system.h) and, through
// simulated_backend, the batch backend, so the journal writer, the segment preparer, the
// manifest and the snapshot store all run on it. It models what the data directory's
// promises rest on:
// - files (inodes) hold what was written and, separately, what was synced: crash() keeps
//   only the synced bytes, and can tear the last unsynced write at a chosen byte;
// - names live in directories, and a created, renamed or removed name, or a new directory,
//   survives a crash only once its directory was synced (sync_dir), as on a POSIX file
//   system; a file whose name did not survive is gone, whatever was synced into it;
// - the Nth batch write, batch sync, zero fill, whole-file write or directory sync can fail
//   with an errno, and a batch write can move fewer bytes than asked;
// - locks are held until released or a crash.
//
// Simplifications (journal/README.md): create_zeroed, zero_range and append_zeros are
// durable when they return (with or without `sync`): they write zeros, and the writer never
// relies on zeros it did not sync. "/" and "." always exist. Directories are never renamed
// or removed.
//
// Thread-safe (one mutex): the writer thread, the segment preparer, the manifest keeper and
// snapshot threads all call it. The test owns the disk; it must outlive every user.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "journal/io/file_system.h"
#include "journal/io/io_backend.h"

namespace ordo::journal::io {

struct simulated_faults {
    std::uint64_t fail_write_at = 0;  // 1-based count of batch writes; 0 = never
    int write_errno = 0;              // e.g. EIO, ENOSPC
    std::uint64_t fail_sync_at = 0;   // 1-based count of batch syncs; 0 = never
    int sync_errno = 0;
    std::uint64_t short_write_at = 0;  // 1-based count of batch writes; 0 = never
    std::uint32_t short_write_bytes = 0;  // bytes that land of that write
    std::uint64_t fail_zero_fill_at = 0;  // 1-based count of append_zeros calls; 0 = never
    int zero_fill_errno = 0;
    // 1-based count of write_file, write_at and write_blocks_at calls; 0 = never.
    std::uint64_t fail_file_write_at = 0;
    int file_write_errno = 0;              // the file is left created and empty
    std::uint64_t fail_dir_sync_at = 0;    // 1-based count of sync_dir calls; 0 = never
    int dir_sync_errno = 0;
};

class simulated_disk final : public file_system {
public:
    void set_faults(const simulated_faults& faults);
    // Drops every unsynced write and every name not yet durable, and releases every lock;
    // with `tear_last_write_bytes`, the first that many bytes of the last unsynced batch
    // write survive (a torn write).
    void crash(std::optional<std::uint32_t> tear_last_write_bytes = std::nullopt);
    // Writes the durable image (what a crash now would leave) of every file and directory
    // under `dir` into `target` (real files), so the real readers can recover from it.
    void materialize(const std::filesystem::path& dir, const std::filesystem::path& target);
    std::uint64_t writes() const;      // batch writes
    std::uint64_t syncs() const;       // batch syncs
    std::uint64_t zero_fills() const;  // append_zeros calls
    std::uint64_t file_writes() const;  // write_file, write_at and write_blocks_at calls
    std::uint64_t dir_syncs() const;    // sync_dir calls

    // What the names hold now (durable or not), for tests.
    bool exists(const std::string& path) const;
    // Whether the name would survive a crash now.
    bool durable(const std::string& path) const;
    std::uint64_t size(const std::string& path) const;
    std::vector<std::byte> contents(const std::string& path) const;

    // Used by simulated_backend: the file a name refers to now, and a batch write into it.
    std::optional<std::uint64_t> open_file(const std::string& path) const;
    io_completion write(std::uint64_t file, std::span<const std::byte> bytes,
                        std::uint64_t offset, bool sync, std::uint64_t tag);

    // file_system
    std::expected<void, journal_error> create_zeroed(const std::filesystem::path&,
                                                     std::uint64_t bytes) override;
    std::expected<void, journal_error> zero_range(const std::filesystem::path&,
                                                  std::uint64_t offset,
                                                  std::uint64_t bytes) override;
    std::expected<void, journal_error> append_zeros(const std::filesystem::path&,
                                                    std::uint64_t offset, std::uint64_t bytes,
                                                    bool sync) override;
    std::expected<void, journal_error> write_file(
        const std::filesystem::path&, std::span<const std::span<const std::byte>> parts) override;
    std::expected<void, journal_error> write_at(const std::filesystem::path&, std::uint64_t offset,
                                                std::span<const std::byte> bytes) override;
    // write_at, the alignment checked (there is no page cache to go around).
    std::expected<void, journal_error> write_blocks_at(const std::filesystem::path&,
                                                       std::uint64_t offset,
                                                       std::span<const std::byte> bytes) override;
    std::expected<void, journal_error> resize_file(const std::filesystem::path&,
                                                   std::uint64_t bytes) override;
    std::expected<void, journal_error> sync_file(const std::filesystem::path&) override;
    std::expected<void, journal_error> rename_file(const std::filesystem::path& from,
                                                   const std::filesystem::path& to) override;
    std::expected<void, journal_error> remove_file(const std::filesystem::path&) override;
    std::expected<bool, journal_error> make_dir(const std::filesystem::path&) override;
    std::expected<void, journal_error> sync_dir(const std::filesystem::path&) override;
    std::expected<std::vector<std::string>, journal_error> list_dir(
        const std::filesystem::path&) override;
    std::expected<std::uint64_t, journal_error> file_bytes(
        const std::filesystem::path&) override;
    std::expected<std::uint64_t, journal_error> read_at(const std::filesystem::path&,
                                                        std::uint64_t offset,
                                                        std::span<std::byte> out) override;
    std::expected<file_lock, journal_error> lock_file(const std::filesystem::path&,
                                                      std::string_view holder) override;
    // Writes here never outlive a crash (the simulated disk drops what was in flight), so
    // no exited holder keeps a lock.
    std::expected<void, journal_error> wait_for_exited_holder(
        const std::filesystem::path&) override {
        return {};
    }

private:
    struct inode {
        std::vector<std::byte> durable;
        std::vector<std::byte> current;
    };
    struct entry {
        bool directory = false;
        std::uint64_t inode = 0;  // files only
        friend bool operator==(const entry&, const entry&) = default;
    };
    struct unsynced_write {
        std::uint64_t inode = 0;
        std::uint64_t offset = 0;
        std::vector<std::byte> bytes;
    };

    // Callers hold mutex_.
    static std::string key_of(const std::filesystem::path& path);
    static std::string parent_of(const std::string& key);
    bool is_directory(const std::string& key) const;
    const entry* file_entry(const std::string& key) const;
    inode* file_of(const std::string& key);
    const inode* file_of(const std::string& key) const;
    std::expected<inode*, journal_error> create_file(const std::string& key,
                                                     std::string_view detail);
    bool durable_locked(const std::string& key) const;
    void unlock(const std::string& key);

    mutable std::mutex mutex_;
    std::map<std::uint64_t, inode> inodes_;
    std::uint64_t next_inode_ = 1;
    std::map<std::string, entry> names_;          // the namespace now
    std::map<std::string, entry> durable_names_;  // what a crash would leave
    std::vector<unsynced_write> unsynced_;
    std::map<std::string, std::string> locks_;    // lock file -> holder
    simulated_faults faults_{};
    std::uint64_t writes_ = 0;
    std::uint64_t syncs_ = 0;
    std::uint64_t zero_fills_ = 0;
    std::uint64_t file_writes_ = 0;
    std::uint64_t dir_syncs_ = 0;
};

// io_backend over a simulated_disk. Owned by the writer's thread.
class simulated_backend final : public io_backend {
public:
    explicit simulated_backend(simulated_disk* disk);
    io_backend_kind kind() const noexcept override { return io_backend_kind::simulated; }
    std::expected<void, journal_error> attach_buffers(
        std::span<const std::span<std::byte>> buffers) override;
    std::expected<open_result, journal_error> open_file(const std::filesystem::path&,
                                                        bool direct) override;
    void close_file(file_id file) noexcept override;
    std::expected<void, journal_error> submit_write(const write_request&) override;
    std::uint32_t reap(std::span<io_completion> out, bool wait) override;

private:
    simulated_disk* disk_;
    std::vector<std::uint64_t> open_files_;  // file_id indexes this: the disk's inode
    std::vector<io_completion> done_;
};

}  // namespace ordo::journal::io
