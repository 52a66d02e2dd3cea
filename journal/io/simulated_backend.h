#pragma once
// An in-memory disk with fault injection, for tests (TigerBeetle style: a simulator beside
// the code). It models what matters to the journal's promises: written-but-unsynced bytes
// vanish on crash(), the last unsynced write can be torn at a chosen byte, and the Nth
// write or sync can fail with an errno or move fewer bytes than asked.
//
// Simplifications (documented in journal/README.md): renames, removes and directory
// creation are durable at once; create_zeroed/zero_range/append_zeros are durable when they
// return (with or without `sync`).
// Thread-safe (one mutex): the writer thread and the segment preparer both call it. The
// test owns the disk; it must outlive every writer using it.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "journal/io/io_backend.h"

namespace ordo::journal::io {

struct simulated_faults {
    std::uint64_t fail_write_at = 0;  // 1-based count of batch writes; 0 = never
    int write_errno = 0;              // e.g. EIO, ENOSPC
    std::uint64_t fail_sync_at = 0;   // 1-based count of syncs; 0 = never
    int sync_errno = 0;
    std::uint64_t short_write_at = 0;  // 1-based count of batch writes; 0 = never
    std::uint32_t short_write_bytes = 0;  // bytes that land of that write
    std::uint64_t fail_zero_fill_at = 0;  // 1-based count of append_zeros calls; 0 = never
    int zero_fill_errno = 0;
};

class simulated_disk {
public:
    void set_faults(const simulated_faults& faults);
    // Drops every unsynced write; with `tear_last_write_bytes`, the first that many bytes
    // of the last unsynced write survive (a torn write).
    void crash(std::optional<std::uint32_t> tear_last_write_bytes = std::nullopt);
    // Writes the durable image of every file under `dir` into `target` (real files), so the
    // real reader can recover from it.
    void materialize(const std::filesystem::path& dir, const std::filesystem::path& target);
    std::uint64_t writes() const;
    std::uint64_t syncs() const;

    // Used by simulated_backend.
    bool exists(const std::string& path) const;
    std::uint64_t size(const std::string& path) const;
    // Copies what the file holds now at `offset` (up to its end); returns the bytes copied.
    std::uint64_t read(const std::string& path, std::uint64_t offset,
                       std::span<std::byte> out) const;
    void create_zeroed(const std::string& path, std::uint64_t bytes);
    void zero_range(const std::string& path, std::uint64_t offset, std::uint64_t bytes);
    // Returns the injected errno, 0 when the zeros were appended.
    int append_zeros(const std::string& path, std::uint64_t offset, std::uint64_t bytes);
    std::uint64_t zero_fills() const;
    void rename(const std::string& from, const std::string& to);
    void remove(const std::string& path);
    std::vector<std::string> list(const std::string& dir) const;
    // Returns the errno (0 ok) and whether it was short.
    io_completion write(const std::string& path, std::span<const std::byte> bytes,
                        std::uint64_t offset, bool sync, std::uint64_t tag);

private:
    struct file {
        std::vector<std::byte> durable;
        std::vector<std::byte> current;
    };
    struct unsynced_write {
        std::string path;
        std::uint64_t offset = 0;
        std::vector<std::byte> bytes;
    };
    mutable std::mutex mutex_;
    std::map<std::string, file> files_;
    std::vector<unsynced_write> unsynced_;
    simulated_faults faults_{};
    std::uint64_t writes_ = 0;
    std::uint64_t syncs_ = 0;
    std::uint64_t zero_fills_ = 0;
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
    std::expected<void, journal_error> create_zeroed(const std::filesystem::path&,
                                                     std::uint64_t bytes) override;
    std::expected<void, journal_error> zero_range(const std::filesystem::path&,
                                                  std::uint64_t offset,
                                                  std::uint64_t bytes) override;
    std::expected<void, journal_error> append_zeros(const std::filesystem::path&,
                                                    std::uint64_t offset, std::uint64_t bytes,
                                                    bool sync) override;
    std::expected<void, journal_error> rename_file(const std::filesystem::path& from,
                                                   const std::filesystem::path& to) override;
    std::expected<void, journal_error> remove_file(const std::filesystem::path&) override;
    std::expected<void, journal_error> make_dir(const std::filesystem::path&) override;
    std::expected<void, journal_error> sync_dir(const std::filesystem::path&) override;
    std::expected<std::vector<std::string>, journal_error> list_dir(
        const std::filesystem::path&) override;
    std::expected<std::uint64_t, journal_error> file_bytes(
        const std::filesystem::path&) override;
    std::expected<std::uint64_t, journal_error> read_at(const std::filesystem::path&,
                                                        std::uint64_t offset,
                                                        std::span<std::byte> out) override;

private:
    simulated_disk* disk_;
    std::vector<std::string> open_paths_;  // file_id indexes this
    std::vector<io_completion> done_;
};

}  // namespace ordo::journal::io
