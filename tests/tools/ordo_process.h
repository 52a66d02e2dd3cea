#pragma once
// The built `ordo` binary in a subprocess, as a user runs it: its exit status, stdout and
// stderr; and temporary directories removed when a test ends. The one copy of these
// helpers for every CLI test (the contract examples, run's inputs, the data directory
// misused, time travel, queries, followers).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace ordo::test {

namespace fs = std::filesystem;

class temp_dir {
  public:
    explicit temp_dir(const std::string& tag = "test") {
        static int counter = 0;
        path_ = fs::temp_directory_path() / ("ordo_" + tag + "_" + std::to_string(::getpid()) +
                                             "_" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

  private:
    fs::path path_;
};

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

inline std::string quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

struct run_result {
    int exit_status = -1;  // 128 + n when a signal n ended it after `before` (as a shell says)
    std::string out;
    std::string err;
};

// Runs `<before> ordo <args> <after>` through the shell (each argument quoted; `before` and
// `after` are shell text: `ulimit -v N; exec `, a pipe into it, a redirection), stdout and
// stderr captured unless `after` redirects them. A shell killed by a signal (an ordo
// started with `exec` that trapped or aborted) fails the test with what it printed.
inline run_result run_ordo_shell(const std::string& before, const std::vector<std::string>& args,
                                 const std::string& after = "") {
    const temp_dir capture("capture");
    std::string command = before + quoted(ORDO_BINARY);
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "lit" + string&&.
    for (const std::string& arg : args) {
        command += ' ';
        command += quoted(arg);
    }
    command += " 2>";
    command += quoted(capture / "err");
    if (after.empty()) {
        command += " >";
        command += quoted(capture / "out");
        command += " </dev/null";
    } else {
        command += ' ';
        command += after;
    }
    const int status = std::system(command.c_str());
    run_result result{.out = read_text(capture.path() / "out"),
                      .err = read_text(capture.path() / "err")};
    INFO(command << "\nstderr: " << result.err);
    REQUIRE(status != -1);
    REQUIRE_FALSE(WIFSIGNALED(status));
    REQUIRE(WIFEXITED(status));
    result.exit_status = WEXITSTATUS(status);
    return result;
}

// Runs `ordo <args>` with stdout and stderr captured and no stdin.
inline run_result run_ordo(const std::vector<std::string>& args) {
    return run_ordo_shell("", args);
}

// Starts `ordo <args>` without waiting, stdout to `stdout_path` (created or truncated), stderr
// to /dev/null; returns its pid for wait_exit (or a signal first).
inline pid_t spawn_ordo(const std::vector<std::string>& args,
                        const fs::path& stdout_path = "/dev/null") {
    std::vector<std::string> all = {ORDO_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : all) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

// A spawned ordo's exit status, or 128 + the signal that ended it.
inline int wait_exit(pid_t pid) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ordo::test
