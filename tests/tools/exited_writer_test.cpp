// A writer killed with writes in flight. kill -9 does not wait for io_uring's writes: the
// process is reaped while the kernel still finishes them, so a batch can land after the
// reap. Before the fix, `ordo state` run right after the reap read the journal without it
// and the next `ordo run` recovered with it (the cause of an intermittent
// kill_recovery_test failure), and a next writer could have recovered without it and then
// had it land over its own acknowledged batch. Now the data directory's lock lives as long
// as those writes (journal/io/posix_lock.h): readers and the next writer wait for it.
//
// To have writes in flight at every kill, the writer runs in a blkio cgroup that allows it
// 20 writes per second on the disk under the temp directory: each batch's write then waits
// about 50 ms in the kernel's throttle queue, which a kill does not empty. That needs root
// and cgroup v1's blkio controller (the CI machine has both); elsewhere the test says so
// and checks nothing.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "tools/drill/workload_file.h"
#include "tests/tools/ordo_process.h"

namespace {

namespace fs = std::filesystem;
using namespace ordo;

constexpr int throttled_writes_per_s = 20;

// A blkio cgroup that throttles writes to the disk holding `dir`, removed at the end.
struct write_throttle {
    static std::optional<fs::path> make(const fs::path& dir) {
        const fs::path root = "/sys/fs/cgroup/blkio";
        struct stat status {};
        if (::stat(dir.c_str(), &status) != 0 || !fs::is_directory(root)) return std::nullopt;
        const fs::path group = root / ("ordo_exited_writer_" + std::to_string(::getpid()));
        std::error_code error;
        fs::create_directory(group, error);
        if (error) return std::nullopt;
        std::ofstream rule(group / "blkio.throttle.write_iops_device");
        rule << major(status.st_dev) << ':' << minor(status.st_dev) << ' '
             << throttled_writes_per_s << '\n';
        rule.close();
        if (!rule.good()) {
            fs::remove(group, error);
            return std::nullopt;  // not a whole disk (a partition), or no throttling
        }
        return group;
    }
    explicit write_throttle(const fs::path& dir) : group(make(dir)) {}
    write_throttle(const write_throttle&) = delete;
    write_throttle& operator=(const write_throttle&) = delete;
    ~write_throttle() {
        std::error_code ignored;  // its processes are all reaped: the group is empty
        if (group) fs::remove(*group, ignored);
    }
    std::optional<fs::path> group;
};

bool lock_held(const fs::path& lock) {
    const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
    ::close(fd);
    return held;
}

// `ordo run` inside the cgroup, through a shell that joins it and then execs ordo.
pid_t spawn_throttled_run(const fs::path& group, const fs::path& data, const fs::path& workload,
                          const fs::path& results) {
    const std::string script = "echo $$ > " + test::quoted((group / "tasks").string()) +
                               " && exec " + test::quoted(ORDO_BINARY) + " run --data " +
                               test::quoted(data.string()) + " --workload " +
                               test::quoted(workload.string()) + " --results " +
                               test::quoted(results.string()) +
                               " --segment-mib 1 --batch-kib 128 2>/dev/null";
    const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
    return pid;
}

// Kills the run once it reported a first result: its next batch is then in the throttle.
void kill_after_first_result(pid_t pid, const fs::path& results) {
    for (;;) {
        std::error_code error;
        if (fs::file_size(results, error) > 0 && !error) break;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) != 0) FAIL("ordo run ended before its first result");
        std::this_thread::yield();
    }
    ::kill(pid, SIGKILL);
    REQUIRE(test::wait_exit(pid) == 128 + SIGKILL);
}

}  // namespace

TEST_CASE("a writer's writes that land after kill -9 are waited for, never read around",
          "[durability][kill]") {
    const test::temp_dir dir("exited_writer");
    const write_throttle throttle(dir.path());
    const auto& group = throttle.group;
    if (!group) {
        WARN("no blkio cgroup to throttle writes in (needs root and cgroup v1): not run");
        return;
    }
    const fs::path workload = dir.path() / "workload.jsonl";
    REQUIRE(tools::drill::write_workload(workload, tools::drill::generate_commands(7, 200'000)));
    const fs::path lock = dir.path() / "data" / "ordo.lock";
    test::write_text(dir.path() / "empty.jsonl", "");

    int held_after_reap = 0;
    constexpr int rounds = 4;
    for (int round = 0; round < rounds; round++) {
        const fs::path data = dir.path() / "data";
        fs::remove_all(data);
        const fs::path results = dir.path() / "results.jsonl";
        fs::remove(results);
        kill_after_first_result(spawn_throttled_run(*group, data, workload, results), results);
        // Reaped, yet the lock is still held: the ring keeps it until its writes land.
        if (lock_held(lock)) held_after_reap++;

        if (round % 2 == 0) {
            // A reader waits for them: once it answered, the lock is free, and the journal
            // no longer changes (the same answer after).
            const auto first = test::run_ordo({"state", "--data", data.string()});
            REQUIRE(first.exit_status == 0);
            REQUIRE_FALSE(lock_held(lock));
            const auto second = test::run_ordo({"state", "--data", data.string()});
            REQUIRE(second.exit_status == 0);
            REQUIRE(first.out == second.out);
        } else {
            // The next writer waits for them instead of refusing the directory as in use.
            const auto next = test::run_ordo({"run", "--data", data.string(), "--workload",
                                              (dir.path() / "empty.jsonl").string()});
            INFO(next.err);
            REQUIRE(next.exit_status == 0);
        }
    }
    // The cgroup did its job: writes were still in flight after the reaps.
    REQUIRE(held_after_reap >= rounds / 2);
}
