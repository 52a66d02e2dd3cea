// `ordo follow --into sqlite:FILE`: after random workloads the tables equal the projections
// (every reservation, history stream and sales point) and `ordo state`'s aggregates; an
// export kill -9'ed at random instants and restarted ends with every row exactly once, equal
// to an uninterrupted export; a database from another DIR, a bad scheme, an unwritable file
// and a foreign database are refused with one line, and a manifest gone mid-export with an
// error; an export tailing a live writer ends equal to one made after it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "engine/schema/op.h"
#include "engine/schema/outcome.h"
#include "journal/data_dir.h"
#include "journal/manifest.h"
#include "projections/follower.h"
#include "projections/sqlite_export.h"
#include "tests/tools/ordo_process.h"

extern char** environ;

namespace {

using namespace ordo::test;
using json = nlohmann::json;
using row = std::vector<std::string>;

// An export read as users read it, beside or after the exporter (read-only connection).
class db_reader {
  public:
    explicit db_reader(const fs::path& file) {
        REQUIRE(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    }
    db_reader(const db_reader&) = delete;
    db_reader& operator=(const db_reader&) = delete;
    ~db_reader() { sqlite3_close(db_); }

    // Every row of a query as text (NULL as "NULL").
    std::vector<row> rows(const std::string& sql) const {
        std::vector<row> found;
        auto collect = [](void* out, int columns, char** values, char**) {
            row r;
            for (int i = 0; i < columns; i++) {
                r.push_back(values[i] != nullptr ? values[i] : "NULL");
            }
            static_cast<std::vector<row>*>(out)->push_back(std::move(r));
            return 0;
        };
        char* error = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), collect, &found, &error);
        INFO((error != nullptr ? error : ""));
        sqlite3_free(error);
        REQUIRE(rc == SQLITE_OK);
        return found;
    }

  private:
    sqlite3* db_ = nullptr;
};

std::vector<row> rows_of(const fs::path& file, const std::string& sql) {
    return db_reader(file).rows(sql);
}

std::uint64_t number(const std::string& text) { return std::stoull(text); }

run_result export_to_end(const std::string& d, const fs::path& file) {
    run_result run = run_ordo({"follow", "--data", d, "--into", "sqlite:" + file.string(),
                               "--exit-at-end", "--json"});
    INFO(run.err);
    REQUIRE(run.exit_status == 0);
    return run;
}

const char* const tables[] = {"availability", "reservations", "sales", "history",
                              "journal_position"};

// Whether two exports hold the same rows: per table, the same count and no row of either
// missing from the other (every table has a primary key, so rows are distinct). SQLite
// compares, so millions of rows take no memory here.
void check_same_rows(const fs::path& file, const fs::path& other) {
    const db_reader db(file);
    db.rows("ATTACH DATABASE '" + other.string() + "' AS other");
    for (const char* table : tables) {
        INFO(table);
        const std::string mine = std::string("main.") + table;
        const std::string theirs = std::string("other.") + table;
        CHECK(db.rows("SELECT count(*) FROM " + mine) == db.rows("SELECT count(*) FROM " + theirs));
        CHECK(db.rows("SELECT count(*) FROM (SELECT * FROM " + mine + " EXCEPT SELECT * FROM " +
                      theirs + ")")[0][0] == "0");
        CHECK(db.rows("SELECT count(*) FROM (SELECT * FROM " + theirs + " EXCEPT SELECT * FROM " +
                      mine + ")")[0][0] == "0");
    }
}

void check_availability_equals_state(const std::string& d, const db_reader& db) {
    const run_result state = run_ordo({"state", "--data", d});
    REQUIRE(state.exit_status == 0);
    json want = json::parse(state.out);
    json conferences = json::array();
    for (const row& r : db.rows("SELECT * FROM availability ORDER BY conference, "
                                      "seat_type")) {
        if (conferences.empty() || conferences.back()["id"] != number(r[0])) {
            conferences.push_back({{"id", number(r[0])},
                                   {"closed", r[6] == "1"},
                                   {"seat_types", json::array()}});
        }
        conferences.back()["seat_types"].push_back({{"type", number(r[1])},
                                                    {"capacity", number(r[2])},
                                                    {"held", number(r[3])},
                                                    {"confirmed", number(r[4])},
                                                    {"available", number(r[5])}});
    }
    for (json& c : want["conferences"]) c.erase("hold_ttl_ms");  // not an availability column
    CHECK(conferences == want["conferences"]);
    json counts = {{"held", 0}, {"confirmed", 0}, {"cancelled", 0}, {"expired", 0}};
    for (const row& r : db.rows("SELECT status, count(*) FROM reservations GROUP BY 1")) {
        counts[r[0]] = number(r[1]);
    }
    CHECK(counts == want["reservations"]);
    CHECK(db.rows("SELECT commands FROM journal_position")[0][0] ==
          want["commands"].dump());
}

std::string op_text(std::uint8_t op) {
    if (op == ordo::projections::op_expire) return "expire";
    return std::string(ordo::engine::op_name(static_cast<ordo::engine::op>(op)));
}

void check_history(const ordo::projections::history& view, const db_reader& db,
                   const char* column) {
    const std::string select = std::string("SELECT DISTINCT ") + column + " FROM history WHERE " +
                               column + " IS NOT NULL";
    for (const row& id : db.rows(select)) {
        const std::uint64_t key = number(id[0]);
        const auto& entries = std::string(column) == "reservation" ? view.of_reservation(key)
                                                                   : view.of_conference(key);
        std::vector<row> want;
        for (const ordo::projections::history_entry& e : entries) {
            const bool rejected = ordo::engine::is_rejection(e.result);
            want.push_back({std::to_string(e.command), std::to_string(e.t_ms), op_text(e.op),
                            std::string(ordo::engine::outcome_status_name(e.result)),
                            rejected ? std::string(ordo::engine::outcome_name(e.result)) : "NULL"});
        }
        INFO(column << " " << key);
        CHECK(db.rows("SELECT command, t_ms, op, outcome, coalesce(reason, 'NULL') FROM "
                            "history WHERE " + std::string(column) + " = " + id[0] +
                                " ORDER BY entry") == want);
    }
}

void check_reservations(const ordo::projections::customers& view, const db_reader& db) {
    std::uint64_t compared = 0;
    for (const row& customer : db.rows("SELECT DISTINCT customer FROM reservations")) {
        std::vector<row> want;
        for (const ordo::projections::reservation_view& r : view.of_customer(number(customer[0]))) {
            // Ascending type as numbers, as `ordo query customer` prints them.
            std::vector<ordo::engine::seat_item> items = r.seats;
            std::sort(items.begin(), items.end(),
                      [](const auto& x, const auto& y) { return x.seat_type < y.seat_type; });
            std::string seats;
            for (const auto& item : items) {
                seats += (seats.empty() ? "{\"" : ",\"") + std::to_string(item.seat_type) +
                         "\":" + std::to_string(item.quantity);
            }
            seats += "}";
            want.push_back({std::to_string(r.id), std::to_string(r.conference), seats,
                            std::string(ordo::projections::status_name(r.status)),
                            std::to_string(r.held_at_ms), std::to_string(r.expires_at_ms),
                            std::to_string(r.updated_at_ms)});
        }
        compared += want.size();
        CHECK(db.rows("SELECT reservation, conference, seats, status, held_at_ms, "
                            "expires_at_ms, updated_at_ms FROM reservations WHERE customer = " +
                                customer[0] + " ORDER BY reservation") == want);
    }
    CHECK(std::to_string(compared) == db.rows("SELECT count(*) FROM reservations")[0][0]);
}

void check_sales(const ordo::projections::sales& view, const db_reader& db) {
    for (const row& conference : db.rows("SELECT DISTINCT conference FROM sales")) {
        std::vector<row> want;
        for (const ordo::projections::sales_bucket& b : view.buckets(number(conference[0]), 1)) {
            const auto& c = b.counts;
            want.push_back({std::to_string(b.from_ms), std::to_string(c.reserved),
                            std::to_string(c.seats_reserved), std::to_string(c.confirmed),
                            std::to_string(c.cancelled), std::to_string(c.expired),
                            std::to_string(c.rejected)});
        }
        CHECK(db.rows("SELECT t_ms, reserved, seats_reserved, confirmed, cancelled, "
                            "expired, rejected FROM sales WHERE conference = " +
                                conference[0] + " ORDER BY t_ms") == want);
    }
}

// The export of DIR against the four projections built in this process from the same DIR.
void check_equals_projections(const std::string& d, const fs::path& file) {
    auto follower = ordo::projections::follower::open(d);
    REQUIRE(follower);
    REQUIRE(follower->poll());
    const db_reader db(file);
    check_availability_equals_state(d, db);
    check_reservations(follower->by_customer(), db);
    check_history(follower->streams(), db, "reservation");
    check_history(follower->streams(), db, "conference");
    check_sales(follower->sales_view(), db);
    CHECK(db.rows("SELECT next_batch FROM journal_position")[0][0] ==
          std::to_string(follower->next_batch_number()));
}

std::string one_line_error(const std::vector<std::string>& args, int exit_status) {
    const run_result run = run_ordo(args);
    INFO(run.err);
    CHECK(run.exit_status == exit_status);
    CHECK(run.out.empty());
    CHECK(lines_of(run.err).size() == 1);
    return run.err;
}

}  // namespace

TEST_CASE("follow --into sqlite: tables equal the projections and the state", "[cli][sqlite]") {
    const temp_dir dir("sqlite");
    const std::string random = (dir.path() / "random").string();
    const std::string workload = (fs::path(ORDO_TEST_DATA_DIR) / "random.jsonl").string();
    REQUIRE(run_ordo({"run", "--data", random, "--workload", workload}).exit_status == 0);
    // Short holds and sales: expiries, expiries at close and closes happen in the run.
    const std::string market = (dir.path() / "market").string();
    REQUIRE(run_ordo({"simulate", "--commands", "300000", "--data", market, "--seed", "5",
                      "--hold-ttl-ms", "1000", "--pay-ms", "700", "--sale-ms", "1500"})
                .exit_status == 0);
    for (const std::string& d : {random, market}) {
        INFO(d);
        const fs::path file = dir.path() / (fs::path(d).filename().string() + ".db");
        const json summary = json::parse(export_to_end(d, file).out);
        CHECK(summary["lag_batches"] == 0);
        check_equals_projections(d, file);
        // Again: nothing new, nothing changes.
        fs::copy_file(file, file.string() + ".before");
        CHECK(json::parse(export_to_end(d, file).out)["records"] == 0);
        check_same_rows(file, file.string() + ".before");
    }
    CHECK(rows_of(dir.path() / "market.db",
                  "SELECT count(*) FROM history WHERE op = 'expire'")[0][0] != "0");
    CHECK(rows_of(dir.path() / "market.db",
                  "SELECT count(*) FROM availability WHERE closed = 1")[0][0] != "0");
}

TEST_CASE("follow --into sqlite: kill -9 at random instants, every row exactly once",
          "[cli][sqlite]") {
    const temp_dir dir("sqlite");
    const std::string d = (dir.path() / "d").string();
    REQUIRE(run_ordo({"simulate", "--commands", "1500000", "--data", d, "--seed", "3",
                      "--hold-ttl-ms", "5000", "--sale-ms", "8000"})
                .exit_status == 0);
    const fs::path calm = dir.path() / "calm.db";
    const double calm_seconds = json::parse(export_to_end(d, calm).out)["seconds"];
    // 20 kills in Release, 6 under AddressSanitizer (each restart is slower there);
    // ORDO_SQLITE_KILL_ITERATIONS overrides both.
#ifdef __SANITIZE_ADDRESS__
    constexpr int default_iterations = 6;
#else
    constexpr int default_iterations = 20;
#endif
    const char* iterations_text = std::getenv("ORDO_SQLITE_KILL_ITERATIONS");
    const int iterations =
        iterations_text != nullptr ? std::atoi(iterations_text) : default_iterations;
    // Each kill lands within the first twentieth of a whole export, so the export is still
    // catching up for most of them (each restart goes on from its database's position).
    const auto window_us = static_cast<std::uint64_t>(calm_seconds * 1e6 / 20) + 1000;
    std::mt19937_64 random(42);
    const fs::path file = dir.path() / "killed.db";
    int killed_mid_export = 0;
    for (int i = 0; i < iterations; i++) {
        const pid_t exporter = spawn_ordo(
            {"follow", "--data", d, "--into", "sqlite:" + file.string(), "--exit-at-end"});
        // The instant is the test's random input, not a wait for an event.
        std::this_thread::sleep_for(std::chrono::microseconds(random() % window_us));
        REQUIRE(::kill(exporter, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(exporter, &status, 0) == exporter);
        if (WIFSIGNALED(status)) {
            killed_mid_export++;
        } else {
            CHECK(WEXITSTATUS(status) == 0);
        }
    }
    INFO("killed mid-export " << killed_mid_export << " of " << iterations);
    CHECK(killed_mid_export >= iterations / 2);
    const json rest = json::parse(export_to_end(d, file).out);
    CHECK(rest["lag_batches"] == 0);
    check_same_rows(file, calm);
}

TEST_CASE("follow --into sqlite: refusals, one line each", "[cli][sqlite]") {
    const temp_dir dir("sqlite");
    const std::string workload = (fs::path(ORDO_TEST_DATA_DIR) / "random.jsonl").string();
    const std::string a = (dir.path() / "a").string();
    const std::string b = (dir.path() / "b").string();
    REQUIRE(run_ordo({"run", "--data", a, "--workload", workload}).exit_status == 0);
    REQUIRE(run_ordo({"simulate", "--commands", "5000", "--data", b}).exit_status == 0);
    const fs::path file = dir.path() / "a.db";
    export_to_end(a, file);
    const fs::path before = dir.path() / "a.before.db";
    fs::copy_file(file, before);
    const std::string other = one_line_error(
        {"follow", "--data", b, "--into", "sqlite:" + file.string(), "--exit-at-end"}, 1);
    CHECK(other.find("another journal") != std::string::npos);
    CHECK(other.find("new file") != std::string::npos);
    check_same_rows(file, before);

    // The same history, but shorter: the file is ahead of it.
    const std::string shorter = (dir.path() / "shorter").string();
    fs::copy(a, shorter, fs::copy_options::recursive);
    REQUIRE(run_ordo({"run", "--data", a, "--workload", workload}).exit_status == 0);
    const fs::path longer = dir.path() / "longer.db";
    export_to_end(a, longer);
    const std::string ahead = one_line_error(
        {"follow", "--data", shorter, "--into", "sqlite:" + longer.string(), "--exit-at-end"}, 1);
    CHECK(ahead.find("ahead") != std::string::npos);

    const std::string scheme =
        one_line_error({"follow", "--data", a, "--into", "postgres:x", "--exit-at-end"}, 2);
    CHECK(scheme.find("sqlite:FILE") != std::string::npos);
    one_line_error({"follow", "--data", a, "--into", "sqlite:", "--exit-at-end"}, 2);
    const std::string unwritable = one_line_error(
        {"follow", "--data", a, "--into", "sqlite:" + (dir.path() / "no" / "x.db").string(),
         "--exit-at-end"},
        1);
    CHECK(unwritable.find("writable") != std::string::npos);
    // A SQLite file that is not an export is left alone.
    const fs::path foreign = dir.path() / "foreign.db";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(foreign.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE mine (x INTEGER)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
    const std::string not_ours = one_line_error(
        {"follow", "--data", a, "--into", "sqlite:" + foreign.string(), "--exit-at-end"}, 1);
    CHECK(not_ours.find("new file") != std::string::npos);

    // A manifest gone while exporting (DIR deleted or replaced under it): refused, never a
    // read to the journal's own end, where batches may not be durable yet.
    const fs::path gone = dir.path() / "gone.db";
    auto exporter = ordo::projections::sqlite_export::open(gone);
    REQUIRE(exporter);
    REQUIRE((*exporter)->poll(a));
    fs::remove(ordo::journal::data_dir_layout::manifest(a));
    auto refused = (*exporter)->poll(a);
    REQUIRE(!refused);
    CHECK(refused.error().find("manifest: gone") != std::string::npos);
}

TEST_CASE("follow --into sqlite: tailing a live writer, then equal to an export after it",
          "[cli][sqlite]") {
    // The export runs beside `ordo simulate` writing DIR (it never meets a torn batch: it
    // would exit 1) and stops on SIGTERM (143) once the writer ended; finished with
    // --exit-at-end it equals an export that started after the writer.
    const temp_dir dir("sqlite");
    const std::string d = (dir.path() / "d").string();
    const pid_t writer = spawn_ordo({"simulate", "--commands", "1000000", "--data", d,
                                     "--seed", "1", "--durability", "fdatasync"});
    while (!fs::exists(fs::path(d) / "manifest")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const fs::path file = dir.path() / "live.db";
    const pid_t exporter =
        spawn_ordo({"follow", "--data", d, "--into", "sqlite:" + file.string()});
    int status = 0;
    REQUIRE(::waitpid(writer, &status, 0) == writer);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(::kill(exporter, SIGTERM) == 0);
    REQUIRE(::waitpid(exporter, &status, 0) == exporter);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(json::parse(export_to_end(d, file).out)["lag_batches"] == 0);
    const fs::path calm = dir.path() / "calm.db";
    export_to_end(d, calm);
    check_same_rows(file, calm);
}

TEST_CASE("follow --into sqlite: restarted past the manifest's end after a writer crash",
          "[cli][sqlite]") {
    // The writer's manifest is rewritten about once a second; its DIR/durable_end hint at
    // every durable batch, and an export reads up to the hint. After the writer's kill -9
    // the file is then ahead of the manifest, and a restarted export must continue, not
    // refuse the file as ahead of the journal (it did); a query answers as of that end too.
    const temp_dir dir("sqlite");
    const std::string d = (dir.path() / "d").string();
    const pid_t writer = spawn_ordo({"simulate", "--rate", "1000000", "--seconds", "60",
                                     "--data", d, "--durability", "fdatasync"});
    const auto manifest_end = [&]() -> std::uint64_t {
        auto recorded = ordo::journal::read_manifest(d);
        if (!recorded || !*recorded) return 0;
        return (*recorded)->durable_end.next_batch_number;
    };
    while (manifest_end() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(::kill(writer, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(writer, &status, 0) == writer);
    const fs::path file = dir.path() / "crash.db";
    const json first = json::parse(export_to_end(d, file).out);
    const std::uint64_t exported = first["next_batch"];
    if (exported <= manifest_end()) {
        WARN("the writer died right after a manifest write: nothing past it to check");
    }
    // ordo query reads up to the same end (it read the manifest's alone).
    const run_result query = run_ordo({"query", "availability", "--data", d, "--no-checkpoint"});
    REQUIRE(query.exit_status == 0);
    CHECK(json::parse(query.out)["commands"] == first["commands"]);
    const json again = json::parse(export_to_end(d, file).out);
    CHECK(again["next_batch"] == exported);
    CHECK(again["records"] == 0);
    const fs::path calm = dir.path() / "calm.db";
    export_to_end(d, calm);
    check_same_rows(file, calm);
}
