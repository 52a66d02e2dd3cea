#pragma once
// The views exported into a SQLite file (`ordo follow --into sqlite:FILE`), for users'
// own tools (the sqlite3 shell, Python, a BI tool): tables `availability`, `reservations`
// (the customer view), `sales` and `history`, and `journal_position`, the place in the
// journal the rows stand at (schema: projections/README.md, "SQLite export").
//
// Exactly once across kill -9: the position is written in the same transaction as the
// rows of the batches it covers, and a restart resumes from the position in the database
// (never from the projections' checkpoint files). A transaction either holds both or
// neither, so a kill at any instant neither loses nor doubles a row. The database runs in
// WAL mode with synchronous=NORMAL: a committed transaction survives a kill of this
// process (it is in the WAL file), and a power cut may lose the last transactions, but
// only whole, position included; the journal is the truth, so the next run exports them
// again. FULL would add a device flush per transaction and buy nothing.
//
// Bounded memory: transactions end after `transaction_records_max` records (and at the
// end of each poll); what is kept between statements (seat counters and sales points
// touched in the transaction) is bounded by that. Everything else is read back from the
// database by primary key (a reservation's conference and seats when it changes).
//
// Thread: one thread owns it. Lifecycle: open() (schema created, position read),
// check_continues() against DIR, then poll() as often as wanted. After a failed poll the
// export is poisoned (its place in memory is ahead of the database): open it again.

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "journal/durable_hint.h"
#include "projections/projection.h"
#include "projections/sales_rules.h"
#include "projections/sqlite_database.h"

namespace ordo::projections {

// The tables, indexes and their version (PRAGMA user_version): the benchmark's bare
// insert and the README use the same text.
extern const std::string_view sqlite_export_schema;
inline constexpr std::int64_t sqlite_export_schema_version = 1;

struct sqlite_export_options {
    // A transaction ends after this many records (its WAL and the pending counters stay
    // bounded); larger transactions amortise SQLite's commit.
    std::uint64_t transaction_records_max = 1 << 18;
    // SQLite's page cache, KiB.
    std::uint64_t cache_kib = 32 * 1024;
};

struct sqlite_poll_result {
    std::uint64_t batches = 0;  // exported by this poll
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::uint64_t transactions = 0;
    std::uint64_t durable_batches = 0;  // the durable end this poll read up to
    bool more = false;  // stopped at transaction_records_max before the durable end
};

class sqlite_export final : public projection {
  public:
    static std::expected<std::unique_ptr<sqlite_export>, std::string> open(
        const std::filesystem::path& file, const sqlite_export_options& options = {});

    std::string_view name() const noexcept override { return "sqlite"; }

    // Refuses a database whose position DIR's journal does not continue: one exported from
    // another directory (its first batch differs) or ahead of DIR's durable end.
    std::expected<void, std::string> check_continues(const std::filesystem::path& data_dir);
    // Exports the durable batches of DIR after the position in one transaction: all of
    // them, or the first transaction_records_max records' worth (then `more` is set). The
    // durable end is the manifest's, or the writer's DIR/durable_end hint when it is
    // further (journal_source.h), as for `ordo follow`'s projections.
    std::expected<sqlite_poll_result, std::string> poll(const std::filesystem::path& data_dir);

    // Rows inserted or updated so far (a row updated twice counts twice).
    std::uint64_t row_writes() const noexcept { return row_writes_; }

  private:
    struct seat_delta {
        std::int64_t capacity = 0;
        std::int64_t held = 0;
        std::int64_t confirmed = 0;
        std::int64_t available = 0;
    };
    // A conference's sales at one stamped millisecond, as the sales view counts them.
    using sales_point = sales_points::point;
    // A reservation as read back from its row.
    struct stored_reservation {
        bool found = false;
        std::uint64_t conference = 0;
        bool confirmed = false;
        std::uint32_t item_count = 0;
        std::array<engine::seat_item, engine::reservation_items_max> items{};
    };

    sqlite_export(sqlite_database db, std::filesystem::path file,
                  const sqlite_export_options& options)
        : db_(std::move(db)), file_(std::move(file)), options_(options) {}
    std::expected<void, std::string> prepare_statements();
    std::expected<void, std::string> read_position();

    std::expected<void, std::string> begin();
    std::expected<void, std::string> commit();
    void rollback();
    std::expected<void, std::string> flush_pending();
    std::expected<void, std::string> write_sales_point(std::uint64_t conference,
                                                       const sales_point& point);

    void on_conference_created(const event_context&, const engine::conference_created_v1&,
                               std::span<const engine::seat_item>) override;
    void on_seats_changed(const event_context&, const engine::seats_changed_v1&,
                          bool added) override;
    void on_held(const event_context&, const engine::reservation_held_v1&,
                 std::span<const engine::seat_item>) override;
    void on_confirmed(const event_context&, std::uint64_t reservation) override;
    void on_cancelled(const event_context&, std::uint64_t reservation) override;
    void on_expired(const event_context&, const engine::reservation_expired_v1&,
                    bool at_close) override;
    void on_rejected(const event_context&, const engine::command_rejected_v1&) override;
    void on_closed(const event_context&, const engine::conference_closed_v1&) override;
    // The database holds the view; a checkpoint of it is its position (journal_position).
    void encode_view(state_writer&) const override {}
    bool decode_view(state_reader&) override { return true; }
    void clear_view() override;

    // Statement helpers; a failure is kept in failed_ and stops the batch's export.
    void fail(std::string message);
    void insert_history(const event_context& at, std::string_view op, engine::outcome result,
                        std::uint64_t reservation, std::uint64_t conference);
    // Sets a reservation's status and reads back its conference and seats.
    stored_reservation finish_reservation(std::uint64_t reservation, std::string_view status,
                                          std::uint64_t now_ms, bool read_status_first);
    std::uint64_t conference_of(std::uint64_t reservation);
    seat_delta& seats(std::uint64_t conference, std::uint32_t seat_type);
    sales_point& sales_at(std::uint64_t conference, std::uint64_t t_ms);

    sqlite_database db_;  // declared before the statements: they are finalized first
    std::filesystem::path file_;
    sqlite_export_options options_;
    std::optional<journal::durable_hint_view> hint_;  // DIR/durable_end, once a writer made it
    bool manifest_seen_ = false;  // a poll read DIR/manifest (journal_source.h)
    sqlite_statement begin_;
    sqlite_statement commit_;
    sqlite_statement rollback_;
    sqlite_statement read_position_;
    sqlite_statement write_position_;
    sqlite_statement insert_reservation_;
    sqlite_statement update_reservation_;
    sqlite_statement read_reservation_;
    sqlite_statement insert_history_;
    sqlite_statement upsert_sales_;
    sqlite_statement upsert_seats_;
    sqlite_statement close_conference_;

    journal::checksum128 journal_id_{};  // batch 0's header checksum: which journal this is
    bool in_transaction_ = false;
    bool poisoned_ = false;
    std::string failed_;
    std::uint64_t row_writes_ = 0;
    // Pending until the transaction commits (bounded by transaction_records_max).
    std::map<std::pair<std::uint64_t, std::uint32_t>, seat_delta> seat_deltas_;
    std::vector<std::uint64_t> closed_;
    std::unordered_map<std::uint64_t, sales_point> sales_points_;
};

}  // namespace ordo::projections
