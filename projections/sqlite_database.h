#pragma once
// A thin owner of SQLite's C API for the SQLite export (sqlite_export.h), its tests and its
// benchmark: one connection, prepared statements, and SQLite's failures as values carrying
// its own message (a full disk, a locked or unwritable file). Misuse (a bind out of range, a
// column that is not there) is a bug and asserts.
//
// Thread: one thread owns a connection and its statements. Lifecycle: open(), prepare()
// each statement once, then bind, step and reset it for every row; statements are
// destroyed before their connection (declare them after it).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ordo::projections {

class sqlite_statement {
  public:
    sqlite_statement() = default;
    sqlite_statement(sqlite3* db, sqlite3_stmt* statement) noexcept
        : db_(db), statement_(statement) {}
    sqlite_statement(sqlite_statement&& other) noexcept;
    sqlite_statement& operator=(sqlite_statement&& other) noexcept;
    sqlite_statement(const sqlite_statement&) = delete;
    sqlite_statement& operator=(const sqlite_statement&) = delete;
    ~sqlite_statement();

    // Parameters are numbered from 1, as ?1, ?2 in the SQL. An id or a time is a u64 and
    // SQLite's integers are signed: values past INT64_MAX are stored as their two's
    // complement (projections/README.md says so).
    void bind(int index, std::uint64_t value);
    void bind_signed(int index, std::int64_t value);
    void bind_null(int index);
    // The text must stay valid until the statement is reset (SQLITE_STATIC: no copy).
    void bind_text(int index, std::string_view text);

    // One step: true when a row is there to read, false when the statement is done.
    std::expected<bool, std::string> step();
    // Steps to the end (a statement that returns no rows), then resets it.
    std::expected<void, std::string> run();
    // Ready for the next row: bindings cleared.
    void reset();

    std::uint64_t column(int index) const;
    std::int64_t column_signed(int index) const;
    bool column_null(int index) const;
    std::string_view column_text(int index) const;

  private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* statement_ = nullptr;
};

class sqlite_database {
  public:
    // Opens FILE read-write, creating it when missing (its directory must exist).
    static std::expected<sqlite_database, std::string> open(const std::filesystem::path& file);
    sqlite_database(sqlite_database&& other) noexcept;
    sqlite_database& operator=(sqlite_database&& other) = delete;
    sqlite_database(const sqlite_database&) = delete;
    sqlite_database& operator=(const sqlite_database&) = delete;
    ~sqlite_database();

    // Runs SQL that returns no rows (one or more statements).
    std::expected<void, std::string> exec(std::string_view sql);
    std::expected<sqlite_statement, std::string> prepare(std::string_view sql);
    // SQLite's message for the last failure, with the SQL or the step that failed.
    std::string error(std::string_view what) const;

  private:
    explicit sqlite_database(sqlite3* db) noexcept : db_(db) {}
    sqlite3* db_ = nullptr;
};

}  // namespace ordo::projections
