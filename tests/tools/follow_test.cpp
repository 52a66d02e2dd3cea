// `ordo follow`: a follower kill -9'ed mid-stream and restarted ends with views identical
// (checkpoint bytes: position and state) to one that never stopped; a follower tailing a
// live writer never meets a torn or damaged batch (it would exit 1) and ends identical too.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/tools/ordo_process.h"

extern char** environ;

namespace {

using namespace ordo::test;

const char* const views[] = {"availability", "customers", "history", "sales"};

void follow_to_end(const std::string& d) {
    const run_result run = run_ordo({"follow", "--data", d, "--exit-at-end"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
}

// A copy of DIR's journal and manifest without its projections.
std::string copy_without_views(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    fs::copy(from / "journal", to / "journal", fs::copy_options::recursive);
    fs::copy_file(from / "manifest", to / "manifest");
    return to.string();
}

void check_same_views(const fs::path& a, const fs::path& b) {
    for (const char* view : views) {
        INFO(view);
        const std::string file = std::string(view) + ".checkpoint";
        const std::string left = read_text(a / "projections" / file);
        REQUIRE(!left.empty());
        CHECK(left == read_text(b / "projections" / file));
    }
}

}  // namespace

TEST_CASE("follow: kill -9 mid-stream, restart, identical to a follower that never stopped",
          "[cli][follow]") {
    const temp_dir dir("follow");
    const fs::path d = dir.path() / "d";
    REQUIRE(run_ordo({"simulate", "--commands", "1500000", "--data", d.string(), "--seed", "11"})
                .exit_status == 0);
    const std::string calm = copy_without_views(d, dir.path() / "calm");
    // Without --exit-at-end, so that it is still running when killed however fast it caught
    // up (with --exit-at-end a catch-up shorter than a second ends with its first checkpoint,
    // and the kill would race its exit). Killed once its first checkpoint is out (it
    // checkpoints every second).
    const pid_t follower = spawn_ordo({"follow", "--data", d.string()});
    const fs::path first = d / "projections" / "sales.checkpoint";
    while (!fs::exists(first)) {
        int status = 0;
        if (::waitpid(follower, &status, WNOHANG) == follower) FAIL("the follower ended early");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(::kill(follower, SIGKILL) == 0);
    CHECK(wait_exit(follower) == 128 + SIGKILL);
    follow_to_end(d.string());
    follow_to_end(d.string());  // once more: nothing new, nothing changes
    follow_to_end(calm);
    check_same_views(d, calm);
}

TEST_CASE("follow: tailing a live writer, never a torn batch", "[cli][follow]") {
    const temp_dir dir("follow");
    const fs::path d = dir.path() / "d";
    // A simulation writes a new DIR, then `ordo run` reopens it and goes on: the follower
    // meets both, rollovers included.
    const std::string workload = (fs::path(ORDO_TEST_DATA_DIR) / "random.jsonl").string();
    const std::vector<std::vector<std::string>> writers = {
        {"simulate", "--commands", "1000000", "--data", d.string(), "--seed", "1"},
        {"run", "--data", d.string(), "--workload", workload}};
    for (const auto& writer_args : writers) {
        const pid_t writer = spawn_ordo(writer_args);
        // The follower starts once the writer created the directory, and stops on SIGTERM
        // after the writer ended (exit 128 + SIGTERM: stopped by the signal, no damage met).
        while (!fs::exists(d / "manifest"))
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const pid_t follower = spawn_ordo({"follow", "--data", d.string()});
        REQUIRE(wait_exit(writer) == 0);
        REQUIRE(::kill(follower, SIGTERM) == 0);
        CHECK(wait_exit(follower) == 128 + SIGTERM);
    }
    follow_to_end(d.string());
    const std::string calm = copy_without_views(d, dir.path() / "calm");
    follow_to_end(calm);
    check_same_views(d, calm);
}
