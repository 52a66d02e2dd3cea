// SQLite export rate against a bare SQLite bulk insert of the same rows, alternating in one
// run. sqlite_export_vs_bare_insert: each iteration (a) exports a journal written by the
// simulator (buffered, page-cached) into a new file as `ordo follow --into sqlite:FILE
// --exit-at-end` does (journal reading, checks, the projection walk, bounded transactions
// with the position), and (b) inserts the rows that export ended with into another new
// file: same schema and indexes, same pragmas (WAL, synchronous=NORMAL), prepared
// statements, one transaction, no journal. The two alternate which goes first. Counters
// are medians: rows/s of each (rows = the tables' final rows), the export's records/s,
// and export_to_bare (target >= 0.5).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/simulated_journal.h"
#include "engine/journal_sink.h"
#include "engine/booking_state.h"
#include "engine/recovery.h"
#include "projections/sqlite_export.h"

using namespace ordo;
namespace fs = std::filesystem;

namespace {

using written_journal = bench::simulated_journal;

const written_journal& journal_for_bench() {
    static const written_journal journal = [] {
        const bool smoke = std::getenv("ORDO_BENCH_SMOKE") != nullptr;
        tools::load_options load;
        // Short holds and sales, so expiries, closes and their updates are in the rows.
        load.hold_ttl_ms = 5'000;
        load.sale_ms = 8'000;
        return bench::write_simulated_journal({.name = "sqlite_bench",
                                               .commands = smoke ? 20'000u : 2'000'000u,
                                               .load = load});
    }();
    return journal;
}

// One table's rows as SQLite values, read back from an export.
struct table_rows {
    std::string name;
    int columns = 0;
    std::vector<sqlite3_value*> values;  // row-major, sqlite3_value_dup'ed
};

std::vector<table_rows> read_rows(const fs::path& file) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        std::abort();
    }
    std::vector<table_rows> tables;
    for (const char* name :
         {"availability", "reservations", "sales", "history", "journal_position"}) {
        table_rows t{.name = name};
        sqlite3_stmt* select = nullptr;
        const std::string sql = "SELECT * FROM " + t.name;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr) != SQLITE_OK) std::abort();
        t.columns = sqlite3_column_count(select);
        while (sqlite3_step(select) == SQLITE_ROW) {
            for (int c = 0; c < t.columns; c++) {
                t.values.push_back(sqlite3_value_dup(sqlite3_column_value(select, c)));
            }
        }
        sqlite3_finalize(select);
        tables.push_back(std::move(t));
    }
    sqlite3_close(db);
    return tables;
}

std::uint64_t row_count(const std::vector<table_rows>& tables) {
    std::uint64_t rows = 0;
    for (const table_rows& t : tables) {
        rows += t.values.size() / static_cast<std::size_t>(t.columns);
    }
    return rows;
}

void exec(sqlite3* db, const std::string& sql) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
}

void remove_database(const fs::path& file) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
}

// The bare insert: the same rows into a new file, one transaction, prepared statements.
double bare_insert_seconds(const fs::path& file, const std::vector<table_rows>& tables) {
    remove_database(file);
    const auto start = std::chrono::steady_clock::now();
    sqlite3* db = nullptr;
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) std::abort();
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -" +
                 std::to_string(projections::sqlite_export_options{}.cache_kib) + ";");
    exec(db, "BEGIN IMMEDIATE;" + std::string(projections::sqlite_export_schema));
    for (const table_rows& t : tables) {
        std::string sql = "INSERT INTO " + t.name + " VALUES (?";
        for (int c = 1; c < t.columns; c++) sql += ", ?";
        sql += ")";
        sqlite3_stmt* insert = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &insert, nullptr) != SQLITE_OK) std::abort();
        for (std::size_t at = 0; at < t.values.size(); at += static_cast<std::size_t>(t.columns)) {
            for (int c = 0; c < t.columns; c++) {
                sqlite3_bind_value(insert, c + 1, t.values[at + static_cast<std::size_t>(c)]);
            }
            if (sqlite3_step(insert) != SQLITE_DONE) std::abort();
            sqlite3_reset(insert);
        }
        sqlite3_finalize(insert);
    }
    exec(db, "COMMIT");
    sqlite3_close(db);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct export_run {
    double seconds = 0;
    std::uint64_t records = 0;
};

// What `ordo follow --into sqlite:FILE --exit-at-end` does, timed from opening the file.
export_run export_seconds(const fs::path& file, const fs::path& data_dir) {
    remove_database(file);
    const auto start = std::chrono::steady_clock::now();
    auto out = projections::sqlite_export::open(file);
    if (!out || !(*out)->check_continues(data_dir)) std::abort();
    export_run run;
    for (;;) {
        auto polled = (*out)->poll(data_dir);
        if (!polled) std::abort();
        run.records += polled->records;
        if (!polled->more) break;
    }
    out->reset();
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

void sqlite_export_vs_bare_insert(benchmark::State& bench) {
    const written_journal& w = journal_for_bench();
    const fs::path exported = w.dir / "export.db";
    const fs::path bare = w.dir / "bare.db";
    export_seconds(exported, w.dir);
    const std::vector<table_rows> rows = read_rows(exported);
    const auto row_total = static_cast<double>(row_count(rows));
    std::vector<double> export_rows_per_s, bare_rows_per_s, records_per_s, ratios;
    bool export_first = true;
    for (auto _ : bench) {
        export_run e;
        double b = 0;
        if (export_first) {
            e = export_seconds(exported, w.dir);
            b = bare_insert_seconds(bare, rows);
        } else {
            b = bare_insert_seconds(bare, rows);
            e = export_seconds(exported, w.dir);
        }
        export_first = !export_first;
        export_rows_per_s.push_back(row_total / e.seconds);
        bare_rows_per_s.push_back(row_total / b);
        records_per_s.push_back(static_cast<double>(e.records) / e.seconds);
        ratios.push_back(b / e.seconds);
    }
    for (const table_rows& t : rows) {
        for (sqlite3_value* v : t.values) sqlite3_value_free(v);
    }
    bench.counters["rows"] = row_total;
    bench.counters["export_rows_per_s"] = median(export_rows_per_s);
    bench.counters["bare_rows_per_s"] = median(bare_rows_per_s);
    bench.counters["export_records_per_s"] = median(records_per_s);
    bench.counters["export_to_bare"] = median(ratios);
    bench.counters["export_to_bare_min"] = *std::min_element(ratios.begin(), ratios.end());
    bench.counters["export_to_bare_max"] = *std::max_element(ratios.begin(), ratios.end());
}

}  // namespace

BENCHMARK(sqlite_export_vs_bare_insert)->Unit(benchmark::kMillisecond)->Iterations(
    std::getenv("ORDO_BENCH_SMOKE") != nullptr ? 1 : 7);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    fs::remove_all(journal_for_bench().dir);
    return 0;
}
