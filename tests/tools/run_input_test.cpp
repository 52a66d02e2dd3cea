// `ordo run` against hostile but ordinary inputs and outputs (issue 15): a workload on a
// pipe, a FIFO or /dev/stdin; --results naming the workload or the data directory; a
// results file that cannot be written (a full device, a pipe whose reader left); Ctrl-C
// while a workload that never ends is read; bytes a JSON lexer would read past; numeric
// options CLI11 alone would misread. The built binary runs in a subprocess, as a user
// runs it.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/tools/ordo_process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

using namespace ordo::test;

// Runs `<before> ordo <args> <after>` through the shell (tests/tools/ordo_process.h).
run_result shell(const std::string& before, const std::vector<std::string>& args,
                 const std::string& after = "") {
    return run_ordo_shell(before, args, after);
}

run_result ordo_cli(const std::vector<std::string>& args) { return shell("", args); }

// One line on stderr, nothing on stdout, the exit status given.
void check_one_error_line(const run_result& run, int exit_status) {
    INFO(run.err);
    CHECK(run.exit_status == exit_status);
    CHECK(run.out.empty());
    CHECK(lines_of(run.err).size() == 1);
    CHECK(run.err.ends_with('\n'));
}

// The commands DIR's journal holds (`ordo state`), or -1 when there is no journal at all.
long long commands_in(const std::string& data) {
    if (!fs::exists(fs::path(data) / "journal")) return -1;
    const run_result state = ordo_cli({"state", "--data", data});
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    return json::parse(state.out).at("commands").get<long long>();
}

// The results file equals the contract's rules.results.jsonl.
void check_rules_results(const std::string& results) {
    const std::vector<std::string> got = lines_of(read_text(results));
    const std::vector<std::string> want = lines_of(read_text(data_dir / "rules.results.jsonl"));
    REQUIRE(want.size() == 47);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); i++) CHECK(json::parse(got[i]) == json::parse(want[i]));
}

// A workload of `reserves` accepted reserves after one create: long enough that results
// are written while it runs (each 4 KiB of results is one write).
std::string long_workload(int reserves) {
    std::string text =
        R"({"op":"create_conference","t":0,"conference":1,"seats":{"1":1000000}})" "\n";
    for (int r = 1; r <= reserves; r++) {
        text += R"({"op":"reserve","t":1,"conference":1,"reservation":)" + std::to_string(r) +
                R"(,"customer":1,"seats":{"1":1}})" "\n";
    }
    return text;
}

// Starts `ordo <args>` with stdout and stderr into files of `capture`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const temp_dir& capture, int stdout_fd = -1) {
    std::vector<std::string> argv_text{ORDO_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child != -1);
    if (child == 0) {
        const int out = stdout_fd >= 0
                            ? stdout_fd
                            : ::open((capture / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open((capture / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0) ::_exit(120);
        if (::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0) ::_exit(120);
        ::execv(argv[0], argv.data());
        ::_exit(121);
    }
    return child;
}

int wait_exit_status(pid_t child) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("wait status " << status);
    REQUIRE(WIFEXITED(status));  // never an abort, a trap or a SIGPIPE
    return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("ordo run: a workload on a pipe or /dev/stdin runs whole", "[cli]") {
    // Proves the workload is read once: piped into /dev/stdin (the old run checked the
    // pipe, then read it again and found it empty: it ran nothing and said nothing) and
    // through /dev/fd, the results and the journal are the contract's.
    const temp_dir dir;
    const std::string rules = (data_dir / "rules.jsonl").string();
    const run_result run = shell("cat " + quoted(rules) + " | ",
                                 {"run", "--data", dir / "data", "--workload", "/dev/stdin",
                                  "--results", dir / "results.jsonl"},
                                 ">/dev/null");
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    check_rules_results(dir / "results.jsonl");
    CHECK(commands_in(dir / "data") == 47);
}

TEST_CASE("ordo run: a workload from a FIFO runs whole", "[cli]") {
    // Proves a named pipe, written by another process while ordo reads it, is checked
    // and sequenced from one read.
    const temp_dir dir;
    const std::string fifo = dir / "workload.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::string rules = (data_dir / "rules.jsonl").string();
    const run_result run = shell("(cat " + quoted(rules) + " > " + quoted(fifo) + " &) ; ",
                                 {"run", "--data", dir / "data", "--workload", fifo,
                                  "--results", dir / "results.jsonl"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    check_rules_results(dir / "results.jsonl");
}

TEST_CASE("ordo run: --results that is the workload is refused, the workload untouched",
          "[cli]") {
    // Proves --results naming the workload file (the same path, a symlink to it, a hard
    // link to it) is one error line, exit 2, before anything is opened for writing: the
    // old run truncated the user's workload to zero bytes.
    const temp_dir dir;
    const fs::path workload = dir.path() / "workload.jsonl";
    const std::string text = read_text(data_dir / "rules.jsonl");
    write_text(workload, text);
    fs::create_symlink(workload, dir.path() / "symlink.jsonl");
    fs::create_hard_link(workload, dir.path() / "hardlink.jsonl");
    for (const std::string& results :
         {workload.string(), dir / "symlink.jsonl", dir / "hardlink.jsonl",
          dir / "./workload.jsonl"}) {
        INFO(results);
        const run_result run = ordo_cli({"run", "--data", dir / "data", "--workload",
                                     workload.string(), "--results", results});
        check_one_error_line(run, 2);
        CHECK(run.err.find("is the workload file") != std::string::npos);
        CHECK(read_text(workload) == text);
        CHECK(commands_in(dir / "data") == -1);
    }
}

TEST_CASE("ordo run: --results inside the data directory is refused", "[cli]") {
    // Proves the results cannot overwrite the directory's own files (a segment, the
    // table sizes) nor be created among them, and that a hard link to one of its files from
    // outside is caught by inode.
    const temp_dir dir;
    const std::string data = dir / "data";
    const std::string rules = (data_dir / "rules.jsonl").string();
    REQUIRE(ordo_cli({"run", "--data", data, "--workload", rules}).exit_status == 0);
    std::string held;  // the smallest file the directory holds (table sizes, a segment...)
    for (const auto& entry : fs::recursive_directory_iterator(data)) {
        if (!entry.is_regular_file()) continue;
        if (held.empty() || entry.file_size() < fs::file_size(held)) held = entry.path().string();
    }
    REQUIRE(!held.empty());
    const std::string held_before = read_text(held);
    fs::create_hard_link(held, dir.path() / "outside.json");
    for (const std::string& results : {held, data + "/results.jsonl", dir / "outside.json"}) {
        INFO(results);
        const run_result run =
            ordo_cli({"run", "--data", data, "--workload", rules, "--results", results});
        check_one_error_line(run, 2);
        CHECK(run.err.find("is inside the data directory") != std::string::npos);
    }
    CHECK(read_text(held) == held_before);
    CHECK_FALSE(fs::exists(fs::path(data) / "results.jsonl"));
    CHECK(commands_in(data) == 47);
}

TEST_CASE("ordo run: a refused workload leaves an existing results file as it was", "[cli]") {
    // Proves the results file is created only once the workload checked.
    const temp_dir dir;
    write_text(dir.path() / "results.jsonl", "earlier results\n");
    const run_result run =
        ordo_cli({"run", "--data", dir / "data", "--workload",
                  (data_dir / "malformed.jsonl").string(), "--results", dir / "results.jsonl"});
    check_one_error_line(run, 2);
    CHECK(read_text(dir.path() / "results.jsonl") == "earlier results\n");
    CHECK(commands_in(dir / "data") == -1);
}

TEST_CASE("ordo run: results on a full device stop the run with one line, exit 1", "[cli]") {
    // Proves a results file whose writes fail with ENOSPC (/dev/full) ends the run
    // cleanly: one line naming the file and the error, exit 1 (the old run aborted on an
    // uncaught exception), and the journal verifies and holds the commands the line says
    // (all those submitted before the failure was seen: a small workload is all in flight).
    const temp_dir dir;
    write_text(dir.path() / "long.jsonl", long_workload(4000));
    const run_result run = ordo_cli({"run", "--data", dir / "data", "--workload",
                                     dir / "long.jsonl", "--results", "/dev/full"});
    check_one_error_line(run, 1);
    CHECK(run.err.starts_with("ordo run: cannot write --results /dev/full: No space left on "
                              "device; stopped after "));
    CHECK(ordo_cli({"journal", "verify", "--data", dir / "data"}).exit_status == 0);
    const std::string after = run.err.substr(run.err.find("stopped after ") + 14);
    const long long stopped_after = std::stoll(after);
    CHECK(commands_in(dir / "data") == stopped_after);
    CHECK(stopped_after <= 4001);  // those in flight when the write failed are answered
}

TEST_CASE("ordo run: results into a pipe whose reader left stop with one line, exit 1", "[cli]") {
    // Proves EPIPE is reported, not a SIGPIPE death: --results /dev/stdout where stdout
    // is a pipe nobody reads any more. Then a reader that takes part of the results and
    // leaves: every complete line it read is a command the journal holds.
    const temp_dir dir;
    write_text(dir.path() / "long.jsonl", long_workload(4000));
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);  // ordo must hold no read end
    ::close(fds[0]);  // no reader at all
    const pid_t child = spawn({"run", "--data", dir / "closed", "--workload", dir / "long.jsonl",
                               "--results", "/dev/stdout"},
                              dir, fds[1]);
    ::close(fds[1]);
    CHECK(wait_exit_status(child) == 1);
    const std::string err = read_text(dir.path() / "err");
    INFO(err);
    CHECK(lines_of(err).size() == 1);
    CHECK(err.starts_with("ordo run: cannot write --results /dev/stdout: Broken pipe; "));
    CHECK(ordo_cli({"journal", "verify", "--data", dir / "closed"}).exit_status == 0);

    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);  // ordo must hold no read end
    const pid_t partial = spawn({"run", "--data", dir / "partial", "--workload",
                                 dir / "long.jsonl", "--results", "/dev/stdout"},
                                dir, fds[1]);
    ::close(fds[1]);
    std::string got(6000, '\0');
    std::size_t have = 0;
    while (have < got.size()) {
        const ssize_t n = ::read(fds[0], got.data() + have, got.size() - have);
        if (n <= 0) break;
        have += static_cast<std::size_t>(n);
    }
    ::close(fds[0]);
    got.resize(have);
    CHECK(wait_exit_status(partial) == 1);
    got.resize(got.rfind('\n') + 1);  // complete lines only
    const std::vector<std::string> lines = lines_of(got);
    REQUIRE(!lines.empty());
    const long long journal = commands_in(dir / "partial");
    CHECK(static_cast<long long>(lines.size()) <= journal);
    for (std::size_t i = 0; i < lines.size(); i++) {
        CHECK(json::parse(lines[i]).at("line") == i + 1);
    }
}

TEST_CASE("ordo run: Ctrl-C while a never-ending FIFO is read exits at once, nothing written",
          "[cli]") {
    // Proves a workload whose writer never closes it (a FIFO kept open) can be stopped:
    // SIGINT during the check ends the run promptly with one line and exit 130, and
    // nothing is written: no journal, no results file.
    const temp_dir dir;
    const std::string fifo = dir / "endless.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const pid_t child = spawn({"run", "--data", dir / "data", "--workload", fifo, "--results",
                               dir / "results.jsonl"},
                              dir);
    // Opening the write end returns once ordo opened the read end: by then its signal
    // handler is installed (before the workload is opened).
    const int writer = ::open(fifo.c_str(), O_WRONLY);
    REQUIRE(writer >= 0);
    const std::string line = R"({"op":"tick","t":1})" "\n";
    REQUIRE(::write(writer, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    REQUIRE(::kill(child, SIGINT) == 0);
    CHECK(wait_exit_status(child) == 130);
    ::close(writer);
    const std::string err = read_text(dir.path() / "err");
    CHECK(err == "ordo run: interrupted by SIGINT while checking the workload: nothing was "
                 "sequenced\n");
    CHECK_FALSE(fs::exists(dir.path() / "data"));
    CHECK_FALSE(fs::exists(dir.path() / "results.jsonl"));
}

// Whether `child` sleeps in open() of a FIFO until a writer opens it: the kernel function
// it waits in (/proc/PID/wchan) is fs/pipe.c's wait_for_partner.
bool waits_for_fifo_writer(pid_t child) {
    std::ifstream in("/proc/" + std::to_string(child) + "/wchan");
    std::string function;
    return static_cast<bool>(in >> function) && function == "wait_for_partner";
}

TEST_CASE("ordo run: Ctrl-C while a FIFO waits for its writer exits 130, nothing written",
          "[cli]") {
    // Proves the wait inside open() of a FIFO no one writes to yet is interruptible like
    // the reads after it: exit 130 and the interruption's line (it was "cannot open:
    // Interrupted system call", exit 2, as if the workload were bad).
    const temp_dir dir;
    const std::string fifo = dir / "nobody.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const pid_t child = spawn({"run", "--data", dir / "data", "--workload", fifo}, dir);
    // Its handler is installed before the workload is opened; wait until it sleeps there.
    while (!waits_for_fifo_writer(child)) {
        int status = 0;
        REQUIRE(::waitpid(child, &status, WNOHANG) == 0);  // still running
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(::kill(child, SIGINT) == 0);
    CHECK(wait_exit_status(child) == 130);
    CHECK(read_text(dir.path() / "err") ==
          "ordo run: interrupted by SIGINT while checking the workload: nothing was "
          "sequenced\n");
    CHECK_FALSE(fs::exists(dir.path() / "data"));
}

TEST_CASE("ordo run: a NUL byte inside a workload line is refused at its line", "[cli]") {
    // Proves the line is not silently cut at the NUL (the lexer took it for the end):
    // exit 2, FILE:LINE, nothing written.
    const temp_dir dir;
    const fs::path workload = dir.path() / "nul.jsonl";
    write_text(workload, std::string(R"({"op":"tick","t":1})") + "\n" +
                             R"({"op":"tick","t":2})" + std::string(1, '\0') +
                             R"({"op":"tick","t":"x"})" + "\n");
    const run_result run =
        ordo_cli({"run", "--data", dir / "data", "--workload", workload.string()});
    check_one_error_line(run, 2);
    CHECK(run.err == workload.string() + ":2: NUL byte at column 20\n");
    CHECK(commands_in(dir / "data") == -1);
}

TEST_CASE("ordo simulate: --seconds must be a finite number of seconds in range", "[cli]") {
    // Proves nan (which used to pass CLI11's Range check and trip an assertion), inf,
    // negative, zero, absurd and non-decimal durations are one error line, exit 2.
    for (const std::string seconds :
         {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "-1", "0", "0.0", "0.0001", "1e300",
          "86401", "1e999", "0x10", " 1", "1s", ""}) {
        INFO("--seconds '" << seconds << "'");
        const run_result run = ordo_cli({"simulate", "--seconds", seconds});
        check_one_error_line(run, 2);
        CHECK(run.err.find("--seconds") != std::string::npos);
    }
}

TEST_CASE("ordo: integer options are plain decimal, never octal, hex or wrapped", "[cli]") {
    // Proves CLI11's base-0 conversion is not what runs: `--commands 0100` is 100 (CLI11
    // alone read 64, octal), hex, signs, spaces and overflows are refused with the range.
    const run_result run = ordo_cli({"simulate", "--commands", "0100", "--json"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    CHECK(json::parse(run.out).at("commands") == 100);
    const temp_dir dir;
    const std::string rules = (data_dir / "rules.jsonl").string();
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"simulate", "--producers", "0x2"},
             {"simulate", "--producers", "+1"},
             {"simulate", "--producers", " 1"},
             {"simulate", "--producers", "1.0"},
             {"simulate", "--commands", "1e3"},
             {"simulate", "--conferences", "-1"},
             {"simulate", "--hold-ttl-ms", "4294967297000"},
             {"simulate", "--reservations-max", "4294967297"},
             {"run", "--data", dir / "d", "--workload", rules, "--segment-mib", "0x10"},
             {"run", "--data", dir / "d", "--workload", rules, "--batch-kib", "-128"},
             {"run", "--data", dir / "d", "--workload", rules, "--flush-delay-us", "-1"},
             {"run", "--data", dir / "d", "--workload", rules, "--conferences-max", "0"},
             {"state", "--data", dir / "d", "--reservations-max", "18446744073709551617"}}) {
        const run_result refused = ordo_cli(args);
        INFO(args[args.size() - 2] << " '" << args.back() << "'");
        check_one_error_line(refused, 2);
        CHECK(refused.err.find(args[args.size() - 2] + ": Value " + args.back() +
                               " is not a whole number from ") != std::string::npos);
    }
    CHECK(commands_in(dir / "d") == -1);
}
