// A data directory written before close_conference existed still opens (engine/EVENTS.md,
// "Versions"): tests/data/before-close.tar.gz holds one, made by the ordo of 01c8e38 with
// `ordo run --data DIR --workload tests/data/rules.jsonl --segment-mib 1
// --snapshot-every 20` (journal records of types 1-9 only, snapshots of state format 3).
// This ordo recovers it to the contract's state for rules.jsonl, now with "closed": false,
// whether it tries the snapshots (refused: an older state format, so the journal is
// replayed) or not, verifies it, and continues the same history with a close.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct run_result {
    int exit_status = -1;
    std::string out;
    std::string err;
};

// Runs a shell command line with stdout and stderr captured under `scratch`.
run_result shell(const std::string& command_line, const fs::path& scratch) {
    const std::string full = command_line + " >'" + (scratch / "out").string() + "' 2>'" +
                             (scratch / "err").string() + "' </dev/null";
    const int status = std::system(full.c_str());
    REQUIRE(status != -1);
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), read_text(scratch / "out"), read_text(scratch / "err")};
}

std::string ordo_line(const std::vector<std::string>& args) {
    std::string line = std::string("'") + ORDO_BINARY + "'";
    for (const std::string& arg : args) line += " '" + arg + "'";
    return line;
}

// The archive unpacked into a fresh directory (removed when the test ends).
class unpacked_dir {
  public:
    unpacked_dir() {
        path_ = fs::temp_directory_path() / ("ordo_old_journal_test_" + std::to_string(getpid()));
        fs::remove_all(path_);
        fs::create_directories(path_);
        const run_result untar = shell("tar -xzf '" + (data_dir / "before-close.tar.gz").string() +
                                           "' -C '" + path_.string() + "'",
                                       path_);
        INFO(untar.err);
        REQUIRE(untar.exit_status == 0);
    }
    unpacked_dir(const unpacked_dir&) = delete;
    unpacked_dir& operator=(const unpacked_dir&) = delete;
    ~unpacked_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }
    std::string data() const { return (path_ / "data").string(); }

  private:
    fs::path path_;
};

}  // namespace

TEST_CASE("a journal written before close_conference recovers to its state, closed false",
          "[cli][compatibility]") {
    // Proves old journals (types 1-9) replay with this schema and their old snapshots are
    // refused, not misread: both ways give rules.state.json, and every one of the 49
    // records the old ordo wrote (47 commands, 2 expiries) is applied.
    const unpacked_dir dir;
    REQUIRE(fs::exists(dir.path() / "data" / "snapshots"));  // the refusal is exercised
    const json expected = json::parse(read_text(data_dir / "rules.state.json"));
    for (const bool snapshots : {true, false}) {
        INFO("snapshots " << snapshots);
        std::vector<std::string> args = {"state", "--data", dir.data()};
        if (!snapshots) args.push_back("--no-snapshots");
        const run_result state = shell(ordo_line(args), dir.path());
        INFO(state.err);
        REQUIRE(state.exit_status == 0);
        json got = json::parse(state.out);
        CHECK(got.at("events") == 49);
        got.erase("events");  // the contract's file leaves it out
        CHECK(got == expected);
        for (const json& conference : got.at("conferences")) {
            CHECK(conference.at("closed") == false);
        }
        if (snapshots) CHECK(state.err.find("state format version 3") != std::string::npos);
    }
    const run_result verify = shell(ordo_line({"journal", "verify", "--data", dir.data()}),
                                    dir.path());
    INFO(verify.out << verify.err);
    CHECK(verify.exit_status == 0);
}

TEST_CASE("a journal written before close_conference continues with a close",
          "[cli][compatibility]") {
    // Proves the old history is a base new records build on: a close of one of its
    // conferences is appended after them and recovered, its held seats given back.
    const unpacked_dir dir;
    const json before =
        json::parse(shell(ordo_line({"state", "--data", dir.data()}), dir.path()).out);
    const json first = before.at("conferences").at(0);
    const fs::path workload = dir.path() / "close.jsonl";
    {
        std::ofstream out(workload);
        out << R"({"op":"close_conference","t":0,"conference":)" << first.at("id") << "}\n";
    }
    const run_result run = shell(
        ordo_line({"run", "--data", dir.data(), "--workload", workload.string()}), dir.path());
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    const run_result state = shell(ordo_line({"state", "--data", dir.data()}), dir.path());
    REQUIRE(state.exit_status == 0);
    const json after = json::parse(state.out);
    CHECK(after.at("commands") == before.at("commands").get<std::uint64_t>() + 1);
    CHECK(after.at("conferences").at(0).at("closed") == true);
    CHECK(after.at("conferences").at(1).at("closed") == false);
    for (const json& seat_type : after.at("conferences").at(0).at("seat_types")) {
        CHECK(seat_type.at("held") == 0);
    }
}
