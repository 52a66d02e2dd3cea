// The data directory under misuse, as a hostile but ordinary user would try it with the
// built `ordo` binary (issue 15): every case ends in a clear refusal or an exact recovery,
// never in a silent loss. Two writers on one directory; damage in the journal a snapshot
// covers; a snapshot copied in from a longer history, and one from another history older
// than the directory's own (never loaded, still noted); a flipped bit in the last batch after
// a clean exit; a deleted last segment; a deleted manifest and a changed capacity; a
// directory written before manifests; tables the machine cannot hold; a last segment cut
// short; a damaged snapshot.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tools/ordo_process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using namespace ordo::test;

// Runs `ordo <args>` through the shell, after `prefix` (e.g. "ulimit -v N;"); exec'd, so a
// process killed by a signal is seen as one.
run_result ordo_cli(const std::vector<std::string>& args, const std::string& prefix = "") {
    return run_ordo_shell(prefix + " exec ", args);
}

json state_of(const fs::path& data) {
    const run_result state = ordo_cli({"state", "--data", data.string()});
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    return json::parse(state.out);
}

// A workload: one conference, then `commands - 1` reserves of one seat each (ids from
// `first_id`), at times that grow; `seats` large enough that all are accepted.
fs::path write_workload(const fs::path& file, std::uint64_t commands, std::uint64_t first_id = 1,
                        bool create = true) {
    std::ofstream out(file);
    std::uint64_t written = 0;
    if (create) {
        out << R"({"op":"create_conference","t":0,"conference":1,"seats":{"1":1000000}})" "\n";
        written++;
    }
    for (std::uint64_t id = first_id; written < commands; ++id, ++written) {
        out << R"({"op":"reserve","t":)" << id << R"(,"conference":1,"reservation":)" << id
            << R"(,"customer":1,"seats":{"1":1}})" "\n";
    }
    return file;
}

// Small tables and 1 MiB segments: fast to open, several segments from a modest workload.
std::vector<std::string> run_args(const fs::path& data, const fs::path& workload,
                                  std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--data", data.string(), "--workload",
                                     workload.string(), "--segment-mib", "1",
                                     "--conferences-max", "64", "--reservations-max", "200000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::vector<fs::path> files_in(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> paths;
    if (!fs::exists(dir)) return paths;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == extension) paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

// Every byte of every file under `dir`, to prove a refused command changed nothing.
std::map<std::string, std::string> contents_of(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().filename() == "ordo.lock") continue;
        files[entry.path().string()] = read_text(entry.path());
    }
    return files;
}

// The byte offsets of the batches in a segment (FORMAT.md: magic, body_bytes at 36), and
// where the last one ends.
std::vector<std::uint64_t> batch_offsets(const fs::path& segment, std::uint64_t* end = nullptr) {
    const std::string bytes = read_text(segment);
    std::vector<std::uint64_t> offsets;
    std::uint64_t at = 0;
    while (at + 96 <= bytes.size()) {
        if (bytes.compare(at, 8, "ORDOJNL1") != 0) break;
        std::uint32_t body = 0;
        std::memcpy(&body, bytes.data() + at + 36, sizeof(body));
        offsets.push_back(at);
        at += (96 + body + 4095) / 4096 * 4096;
    }
    if (end != nullptr) *end = at;
    return offsets;
}

void flip_byte(const fs::path& file, std::uint64_t offset) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x04));
    REQUIRE(f.good());
}

// `ordo <args>` as a child process with stdout to /dev/null and stderr to `err`.
pid_t spawn(const std::vector<std::string>& args, const fs::path& err) {
    std::vector<std::string> argv_text{ORDO_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child != -1);
    if (child == 0) {
        const int out = ::open("/dev/null", O_WRONLY);
        const int error = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || error < 0) ::_exit(120);
        if (::dup2(out, STDOUT_FILENO) < 0 || ::dup2(error, STDERR_FILENO) < 0) ::_exit(120);
        ::execv(argv[0], argv.data());
        ::_exit(121);
    }
    return child;
}

}  // namespace

TEST_CASE("a second writer on a directory is refused, naming the first; readers work beside",
          "[cli][misuse]") {
    // Proves: while one `ordo run` holds DIR (it is stopped mid-run by a results FIFO no one
    // reads), a second `ordo run` and an `ordo simulate` on DIR exit 1 with one line naming
    // the first's pid, and change nothing; `ordo state` and `ordo journal verify` work beside
    // it; once the first is let go it finishes, and DIR holds exactly its history. Before
    // the lock both writers ran and one's acknowledged commands were lost.
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    const fs::path fifo = dir.path() / "results.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    const fs::path big = write_workload(dir.path() / "big.jsonl", 60'000);
    const pid_t first = spawn(run_args(data, big, {"--results", fifo.string()}),
                              dir.path() / "first.err");
    // The first result line arrives once the first run is past opening DIR (it holds the
    // lock): read one byte, then leave the pipe full so the run waits, holding it.
    const int results = ::open(fifo.c_str(), O_RDONLY);
    REQUIRE(results >= 0);
    char byte = 0;
    REQUIRE(::read(results, &byte, 1) == 1);

    const fs::path small = write_workload(dir.path() / "small.jsonl", 10, 900'000, false);
    const run_result second = ordo_cli(run_args(data, small));
    INFO(second.err);
    CHECK(second.exit_status == 1);
    CHECK(std::count(second.err.begin(), second.err.end(), '\n') == 1);
    CHECK(second.err.find("in use by another writer") != std::string::npos);
    CHECK(second.err.find("pid " + std::to_string(first) + " (ordo run)") != std::string::npos);
    const run_result simulate =
        ordo_cli({"simulate", "--commands", "1000", "--data", data.string()});
    CHECK(simulate.exit_status == 1);
    CHECK(simulate.err.find("in use by another writer") != std::string::npos);

    const run_result state = ordo_cli({"state", "--data", data.string()});
    INFO(state.err);
    CHECK(state.exit_status == 0);
    CHECK(json::parse(state.out).at("commands").get<std::uint64_t>() <= 60'000);
    const run_result verify = ordo_cli({"journal", "verify", "--data", data.string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_status == 0);

    std::uint64_t lines = byte == '\n' ? 1 : 0;
    for (char buffer[65536];;) {
        const ssize_t got = ::read(results, buffer, sizeof(buffer));
        REQUIRE(got >= 0);
        if (got == 0) break;
        lines += static_cast<std::uint64_t>(std::count(buffer, buffer + got, '\n'));
    }
    ::close(results);
    int status = 0;
    REQUIRE(::waitpid(first, &status, 0) == first);
    INFO(read_text(dir.path() / "first.err"));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(lines == 60'000);
    CHECK(state_of(data).at("commands") == 60'000);
    CHECK(ordo_cli(run_args(data, small)).exit_status == 0);  // the lock went with the first
    CHECK(state_of(data).at("commands") == 60'010);
}

TEST_CASE("damage in the journal a snapshot covers is reported, and nothing is appended",
          "[cli][misuse]") {
    // Proves: a flipped byte in the first batch of segment 0, which the newest snapshot
    // covers, makes `ordo state`, `ordo journal verify` and `ordo run` exit 1 naming the
    // segment file and the batch's offset, and the refused run leaves every file as it was.
    // Before, state recovered from the snapshot without a word and run appended.
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    const fs::path workload = write_workload(dir.path() / "w.jsonl", 60'000);
    REQUIRE(ordo_cli(run_args(data, workload, {"--snapshot-every", "5000"})).exit_status == 0);
    const std::vector<fs::path> segments = files_in(data / "journal", ".journal");
    REQUIRE(segments.size() >= 2);
    REQUIRE(!files_in(data / "snapshots", ".snap").empty());
    const std::uint64_t first_batch = batch_offsets(segments[0]).at(1);
    flip_byte(segments[0], first_batch + 300);
    const auto before = contents_of(data);
    const std::string where = segments[0].string() + " at byte " + std::to_string(first_batch);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"state", "--data", data.string()},
             {"journal", "verify", "--data", data.string()},
             run_args(data, write_workload(dir.path() / "more.jsonl", 5, 900'000, false))}) {
        const run_result refused = ordo_cli(args);
        INFO(args[0] << ": " << refused.err);
        CHECK(refused.exit_status == 1);
        CHECK(refused.err.find(where) != std::string::npos);
    }
    CHECK(contents_of(data) == before);
}

TEST_CASE("a snapshot copied in from a longer history is not trusted", "[cli][misuse]") {
    // Proves: DIR holds 20,000 commands; a snapshot from a directory that ran 50,000 is copied
    // into DIR/snapshots; `ordo state` says it is not used and prints DIR's own 20,000-command
    // state, and `ordo run` continues DIR's history, not the other one (before, state printed
    // the other history and run wrote into the middle of the journal).
    const temp_dir dir;
    const fs::path longer = dir.path() / "longer";
    const fs::path data = dir.path() / "data";
    REQUIRE(ordo_cli(run_args(longer, write_workload(dir.path() / "long.jsonl", 50'000),
                          {"--snapshot-every", "40000"}))
                .exit_status == 0);
    REQUIRE(ordo_cli(run_args(data, write_workload(dir.path() / "short.jsonl", 20'000),
                          {"--snapshot-every", "0"}))
                .exit_status == 0);
    const json own = state_of(data);
    const std::vector<fs::path> theirs = files_in(longer / "snapshots", ".snap");
    REQUIRE(theirs.size() == 1);
    fs::create_directories(data / "snapshots");
    fs::copy_file(theirs[0], data / "snapshots" / theirs[0].filename());
    const run_result state = ordo_cli({"state", "--data", data.string()});
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    // Which note depends on how the two runs batched their commands (a slower build makes
    // smaller batches): the snapshot names a batch past DIR's journal ("not using"), or one
    // DIR's journal holds with another checksum ("does not belong").
    CHECK((state.err.find("not using snapshot") != std::string::npos ||
           state.err.find("does not belong to this journal") != std::string::npos));
    CHECK(json::parse(state.out) == own);
    const fs::path more = write_workload(dir.path() / "more.jsonl", 100, 900'000, false);
    REQUIRE(ordo_cli(run_args(data, more)).exit_status == 0);
    CHECK(state_of(data).at("commands") == 20'100);
    CHECK(ordo_cli({"journal", "verify", "--data", data.string()}).exit_status == 0);
}

TEST_CASE("a foreign snapshot older than the directory's own is noted", "[cli][misuse]") {
    // Proves: a snapshot copied in from another directory whose history is another one, and
    // older than DIR's own newest snapshot (so recovery never loads it), is named on stderr
    // by `ordo state` ("does not belong to this journal"), which still prints DIR's own
    // state; before, it was ignored silently.
    const temp_dir dir;
    const fs::path other = dir.path() / "other";
    const fs::path data = dir.path() / "data";
    REQUIRE(ordo_cli(run_args(other, write_workload(dir.path() / "other.jsonl", 10'000, 500'000),
                          {"--snapshot-every", "4000"}))
                .exit_status == 0);
    REQUIRE(ordo_cli(run_args(data, write_workload(dir.path() / "own.jsonl", 20'000),
                          {"--snapshot-every", "15000"}))
                .exit_status == 0);
    const json own = state_of(data);
    const std::vector<fs::path> theirs = files_in(other / "snapshots", ".snap");
    const std::vector<fs::path> ours = files_in(data / "snapshots", ".snap");
    REQUIRE_FALSE(theirs.empty());
    REQUIRE(ours.size() == 1);
    REQUIRE(theirs[0].filename() < ours[0].filename());  // older: never loaded
    fs::copy_file(theirs[0], data / "snapshots" / theirs[0].filename());
    const run_result state = ordo_cli({"state", "--data", data.string()});
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    CHECK(state.err.find("does not belong to this journal") != std::string::npos);
    CHECK(state.err.find(theirs[0].filename().string()) != std::string::npos);
    CHECK(json::parse(state.out) == own);
}

TEST_CASE("after a clean exit a flipped bit in the last batch is damage; so is a lost segment",
          "[cli][misuse]") {
    // Proves: after `ordo run` ended cleanly, a flipped bit in its last batch (which the
    // torn-tail rule alone cut as an unfinished write, dropping acknowledged commands) makes
    // state and verify exit 1 naming the file and offset; a deleted last segment is named
    // as missing; put back, the directory recovers every command.
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    REQUIRE(ordo_cli(run_args(data, write_workload(dir.path() / "w.jsonl", 60'000),
                          {"--snapshot-every", "0"}))
                .exit_status == 0);
    const std::vector<fs::path> segments = files_in(data / "journal", ".journal");
    REQUIRE(segments.size() >= 2);
    const fs::path& last = segments.back();
    const std::string original = read_text(last);
    const std::uint64_t last_batch = batch_offsets(last).back();
    flip_byte(last, last_batch + 500);
    for (const char* command : {"state", "verify"}) {
        const run_result refused =
            command == std::string("state")
                ? ordo_cli({"state", "--data", data.string()})
                : ordo_cli({"journal", "verify", "--data", data.string()});
        INFO(refused.err);
        CHECK(refused.exit_status == 1);
        CHECK(refused.err.find(last.string() + " at byte " + std::to_string(last_batch)) !=
              std::string::npos);
    }
    fs::remove(last);
    const run_result missing = ordo_cli({"state", "--data", data.string()});
    CHECK(missing.exit_status == 1);
    CHECK(missing.err.find("segment " + std::to_string(segments.size() - 1) + " is missing") !=
          std::string::npos);
    CHECK(ordo_cli(run_args(data, write_workload(dir.path() / "x.jsonl", 1, 900'000, false)))
              .exit_status == 1);
    std::ofstream(last, std::ios::binary) << original;
    CHECK(state_of(data).at("commands") == 60'000);
}

TEST_CASE("capacities stay with the directory: a lost manifest or a changed one is refused",
          "[cli][misuse]") {
    // Proves: a --reservations-max that differs from the directory's is refused (exit 2)
    // naming both values; a deleted DIR/manifest makes state, verify and run exit 1 saying
    // the manifest is missing (before, deleting tables.json silently changed the capacities);
    // a directory written before manifests (tables.json, no manifest) is read by state and
    // migrated once by the next run, which keeps its capacities.
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    const fs::path workload = write_workload(dir.path() / "w.jsonl", 3000);
    REQUIRE(ordo_cli(run_args(data, workload)).exit_status == 0);
    const fs::path more = write_workload(dir.path() / "more.jsonl", 10, 900'000, false);
    std::vector<std::string> other = run_args(data, more);
    other.back() = "150000";  // --reservations-max
    const run_result changed = ordo_cli(other);
    INFO(changed.err);
    CHECK(changed.exit_status == 2);
    CHECK(changed.err.find("--reservations-max 150000 differs from 200000") != std::string::npos);

    const std::string manifest = read_text(data / "manifest");
    fs::remove(data / "manifest");
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"state", "--data", data.string()},
             {"journal", "verify", "--data", data.string()},
             run_args(data, more)}) {
        const run_result refused = ordo_cli(args);
        INFO(args[0] << ": " << refused.err);
        CHECK(refused.exit_status == 1);
        CHECK(refused.err.find("holds a journal but no manifest") != std::string::npos);
    }
    std::ofstream(data / "tables.json") << R"({"conferences_max":64,"reservations_max":200000})";
    CHECK(state_of(data).at("commands") == 3000);
    REQUIRE(ordo_cli(run_args(data, more)).exit_status == 0);
    CHECK(fs::exists(data / "manifest"));
    CHECK_FALSE(fs::exists(data / "tables.json"));
    CHECK(state_of(data).at("commands") == 3010);
    CHECK(ordo_cli(other).exit_status == 2);  // the migrated manifest keeps the capacity
}

TEST_CASE("tables the machine cannot hold are refused before anything is written",
          "[cli][misuse]") {
    // Proves: under an 8 GB address-space limit, `ordo run --reservations-max 100000000`
    // (several GB of tables) exits 2 naming the bytes and the flag, and leaves the directory
    // without a manifest or a journal, so a run with a size that fits then works (before,
    // tables.json was written and the kernel killed the process).
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of shadow address space at start-up, so no binary
    // built with it starts under `ulimit -v` at all; the Release run of this test covers it.
    WARN("skipped under AddressSanitizer: its shadow memory cannot start under ulimit -v");
    return;
#endif
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    const fs::path workload = write_workload(dir.path() / "w.jsonl", 100);
    const run_result refused =
        ordo_cli({"run", "--data", data.string(), "--workload", workload.string(),
              "--reservations-max", "100000000"},
             "ulimit -v 8000000;");
    INFO(refused.err);
    CHECK(refused.exit_status == 2);
    CHECK(refused.err.find("GB of tables") != std::string::npos);
    CHECK(refused.err.find("lower --reservations-max") != std::string::npos);
    CHECK_FALSE(fs::exists(data / "manifest"));
    CHECK_FALSE(fs::exists(data / "journal"));
    REQUIRE(ordo_cli(run_args(data, workload)).exit_status == 0);
    CHECK(state_of(data).at("commands") == 100);
}

TEST_CASE("a last segment cut short is recovered as a torn tail and restored",
          "[cli][misuse]") {
    // Proves: the last segment cut to 300 KiB, past its last batch (after a clean close, so
    // nothing acknowledged is lost), recovers every command with a note instead of being
    // refused as a bad size; the next run gives the segment its size back and continues;
    // cut into its acknowledged batches instead, it is damage (exit 1).
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    REQUIRE(ordo_cli(run_args(data, write_workload(dir.path() / "w.jsonl", 2000))).exit_status ==
            0);
    const fs::path segment = files_in(data / "journal", ".journal").back();
    REQUIRE(fs::file_size(segment) == (1u << 20));
    std::uint64_t batches_end = 0;
    batch_offsets(segment, &batches_end);
    REQUIRE(batches_end < 300 * 1024);  // the cut comes after the last batch
    fs::resize_file(segment, 300 * 1024 + 17);
    const run_result state = ordo_cli({"state", "--data", data.string()});
    INFO(state.err);
    REQUIRE(state.exit_status == 0);
    CHECK(json::parse(state.out).at("commands") == 2000);
    CHECK(state.err.find("cut short") != std::string::npos);
    const fs::path more = write_workload(dir.path() / "more.jsonl", 10, 900'000, false);
    REQUIRE(ordo_cli(run_args(data, more)).exit_status == 0);
    CHECK(fs::file_size(segment) == (1u << 20));
    CHECK(state_of(data).at("commands") == 2010);

    fs::resize_file(segment, batch_offsets(segment).back() + 100);
    const run_result cut = ordo_cli({"state", "--data", data.string()});
    CHECK(cut.exit_status == 1);
    CHECK(cut.err.find(segment.string()) != std::string::npos);
}

TEST_CASE("journal verify reports a damaged snapshot; recovery falls back to the journal",
          "[cli][misuse]") {
    // Proves: a flipped byte in the newest snapshot's payload is named by `ordo journal
    // verify` (exit 0: the journal holds, and nothing is lost), and `ordo state` skips the
    // snapshot with a note and prints the same state as a full replay.
    const temp_dir dir;
    const fs::path data = dir.path() / "data";
    REQUIRE(ordo_cli(run_args(data, write_workload(dir.path() / "w.jsonl", 30'000),
                          {"--snapshot-every", "10000"}))
                .exit_status == 0);
    const json whole =
        json::parse(ordo_cli({"state", "--data", data.string(), "--no-snapshots"}).out);
    const std::vector<fs::path> snapshots = files_in(data / "snapshots", ".snap");
    REQUIRE(!snapshots.empty());
    flip_byte(snapshots.back(), 200);
    const run_result verify = ordo_cli({"journal", "verify", "--data", data.string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_status == 0);
    CHECK(verify.out.find("damaged snapshot: " + snapshots.back().string()) != std::string::npos);
    CHECK(verify.out.find("manifest: ok, closed cleanly") != std::string::npos);
    const run_result state = ordo_cli({"state", "--data", data.string()});
    CHECK(state.exit_status == 0);
    CHECK(state.err.find("skipped damaged snapshot") != std::string::npos);
    CHECK(json::parse(state.out) == whole);
}
