#pragma once
// The durable file layer of a data directory: every file the journal writer, the snapshot
// store and the manifest create, replace, sync, rename or remove goes through this seam, so
// one set of rules holds everywhere and the simulated disk (simulated_backend.h) covers all
// of it (TigerBeetle's storage interface is the model).
//
// The rules, as a POSIX file system gives them and as the simulated disk models them:
// - Data is durable once synced: write_file, create_zeroed, zero_range, resize_file and
//   sync_file sync what they wrote before they return; append_zeros only with `sync`.
// - A name is durable only once its directory is synced: a created, renamed or removed
//   name, and a new directory, may be undone by a crash until sync_dir() of the directory
//   that holds it. The helpers below (make_dirs_durable, replace_file) do that.
// - Errors map errno on purpose (STYLE.md): EIO, ENOSPC, EDQUOT, EACCES, EROFS... become
//   journal_error values; EBADF and EFAULT (and EINVAL unless a call says otherwise) are
//   our bugs and assert (error_from_errno).
//
// Thread-safe: the writer's thread, the segment preparer, the manifest keeper and the
// snapshot thread all call one instance. The real one is stateless (real_file_system()).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "journal/errc.h"

namespace ordo::journal::io {

// Maps an errno from a call we built to a journal_error naming `path`. EBADF and EFAULT
// assert; EINVAL asserts unless `einval_is_unsupported` (O_DIRECT refusals, io_uring).
journal_error error_from_errno(int error, const std::filesystem::path& path,
                               std::uint64_t offset, std::string_view detail,
                               bool einval_is_unsupported = false);

// An exclusive lock on a file, held until destroyed (the kernel also drops it when the
// process dies, kill -9 included, once nothing else holds the open file: see
// io_backend::hold_open_until_idle). Move-only.
class file_lock {
public:
    file_lock() = default;
    // `descriptor`: the open file the lock belongs to, -1 when it has none (simulated).
    explicit file_lock(std::function<void()> release, int descriptor = -1)
        : release_(std::move(release)), descriptor_(descriptor) {}
    file_lock(file_lock&& other) noexcept
        : release_(std::exchange(other.release_, {})),
          descriptor_(std::exchange(other.descriptor_, -1)) {}
    file_lock& operator=(file_lock&& other) noexcept {
        if (this != &other) {
            unlock();
            release_ = std::exchange(other.release_, {});
            descriptor_ = std::exchange(other.descriptor_, -1);
        }
        return *this;
    }
    file_lock(const file_lock&) = delete;
    file_lock& operator=(const file_lock&) = delete;
    ~file_lock() { unlock(); }
    bool held() const noexcept { return static_cast<bool>(release_); }
    int descriptor() const noexcept { return held() ? descriptor_ : -1; }
    void unlock() noexcept {
        descriptor_ = -1;
        if (release_) std::exchange(release_, {})();
    }

private:
    std::function<void()> release_;
    int descriptor_ = -1;
};

class file_system {
public:
    virtual ~file_system() = default;

    // --- Data (see the rules above for when each is durable) ---
    // Creates (or truncates) `path` holding `bytes` of zeros (a block multiple), synced.
    virtual std::expected<void, journal_error> create_zeroed(const std::filesystem::path&,
                                                             std::uint64_t bytes) = 0;
    // Overwrites [offset, offset + bytes) of an existing file with zeros, synced.
    virtual std::expected<void, journal_error> zero_range(const std::filesystem::path&,
                                                          std::uint64_t offset,
                                                          std::uint64_t bytes) = 0;
    // Writes zeros over [offset, offset + bytes) of a file that ends at `offset`, creating it
    // empty first when `offset` is 0: the segment preparer fills a segment a piece at a time.
    virtual std::expected<void, journal_error> append_zeros(const std::filesystem::path&,
                                                            std::uint64_t offset,
                                                            std::uint64_t bytes, bool sync) = 0;
    // Creates (or truncates) `path`, writes the parts back to back and fdatasyncs it.
    virtual std::expected<void, journal_error> write_file(
        const std::filesystem::path&, std::span<const std::span<const std::byte>> parts) = 0;
    // Writes `bytes` at `offset` of `path`, creating the file empty when it is missing: a
    // file built a piece at a time (a snapshot streamed out while the sequencer runs). NOT
    // durable until sync_file.
    virtual std::expected<void, journal_error> write_at(const std::filesystem::path&,
                                                        std::uint64_t offset,
                                                        std::span<const std::byte> bytes) = 0;
    // write_at for whole blocks (address, offset and length multiples of block_bytes): written
    // around the page cache (O_DIRECT) where the file system takes it, else as write_at. For a
    // large file written once that nothing reads soon (a projection's checkpoint): copying it
    // into the page cache was most of its time, and its pages would push the journal's out.
    // NOT durable until sync_file.
    virtual std::expected<void, journal_error> write_blocks_at(
        const std::filesystem::path&, std::uint64_t offset, std::span<const std::byte> bytes) = 0;
    // Cuts (or extends with a hole) the file to `bytes`, synced.
    virtual std::expected<void, journal_error> resize_file(const std::filesystem::path&,
                                                           std::uint64_t bytes) = 0;
    // fdatasync: everything written to the file so far is durable (and, on a device with a
    // volatile cache, the flush covers what other files wrote before it).
    virtual std::expected<void, journal_error> sync_file(const std::filesystem::path&) = 0;

    // --- Names: NOT durable until sync_dir of the directory holding them ---
    virtual std::expected<void, journal_error> rename_file(const std::filesystem::path& from,
                                                           const std::filesystem::path& to) = 0;
    // A missing file is not an error (it is already gone).
    virtual std::expected<void, journal_error> remove_file(const std::filesystem::path&) = 0;
    // One level: returns true when it made the directory, false when it was there. Fails
    // with not_found when the parent does not exist.
    virtual std::expected<bool, journal_error> make_dir(const std::filesystem::path&) = 0;
    virtual std::expected<void, journal_error> sync_dir(const std::filesystem::path&) = 0;

    // --- Reading (what the names and files hold now, durable or not) ---
    // Sorted names in the directory (not . and ..).
    virtual std::expected<std::vector<std::string>, journal_error> list_dir(
        const std::filesystem::path&) = 0;
    virtual std::expected<std::uint64_t, journal_error> file_bytes(
        const std::filesystem::path&) = 0;
    // Reads up to out.size() bytes at `offset` (fewer at the end of the file); returns how
    // many.
    virtual std::expected<std::uint64_t, journal_error> read_at(const std::filesystem::path&,
                                                                std::uint64_t offset,
                                                                std::span<std::byte> out) = 0;

    // --- Lock ---
    // Takes the exclusive lock on `path` (created if missing) and records `holder` (e.g.
    // "pid 123 (ordo run)") in it. When another holds it: journal_errc::locked, whose detail
    // names the holder as it recorded itself; but a lock whose holder has exited is waited
    // for (at most exited_holder_wait_ms): what keeps it is the dead writer's io_uring ring,
    // finishing writes that were in flight at its death (hold_open_until_idle).
    virtual std::expected<file_lock, journal_error> lock_file(const std::filesystem::path&,
                                                              std::string_view holder) = 0;
    // For a reader, which takes no lock: returns once the lock on `path` is not kept by a
    // holder that has exited (at once when it is free, missing, or held by a live process).
    // After a crash, the writes the dead writer had in flight land within that wait, so what
    // the reader reads next is what the next writer will recover. journal_errc::locked when
    // they have not landed after exited_holder_wait_ms.
    virtual std::expected<void, journal_error> wait_for_exited_holder(
        const std::filesystem::path&) = 0;
};

// Whether `bytes` at `offset` is whole blocks, as write_blocks_at takes them: address, offset
// and length multiples of block_bytes.
bool whole_blocks(std::uint64_t offset, std::span<const std::byte> bytes) noexcept;

// The real file system (POSIX calls, journal/io/posix_files.cpp). Stateless; any thread.
file_system& real_file_system();

// The directory that holds `path` ("." for a bare name; a trailing separator is ignored).
std::filesystem::path directory_of(const std::filesystem::path& path);

// Creates `dir` and any missing parents, each made durable (its parent synced).
std::expected<void, journal_error> make_dirs_durable(file_system& files,
                                                     const std::filesystem::path& dir);

// Atomic replace: writes `path` + ".tmp", fdatasyncs it, renames it over `path` and syncs
// the directory. A crash at any point leaves the old file or the new one, whole (and
// perhaps the temp file, which the next replace truncates).
std::expected<void, journal_error> replace_file(file_system& files,
                                                const std::filesystem::path& path,
                                                std::span<const std::span<const std::byte>> parts);

}  // namespace ordo::journal::io
