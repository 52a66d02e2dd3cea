// Tests for the durable file layer (journal/io/file_system.h) and the simulated disk's model
// of directories: a name is durable only once its directory is synced; replace_file and
// make_dirs_durable leave the old file or the new one whole at every crash point; a lock
// excludes a second holder (real flock and simulated) and names the first; snapshots go
// through the same layer.

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "journal/io/file_system.h"
#include "journal/io/simulated_backend.h"
#include "journal/snapshot_store.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

std::expected<void, journal_error> write_text(io::file_system& files,
                                              const std::filesystem::path& path,
                                              const std::string& text) {
    const std::vector<std::byte> bytes = bytes_of(text);
    const std::span<const std::byte> parts[] = {bytes};
    return files.write_file(path, parts);
}

std::expected<void, journal_error> replace_text(io::file_system& files,
                                                const std::filesystem::path& path,
                                                const std::string& text) {
    const std::vector<std::byte> bytes = bytes_of(text);
    const std::span<const std::byte> parts[] = {bytes};
    return io::replace_file(files, path, parts);
}

}  // namespace

TEST_CASE("a created, renamed or removed name survives a crash only once its directory is synced") {
    // Proves the simulated disk's directory model: synced data under an unsynced name is
    // lost with the name; a rename or a removal is undone by a crash until the directory
    // is synced; a new directory vanishes, with what it holds, until its parent is synced.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, "/d").has_value());
    REQUIRE(write_text(disk, "/d/a", "first").has_value());
    REQUIRE(disk.exists("/d/a"));
    REQUIRE_FALSE(disk.durable("/d/a"));
    disk.crash();
    REQUIRE_FALSE(disk.exists("/d/a"));

    REQUIRE(write_text(disk, "/d/a", "first").has_value());
    REQUIRE(disk.sync_dir("/d").has_value());
    REQUIRE(disk.durable("/d/a"));
    REQUIRE(disk.rename_file("/d/a", "/d/b").has_value());
    disk.crash();
    REQUIRE(disk.exists("/d/a"));  // the rename was not durable
    REQUIRE_FALSE(disk.exists("/d/b"));
    REQUIRE(disk.contents("/d/a") == bytes_of("first"));

    REQUIRE(disk.rename_file("/d/a", "/d/b").has_value());
    REQUIRE(disk.sync_dir("/d").has_value());
    REQUIRE(disk.remove_file("/d/b").has_value());
    disk.crash();
    REQUIRE(disk.exists("/d/b"));  // the removal was not durable
    REQUIRE_FALSE(disk.exists("/d/a"));

    REQUIRE(disk.make_dir("/d/sub").value());
    REQUIRE(write_text(disk, "/d/sub/c", "inner").has_value());
    REQUIRE(disk.sync_dir("/d/sub").has_value());
    disk.crash();  // "/d" was not synced after "/d/sub" was made
    REQUIRE_FALSE(disk.exists("/d/sub"));
    REQUIRE_FALSE(disk.exists("/d/sub/c"));
}

TEST_CASE("make_dirs_durable makes every new level durable") {
    // Proves: the directories it creates, at any depth, survive a crash at once; one that
    // exists is left alone; a path that is a file is refused.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, "/a/b/c").has_value());
    disk.crash();
    REQUIRE(disk.exists("/a/b/c"));
    REQUIRE(io::make_dirs_durable(disk, "/a/b/c/").has_value());
    REQUIRE(write_text(disk, "/a/f", "x").has_value());
    const auto refused = io::make_dirs_durable(disk, "/a/f");
    REQUIRE_FALSE(refused.has_value());
    REQUIRE(refused.error().code == journal_errc::invalid_argument);
}

TEST_CASE("replace_file leaves the old file or the new one, whole, at every crash point") {
    // Proves: a failed write of the temp file, or a crash before the directory sync, leaves
    // the old content; after replace_file returns, the new content survives a crash.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, "/d").has_value());
    REQUIRE(replace_text(disk, "/d/m", "old").has_value());
    disk.crash();
    REQUIRE(disk.contents("/d/m") == bytes_of("old"));

    disk.set_faults({.fail_file_write_at = disk.file_writes() + 1, .file_write_errno = ENOSPC});
    const auto full = replace_text(disk, "/d/m", "new");
    REQUIRE_FALSE(full.has_value());
    REQUIRE(full.error().code == journal_errc::no_space);
    REQUIRE(full.error().path == "/d/m.tmp");
    disk.crash();
    REQUIRE(disk.contents("/d/m") == bytes_of("old"));

    disk.set_faults({.fail_dir_sync_at = disk.dir_syncs() + 1, .dir_sync_errno = EIO});
    const auto unsynced = replace_text(disk, "/d/m", "new");
    REQUIRE_FALSE(unsynced.has_value());
    REQUIRE(unsynced.error().code == journal_errc::io_error);
    REQUIRE(disk.contents("/d/m") == bytes_of("new"));  // renamed, not yet durable
    disk.crash();
    REQUIRE(disk.contents("/d/m") == bytes_of("old"));

    disk.set_faults({});
    REQUIRE(replace_text(disk, "/d/m", "new").has_value());
    disk.crash();
    REQUIRE(disk.contents("/d/m") == bytes_of("new"));
}

TEST_CASE("a lock excludes a second holder and names the first, on real files and simulated") {
    // Proves: while one holds the lock, a second attempt fails at once with `locked`, its
    // detail naming the first holder; once released (or after a simulated crash) it can be
    // taken again. flock belongs to the open file, so two attempts in one process conflict
    // as two processes would.
    temp_dir tmp;
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, "/d").has_value());
    struct place {
        io::file_system* files;
        std::filesystem::path path;
    };
    for (const place& p : {place{&io::real_file_system(), tmp.path() / "ordo.lock"},
                           place{&disk, "/d/ordo.lock"}}) {
        auto first = p.files->lock_file(p.path, "pid 1 (first)");
        REQUIRE(first.has_value());
        REQUIRE(first->held());
        auto second = p.files->lock_file(p.path, "pid 2 (second)");
        REQUIRE_FALSE(second.has_value());
        REQUIRE(second.error().code == journal_errc::locked);
        REQUIRE(second.error().detail == "held by pid 1 (first)");
        first->unlock();
        auto third = p.files->lock_file(p.path, "pid 3 (third)");
        REQUIRE(third.has_value());
    }
    auto held = disk.lock_file("/d/ordo.lock", "pid 4");
    REQUIRE(held.has_value());
    disk.crash();  // the process holding it is gone
    REQUIRE(disk.lock_file("/d/ordo.lock", "pid 5").has_value());
}

TEST_CASE("snapshots are written and pruned through the durable file layer") {
    // Proves: write_snapshot on the simulated disk creates snapshots/ durably and the
    // snapshot's name is durable when it returns; a crash in the middle of a write (the
    // temp file's write fails) leaves the older snapshots only; prune's removals are
    // durable.
    io::simulated_disk disk;
    REQUIRE(io::make_dirs_durable(disk, "/data").has_value());
    const std::vector<std::byte> payload = bytes_of("state bytes");
    for (std::uint64_t sequence : {10u, 20u, 30u}) {
        auto written = write_snapshot("/data", snapshot_position{.next_sequence = sequence},
                                      payload, disk);
        REQUIRE(written.has_value());
        REQUIRE(disk.durable(written->path.string()));
    }
    disk.set_faults({.fail_file_write_at = disk.file_writes() + 1, .file_write_errno = EIO});
    REQUIRE_FALSE(write_snapshot("/data", snapshot_position{.next_sequence = 40}, payload, disk)
                      .has_value());
    disk.crash();
    disk.set_faults({});
    auto names = disk.list_dir("/data/snapshots");
    REQUIRE(names.has_value());
    REQUIRE(names->size() == 3);
    REQUIRE(prune_snapshots("/data", 1, disk).has_value());
    disk.crash();
    names = disk.list_dir("/data/snapshots");
    REQUIRE(names.has_value());
    REQUIRE(*names == std::vector<std::string>{"snapshot-00000000000000000030.snap"});
}

TEST_CASE("a lock kept after its holder exited is waited for, by the next holder and by readers") {
    // Proves the exited-holder rule (journal/io/posix_lock.h) without io_uring: a child takes
    // the lock naming itself, hands its open file to a grandchild (as a ring keeps it after a
    // kill) and exits. Then the lock is held but its named holder is gone: the next holder
    // and a reader wait (they have not returned while the grandchild keeps it) and go on
    // once it lets go; a live holder is still refused at once.
    temp_dir tmp;
    const std::filesystem::path lock = tmp.path() / "ordo.lock";
    int release[2];
    REQUIRE(::pipe(release) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(release[1]);
        auto taken = io::real_file_system().lock_file(lock, "pid " + std::to_string(::getpid()) +
                                                                " (exited holder)");
        if (!taken) ::_exit(1);
        if (::fork() == 0) {  // the grandchild keeps the open file until the pipe closes
            char byte = 0;
            while (::read(release[0], &byte, 1) > 0) {
            }
            ::_exit(0);
        }
        ::_exit(0);  // the named holder exits; its copy of the open file goes
    }
    ::close(release[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    auto next = std::async(std::launch::async, [&] {
        return io::real_file_system().lock_file(lock, "pid 1 (next)");
    });
    auto reader = std::async(std::launch::async,
                             [&] { return io::real_file_system().wait_for_exited_holder(lock); });
    // Neither returns while the lock is kept (up to exited_holder_wait_ms).
    REQUIRE(next.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
    REQUIRE(reader.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
    ::close(release[1]);  // the grandchild lets go
    auto taken = next.get();
    REQUIRE(taken.has_value());
    REQUIRE(reader.get().has_value());
    // Now its holder (pid 1) runs: a second writer is refused at once, a reader does not wait.
    auto second = io::real_file_system().lock_file(lock, "pid 2 (second)");
    REQUIRE_FALSE(second.has_value());
    REQUIRE(second.error().detail == "held by pid 1 (next)");
    REQUIRE(io::real_file_system().wait_for_exited_holder(lock).has_value());
}
