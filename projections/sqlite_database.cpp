#include "projections/sqlite_database.h"

#include <sqlite3.h>

#include <utility>

#include "base/assert.h"

namespace ordo::projections {

sqlite_statement::sqlite_statement(sqlite_statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      statement_(std::exchange(other.statement_, nullptr)) {}

sqlite_statement& sqlite_statement::operator=(sqlite_statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(statement_);
        db_ = std::exchange(other.db_, nullptr);
        statement_ = std::exchange(other.statement_, nullptr);
    }
    return *this;
}

sqlite_statement::~sqlite_statement() { sqlite3_finalize(statement_); }

void sqlite_statement::bind(int index, std::uint64_t value) {
    bind_signed(index, static_cast<std::int64_t>(value));
}

void sqlite_statement::bind_signed(int index, std::int64_t value) {
    ORDO_ASSERT(statement_ != nullptr);
    const int rc = sqlite3_bind_int64(statement_, index, value);
    ORDO_ASSERT(rc == SQLITE_OK);  // only an index out of range fails: a bug
}

void sqlite_statement::bind_null(int index) {
    ORDO_ASSERT(statement_ != nullptr);
    const int rc = sqlite3_bind_null(statement_, index);
    ORDO_ASSERT(rc == SQLITE_OK);
}

void sqlite_statement::bind_text(int index, std::string_view text) {
    ORDO_ASSERT(statement_ != nullptr);
    ORDO_ASSERT(text.size() <= 1'000'000);
    const int rc = sqlite3_bind_text(statement_, index, text.data(),
                                     static_cast<int>(text.size()), SQLITE_STATIC);
    ORDO_ASSERT(rc == SQLITE_OK);
}

std::expected<bool, std::string> sqlite_statement::step() {
    ORDO_ASSERT(statement_ != nullptr);
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string message = sqlite3_errmsg(db_);
    const char* sql = sqlite3_sql(statement_);
    sqlite3_reset(statement_);
    return std::unexpected(message + " (in: " + (sql != nullptr ? sql : "?") + ")");
}

std::expected<void, std::string> sqlite_statement::run() {
    for (;;) {
        auto stepped = step();
        if (!stepped) return std::unexpected(stepped.error());
        if (!*stepped) break;
    }
    reset();
    return {};
}

void sqlite_statement::reset() {
    ORDO_ASSERT(statement_ != nullptr);
    // sqlite3_reset repeats the last step's error, already reported by step().
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

std::uint64_t sqlite_statement::column(int index) const {
    return static_cast<std::uint64_t>(column_signed(index));
}

std::int64_t sqlite_statement::column_signed(int index) const {
    ORDO_ASSERT(statement_ != nullptr);
    ORDO_ASSERT(index >= 0 && index < sqlite3_column_count(statement_));
    return sqlite3_column_int64(statement_, index);
}

bool sqlite_statement::column_null(int index) const {
    ORDO_ASSERT(statement_ != nullptr);
    ORDO_ASSERT(index >= 0 && index < sqlite3_column_count(statement_));
    return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

std::string_view sqlite_statement::column_text(int index) const {
    ORDO_ASSERT(statement_ != nullptr);
    ORDO_ASSERT(index >= 0 && index < sqlite3_column_count(statement_));
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index))};
}

std::expected<sqlite_database, std::string> sqlite_database::open(
    const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                       SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                                   nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return std::unexpected(message);
    }
    return sqlite_database(db);
}

sqlite_database::sqlite_database(sqlite_database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

sqlite_database::~sqlite_database() {
    // Every statement is finalized first (members declared after the connection), so
    // closing cannot be refused as busy.
    const int rc = sqlite3_close(db_);
    ORDO_ASSERT(rc == SQLITE_OK);
}

std::expected<void, std::string> sqlite_database::exec(std::string_view sql) {
    ORDO_ASSERT(db_ != nullptr);
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return std::unexpected(error(text));
    }
    return {};
}

std::expected<sqlite_statement, std::string> sqlite_database::prepare(std::string_view sql) {
    ORDO_ASSERT(db_ != nullptr);
    ORDO_ASSERT(sql.size() < 1'000'000);
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(error(sql));
    ORDO_ASSERT(statement != nullptr);
    return sqlite_statement(db_, statement);
}

std::string sqlite_database::error(std::string_view what) const {
    return std::string(sqlite3_errmsg(db_)) + " (in: " + std::string(what) + ")";
}

}  // namespace ordo::projections
