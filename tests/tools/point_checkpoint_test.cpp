// Point-in-time checkpoints (projections/point_checkpoints.h): `ordo follow
// --checkpoint-every N --checkpoint-keep K` keeps the newest K per view, and `ordo query
// --until-*` answers from the newest one at or before its point (its stderr says which)
// with the same answer as `ordo state --until-*` and as a replay from the start; a damaged
// one is skipped for an older one.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "tests/tools/ordo_process.h"

namespace {

using nlohmann::json;
using namespace ordo::test;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

std::vector<std::string> commands_of(const fs::path& workload) {
    std::vector<std::string> commands;
    for (const std::string& line : lines_of(read_text(workload))) {
        if (line.empty() || line[0] == '#') continue;
        commands.push_back(line);
    }
    return commands;
}

// The commands of a view's point-in-time checkpoints, ascending.
std::vector<std::uint64_t> points_of(const std::string& d, const std::string& view) {
    std::vector<std::uint64_t> found;
    const std::string prefix = view + ".at-";
    for (const auto& entry : fs::directory_iterator(fs::path(d) / "projections")) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix) || !name.ends_with(".checkpoint")) continue;
        found.push_back(std::stoull(name.substr(prefix.size(), 20)));
    }
    std::sort(found.begin(), found.end());
    return found;
}

fs::path point_file(const std::string& d, const std::string& view, std::uint64_t commands) {
    std::string digits = std::to_string(commands);
    digits.insert(0, 20 - digits.size(), '0');
    return fs::path(d) / "projections" / (view + ".at-" + digits + ".checkpoint");
}

run_result ok(const std::vector<std::string>& args) {
    const run_result run = run_ordo(args);
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    return run;
}

std::string note_for(std::uint64_t commands) {
    return "from checkpoint at command " + std::to_string(commands);
}

// The newest point at or before n, 0 when none.
std::uint64_t newest_at_or_before(const std::vector<std::uint64_t>& points, std::uint64_t n) {
    std::uint64_t best = 0;
    for (const std::uint64_t p : points) {
        if (p <= n) best = p;
    }
    return best;
}

// Six runs continue one history so that the journal holds several batches.
void write_history(const temp_dir& dir, const std::string& d,
                   const std::vector<std::string>& commands) {
    const std::size_t runs = 6;
    for (std::size_t r = 0; r < runs; r++) {
        std::string text;
        for (std::size_t i = r * commands.size() / runs; i < (r + 1) * commands.size() / runs;
             i++) {
            text += commands[i] + "\n";
        }
        write_text(dir.path() / "part.jsonl", text);
        ok({"run", "--data", d, "--workload", (dir.path() / "part.jsonl").string()});
    }
}

}  // namespace

TEST_CASE("query --until: from point-in-time checkpoints, equal to state --until",
          "[cli][query][point_checkpoint]") {
    const std::vector<std::string> commands = commands_of(data_dir / "random.jsonl");
    REQUIRE(commands.size() == 3011);
    const temp_dir dir("point_checkpoint");
    const std::string d = (dir.path() / "d").string();
    write_history(dir, d, commands);
    ok({"follow", "--data", d, "--exit-at-end", "--checkpoint-every", "500", "--checkpoint-keep",
        "100"});
    // One per multiple of 500 crossed, each at the batch boundary that crossed it.
    const std::vector<std::uint64_t> points = points_of(d, "availability");
    REQUIRE(points.size() == 6);
    for (std::size_t i = 0; i < points.size(); i++) {
        CHECK(points[i] >= 500 * (i + 1));
        CHECK(points[i] < 500 * (i + 2));
    }
    for (const char* view : {"customers", "sales"}) CHECK(points_of(d, view) == points);
    CHECK(points_of(d, "history").empty());  // read from its current checkpoint instead

    const json all = json::parse(ok({"state", "--data", d}).out);
    REQUIRE(!all["conferences"].empty());
    const std::string conference = std::to_string(all["conferences"][0]["id"].get<std::uint64_t>());
    for (const std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, points[0] - 1, points[0],
                                  points[0] + 1, std::uint64_t{1234}, points[3] + 77,
                                  std::uint64_t{3010}}) {
        INFO("until command " << n);
        const std::string until = std::to_string(n);
        const std::uint64_t from = newest_at_or_before(points, n);
        const json want = json::parse(ok({"state", "--data", d, "--until-command", until}).out);
        const run_result got =
            ok({"query", "availability", "--data", d, "--until-command", until});
        CHECK(json::parse(got.out)["commands"] == want["commands"]);
        CHECK(json::parse(got.out)["conferences"] == want["conferences"]);
        if (from == 0) {
            CHECK(got.err.find("from checkpoint at command") == std::string::npos);
        } else {
            CHECK(got.err.find(note_for(from)) != std::string::npos);
        }
        // The other views: equal to a replay from the start.
        for (const std::vector<std::string>& q :
             {std::vector<std::string>{"history", "--conference", conference},
              std::vector<std::string>{"sales", "--conference", conference},
              std::vector<std::string>{"customer", "--customer", "7"}}) {
            std::vector<std::string> args = {"query"};
            args.insert(args.end(), q.begin(), q.end());
            args.insert(args.end(), {"--data", d, "--until-command", until});
            const run_result fast = ok(args);
            args.push_back("--no-checkpoint");
            CHECK(fast.out == ok(args).out);
            // History reads every point before its checkpoint from it (history_as_of.h);
            // the others start from a point-in-time checkpoint, or pass over one that is
            // larger than the journal before it is worth.
            if (q[0] == "history") {
                CHECK(fast.err.find("from the checkpoint's entries") != std::string::npos);
            } else if (from != 0) {
                CHECK((fast.err.find(note_for(from)) != std::string::npos ||
                       fast.err.find("passing over point-in-time checkpoint") != std::string::npos));
            }
        }
    }
    // A time point: the stamped time of command 2100 picks a checkpoint before it too.
    std::uint64_t stamped = 0;  // the running maximum of t, up to command 2100
    for (std::size_t i = 0; i < 2100; i++) {
        stamped = std::max<std::uint64_t>(stamped, json::parse(commands[i])["t"].get<std::uint64_t>());
    }
    const std::string t = std::to_string(stamped);
    const json want_t = json::parse(ok({"state", "--data", d, "--until-time", t}).out);
    const run_result got_t = ok({"query", "availability", "--data", d, "--until-time", t});
    CHECK(json::parse(got_t.out)["commands"] == want_t["commands"]);
    CHECK(json::parse(got_t.out)["conferences"] == want_t["conferences"]);
    CHECK(got_t.err.find("from checkpoint at command") != std::string::npos);

    // A damaged one is skipped with a note: the next older one answers, the same.
    const std::uint64_t damaged = newest_at_or_before(points, 2100);
    const std::uint64_t older = newest_at_or_before(points, damaged - 1);
    REQUIRE(older > 0);
    {
        const fs::path file = point_file(d, "availability", damaged);
        std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
        out.put('\x5a');
    }
    const json want = json::parse(ok({"state", "--data", d, "--until-command", "2100"}).out);
    const run_result got = ok({"query", "availability", "--data", d, "--until-command", "2100"});
    CHECK(json::parse(got.out)["conferences"] == want["conferences"]);
    CHECK(got.err.find("skipping a damaged point-in-time checkpoint") != std::string::npos);
    CHECK(got.err.find(note_for(older)) != std::string::npos);
}

TEST_CASE("follow --checkpoint-keep: the newest K per view; --checkpoint-every 0: none",
          "[cli][follow][point_checkpoint]") {
    const std::vector<std::string> commands = commands_of(data_dir / "random.jsonl");
    const temp_dir dir("point_checkpoint");
    const std::string d = (dir.path() / "d").string();
    write_history(dir, d, commands);
    ok({"follow", "--data", d, "--exit-at-end", "--checkpoint-every", "500", "--checkpoint-keep",
        "2"});
    const std::vector<std::uint64_t> kept = points_of(d, "availability");
    REQUIRE(kept.size() == 2);
    CHECK(kept[1] >= 3000);
    CHECK(kept[0] >= 2500);
    CHECK(kept[0] < 3000);
    for (const char* view : {"customers", "sales"}) CHECK(points_of(d, view) == kept);
    // History reads any earlier point from its current checkpoint: it keeps none.
    CHECK(points_of(d, "history").empty());
    // A point older than the oldest kept one replays from the start, still exact.
    const run_result early = ok({"query", "availability", "--data", d, "--until-command", "900"});
    CHECK(early.err.find("from checkpoint at command") == std::string::npos);
    CHECK(json::parse(early.out)["commands"] == 900);

    fs::remove_all(fs::path(d) / "projections");
    ok({"follow", "--data", d, "--exit-at-end", "--checkpoint-every", "0"});
    CHECK(points_of(d, "availability").empty());
    CHECK(run_ordo({"follow", "--data", d, "--checkpoint-keep", "0"}).exit_status == 2);
    const run_result help = ok({"follow", "--help"});
    CHECK(help.out.find("--checkpoint-every") != std::string::npos);
    CHECK(help.out.find("--checkpoint-keep") != std::string::npos);
}
