#include "projections/sqlite_export.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "base/assert.h"
#include "projections/journal_source.h"

namespace ordo::projections {

const std::string_view sqlite_export_schema = R"sql(
CREATE TABLE availability (
  conference INTEGER NOT NULL,
  seat_type INTEGER NOT NULL,
  capacity INTEGER NOT NULL,
  held INTEGER NOT NULL,
  confirmed INTEGER NOT NULL,
  available INTEGER NOT NULL,
  closed INTEGER NOT NULL,
  PRIMARY KEY (conference, seat_type)
) WITHOUT ROWID;
CREATE TABLE reservations (
  reservation INTEGER PRIMARY KEY,
  customer INTEGER NOT NULL,
  conference INTEGER NOT NULL,
  seats TEXT NOT NULL,
  status TEXT NOT NULL,
  held_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX reservations_by_customer ON reservations (customer);
CREATE TABLE sales (
  conference INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  reserved INTEGER NOT NULL,
  seats_reserved INTEGER NOT NULL,
  confirmed INTEGER NOT NULL,
  cancelled INTEGER NOT NULL,
  expired INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  PRIMARY KEY (conference, t_ms)
) WITHOUT ROWID;
CREATE TABLE history (
  entry INTEGER PRIMARY KEY,
  command INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  op TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  reservation INTEGER,
  conference INTEGER
);
CREATE INDEX history_by_reservation ON history (reservation) WHERE reservation IS NOT NULL;
CREATE INDEX history_by_conference ON history (conference) WHERE conference IS NOT NULL;
CREATE TABLE journal_position (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_batch INTEGER NOT NULL,
  next_sequence INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  segment_offset INTEGER NOT NULL,
  chain TEXT NOT NULL,
  commands INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  journal TEXT NOT NULL
);
PRAGMA user_version = 1;
)sql";

namespace {

// A 128-bit checksum as 32 hex digits, high half first (SQLite integers are signed 64-bit).
std::string hex_of(const journal::checksum128& value) {
    char text[33];
    std::snprintf(text, sizeof(text), "%016llx%016llx",
                  static_cast<unsigned long long>(value.high),
                  static_cast<unsigned long long>(value.low));
    return text;
}

std::optional<journal::checksum128> checksum_of(std::string_view hex) {
    if (hex.size() != 32) return std::nullopt;
    journal::checksum128 value;
    const auto high = std::from_chars(hex.data(), hex.data() + 16, value.high, 16);
    const auto low = std::from_chars(hex.data() + 16, hex.data() + 32, value.low, 16);
    if (high.ptr != hex.data() + 16 || low.ptr != hex.data() + 32) return std::nullopt;
    return value;
}

// A reservation's seats as the customer query prints them: {"1":2,"3":1}, ascending type.
// At most 8 items of two numbers below 2^32: 8 * 26 bytes and the braces.
struct seats_text {
    std::array<char, 256> bytes{};
    std::size_t size = 0;
    std::string_view view() const { return {bytes.data(), size}; }
};

seats_text format_seats(std::span<const engine::seat_item> items) {
    ORDO_ASSERT(items.size() >= 1);
    ORDO_ASSERT(items.size() <= engine::reservation_items_max);
    std::array<engine::seat_item, engine::reservation_items_max> sorted{};
    std::copy(items.begin(), items.end(), sorted.begin());
    std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(items.size()),
              [](const engine::seat_item& a, const engine::seat_item& b) {
                  return a.seat_type < b.seat_type;
              });
    seats_text out;
    char* at = out.bytes.data();
    char* const end = out.bytes.data() + out.bytes.size();
    *at++ = '{';
    for (std::size_t i = 0; i < items.size(); i++) {
        if (i > 0) *at++ = ',';
        *at++ = '"';
        at = std::to_chars(at, end, sorted[i].seat_type).ptr;
        *at++ = '"';
        *at++ = ':';
        at = std::to_chars(at, end, sorted[i].quantity).ptr;
    }
    *at++ = '}';
    ORDO_ASSERT(at <= end);
    out.size = static_cast<std::size_t>(at - out.bytes.data());
    return out;
}

// Reads back what format_seats wrote: pairs of numbers, type then quantity. False when
// the text is not that (a row changed by hand).
bool parse_seats(std::string_view text, std::span<engine::seat_item> items, std::uint32_t& count) {
    count = 0;
    std::uint64_t numbers[2 * engine::reservation_items_max];
    std::size_t found = 0;
    const char* at = text.data();
    const char* const end = text.data() + text.size();
    while (at < end) {
        if (*at < '0' || *at > '9') {
            at++;
            continue;
        }
        if (found == std::size(numbers)) return false;
        const auto parsed = std::from_chars(at, end, numbers[found++]);
        at = parsed.ptr;
    }
    if (found == 0 || found % 2 != 0 || found / 2 > items.size()) return false;
    for (std::size_t i = 0; i < found / 2; i++) {
        if (numbers[2 * i] > UINT16_MAX || numbers[2 * i + 1] > UINT32_MAX) return false;
        items[i] = engine::seat_item{.quantity = static_cast<std::uint32_t>(numbers[2 * i + 1]),
                                     .seat_type = static_cast<std::uint16_t>(numbers[2 * i]),
                                     .reserved_zero = 0};
    }
    count = static_cast<std::uint32_t>(found / 2);
    return true;
}


// True for a new file (no tables yet), false for an export of this version; refuses a file
// with other tables or another version before anything in it is changed. (Its statements
// are finalized when it returns, before the connection may close.)
std::expected<bool, std::string> is_new_export(sqlite_database& db, const std::string& where) {
    auto version = db.prepare("PRAGMA user_version");
    if (!version) return std::unexpected(where + ": " + version.error());
    auto tables = db.prepare("SELECT count(*) FROM sqlite_schema");
    if (!tables) return std::unexpected(where + ": " + tables.error());
    auto has_version = version->step();
    auto has_tables = tables->step();
    if (!has_version || !has_tables || !*has_version || !*has_tables) {
        return std::unexpected("cannot read " + where + ": " +
                               (!has_version ? has_version.error() : "no answer") +
                               "; name a SQLite file written by ordo follow --into, or a new one");
    }
    const std::int64_t found_version = version->column_signed(0);
    const std::int64_t table_count = tables->column_signed(0);
    version->reset();
    tables->reset();
    if (found_version == 0 && table_count == 0) return true;
    if (found_version != sqlite_export_schema_version) {
        return std::unexpected(where + " is not an export of this ordo (user_version " +
                               std::to_string(found_version) + ", " +
                               std::to_string(table_count) +
                               " tables); name a new file for --into sqlite:FILE");
    }
    return false;
}

}  // namespace

std::expected<std::unique_ptr<sqlite_export>, std::string> sqlite_export::open(
    const std::filesystem::path& file, const sqlite_export_options& options) {
    ORDO_ASSERT(options.transaction_records_max > 0);
    ORDO_ASSERT(options.cache_kib > 0);
    const std::string where = file.string();
    auto db = sqlite_database::open(file);
    if (!db) {
        return std::unexpected("cannot open " + where + ": " + db.error() +
                               "; name a file in a writable directory");
    }
    const auto is_new = is_new_export(*db, where);
    if (!is_new) return std::unexpected(is_new.error());
    // WAL with synchronous=NORMAL: see the header; busy_timeout lets a user's reader finish
    // a checkpoint it holds instead of failing the export at once.
    const std::string pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                                "PRAGMA busy_timeout = 2000; PRAGMA cache_size = -" +
                                std::to_string(options.cache_kib) + ";";
    if (auto set = db->exec(pragmas); !set) {
        return std::unexpected("cannot use " + where + ": " + set.error() +
                               "; name a writable SQLite file (or a new one)");
    }
    if (*is_new) {
        const std::string create =
            "BEGIN IMMEDIATE;" + std::string(sqlite_export_schema) + "COMMIT;";
        if (auto made = db->exec(create); !made) {
            return std::unexpected("cannot create the tables in " + where + ": " + made.error() +
                                   "; name a file in a writable directory");
        }
    }
    std::unique_ptr<sqlite_export> made(new sqlite_export(std::move(*db), file, options));
    if (auto prepared = made->prepare_statements(); !prepared) {
        return std::unexpected(where + ": " + prepared.error());
    }
    if (auto position = made->read_position(); !position) return std::unexpected(position.error());
    return made;
}

std::expected<void, std::string> sqlite_export::prepare_statements() {
    const std::pair<sqlite_statement*, std::string_view> statements[] = {
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&read_position_,
         "SELECT next_batch, next_sequence, segment, segment_offset, chain, commands, t_ms, "
         "journal FROM journal_position WHERE id = 1"},
        {&write_position_,
         "INSERT OR REPLACE INTO journal_position VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
        {&insert_reservation_,
         "INSERT INTO reservations VALUES (?1, ?2, ?3, ?4, 'held', ?5, ?6, ?5)"},
        {&update_reservation_,
         "UPDATE reservations SET status = ?2, updated_at_ms = ?3 WHERE reservation = ?1 "
         "RETURNING conference, seats"},
        {&read_reservation_,
         "SELECT conference, status = 'confirmed', seats FROM reservations "
         "WHERE reservation = ?1"},
        {&insert_history_,
         "INSERT INTO history (command, t_ms, op, outcome, reason, reservation, conference) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {&upsert_sales_,
         "INSERT INTO sales VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
         "ON CONFLICT (conference, t_ms) DO UPDATE SET "
         "reserved = reserved + excluded.reserved, "
         "seats_reserved = seats_reserved + excluded.seats_reserved, "
         "confirmed = confirmed + excluded.confirmed, "
         "cancelled = cancelled + excluded.cancelled, "
         "expired = expired + excluded.expired, rejected = rejected + excluded.rejected"},
        {&upsert_seats_,
         "INSERT INTO availability VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) "
         "ON CONFLICT (conference, seat_type) DO UPDATE SET "
         "capacity = capacity + excluded.capacity, held = held + excluded.held, "
         "confirmed = confirmed + excluded.confirmed, "
         "available = available + excluded.available"},
        {&close_conference_, "UPDATE availability SET closed = 1 WHERE conference = ?1"},
    };
    for (const auto& [statement, sql] : statements) {
        auto prepared = db_.prepare(sql);
        if (!prepared) return std::unexpected(prepared.error());
        *statement = std::move(*prepared);
    }
    return {};
}

std::expected<void, std::string> sqlite_export::read_position() {
    auto row = read_position_.step();
    if (!row) return std::unexpected(file_.string() + ": " + row.error());
    if (!*row) {
        read_position_.reset();
        reset();  // a new export: position 0
        return {};
    }
    const std::optional<journal::checksum128> chain = checksum_of(read_position_.column_text(4));
    const std::optional<journal::checksum128> id = checksum_of(read_position_.column_text(7));
    state_writer place;
    for (int column = 0; column < 4; column++) place.u64(read_position_.column(column));
    if (chain) {
        place.u64(chain->low);
        place.u64(chain->high);
    }
    place.u64(read_position_.column(5));
    place.u64(read_position_.column(6));
    read_position_.reset();
    if (!chain || !id || !decode(place.bytes())) {
        return std::unexpected(file_.string() +
                               ": its journal_position row does not decode; export into a new "
                               "file");
    }
    journal_id_ = *id;
    return {};
}

std::expected<void, std::string> sqlite_export::check_continues(
    const std::filesystem::path& data_dir) {
    const std::uint64_t next_batch = position().next_batch_number;
    if (next_batch == 0) return {};
    const std::string refused = file_.string() + " holds " + std::to_string(next_batch) +
                                " batches of another journal than " + data_dir.string() + "'s";
    const std::string fix = "; export into a new file (or delete " + file_.string() + ")";
    // The durable end as poll() reads it: the writer's hint when it is further than the
    // manifest (rewritten about once a second), as it is for a file exported up to the hint
    // by an exporter that was just stopped.
    if (!hint_) hint_ = journal::durable_hint_view::open(data_dir);
    auto first = journal_source::open(data_dir, {}, hint_ ? &*hint_ : nullptr);
    if (!first) return std::unexpected(refused + " (" + first.error() + ")" + fix);
    auto batch = first->next();
    if (!batch) return std::unexpected(refused + " (" + batch.error() + ")" + fix);
    if (!batch->has_value()) return std::unexpected(refused + " (its journal is empty)" + fix);
    if ((*batch)->end.previous_header_checksum != journal_id_) {
        return std::unexpected(refused + " (their first batches differ)" + fix);
    }
    const std::uint64_t durable = first->durable_batches();  // UINT64_MAX: no manifest
    if (durable != UINT64_MAX && durable < next_batch) {
        return std::unexpected(refused + " (it is ahead of the journal's durable end, batch " +
                               std::to_string(durable) + ")" + fix);
    }
    return {};
}

std::expected<sqlite_poll_result, std::string> sqlite_export::poll(
    const std::filesystem::path& data_dir) {
    ORDO_ASSERT(!poisoned_);
    ORDO_ASSERT(!in_transaction_);
    if (!hint_) hint_ = journal::durable_hint_view::open(data_dir);
    auto source =
        journal_source::open(data_dir, position(), hint_ ? &*hint_ : nullptr, manifest_seen_);
    if (!source) return std::unexpected(source.error());
    manifest_seen_ = manifest_seen_ || source->manifest_seen();
    sqlite_poll_result result{.durable_batches = source->durable_batches()};
    std::uint64_t records_in_transaction = 0;
    auto failed = [&](std::string message) -> std::expected<sqlite_poll_result, std::string> {
        poisoned_ = true;
        rollback();
        return std::unexpected(std::move(message));
    };
    for (;;) {
        auto batch = source->next();
        if (!batch) return failed(batch.error());
        if (!batch->has_value()) break;
        const durable_batch& b = **batch;
        if (!in_transaction_) {
            if (auto begun = begin(); !begun) return failed(begun.error());
            records_in_transaction = 0;
        }
        if (b.batch_number == 0) journal_id_ = b.end.previous_header_checksum;
        auto done = apply(b);
        if (!done) return failed(done.error());
        if (!failed_.empty()) return failed(file_.string() + ": " + failed_);
        ORDO_ASSERT(*done == applied::whole);
        ORDO_ASSERT(position() == b.end);
        result.batches++;
        result.records += b.record_count;
        result.bytes += b.body.size();
        records_in_transaction += b.record_count;
        if (records_in_transaction >= options_.transaction_records_max) {
            // One transaction per poll: the caller sees a stop request between two.
            result.more = true;
            break;
        }
    }
    if (in_transaction_) {
        if (auto committed = commit(); !committed) return failed(committed.error());
        result.transactions++;
    }
    if (result.durable_batches == UINT64_MAX) result.durable_batches = position().next_batch_number;
    return result;
}

std::expected<void, std::string> sqlite_export::begin() {
    ORDO_ASSERT(!in_transaction_);
    ORDO_ASSERT(seat_deltas_.empty());
    ORDO_ASSERT(sales_points_.empty());
    ORDO_ASSERT(closed_.empty());
    if (auto begun = begin_.run(); !begun) {
        return std::unexpected(file_.string() + ": " + begun.error() +
                               " (is another ordo follow --into writing it?)");
    }
    in_transaction_ = true;
    // Only this process writes the rows: a position that moved since we read it means
    // another exporter wrote the same file, and going on would double its rows.
    auto row = read_position_.step();
    if (!row) return std::unexpected(file_.string() + ": " + row.error());
    const std::uint64_t stored = *row ? read_position_.column(0) : 0;
    read_position_.reset();
    if (stored != position().next_batch_number) {
        return std::unexpected(file_.string() + " was written by another exporter meanwhile " +
                               "(at batch " + std::to_string(stored) + ", expected " +
                               std::to_string(position().next_batch_number) +
                               "); run one ordo follow --into per file");
    }
    return {};
}

std::expected<void, std::string> sqlite_export::commit() {
    ORDO_ASSERT(in_transaction_);
    if (auto flushed = flush_pending(); !flushed) return flushed;
    const journal::journal_position& at = position();
    const std::string chain = hex_of(at.previous_header_checksum);
    const std::string id = hex_of(journal_id_);
    write_position_.bind(1, at.next_batch_number);
    write_position_.bind(2, at.next_sequence);
    write_position_.bind(3, std::uint64_t{at.segment_index});
    write_position_.bind(4, at.segment_offset);
    write_position_.bind_text(5, chain);
    write_position_.bind(6, commands());
    write_position_.bind(7, now_ms());
    write_position_.bind_text(8, id);
    if (auto written = write_position_.run(); !written) return written;
    if (auto committed = commit_.run(); !committed) return committed;
    in_transaction_ = false;
    return {};
}

void sqlite_export::rollback() {
    if (!in_transaction_) return;
    // A failed ROLLBACK leaves SQLite to roll back when the connection closes or the next
    // process opens the file: either way the transaction is gone.
    (void)rollback_.run();
    in_transaction_ = false;
    clear_view();
}

std::expected<void, std::string> sqlite_export::write_sales_point(std::uint64_t conference,
                                                                  const sales_point& p) {
    upsert_sales_.bind(1, conference);
    upsert_sales_.bind(2, p.t_ms);
    upsert_sales_.bind(3, p.counts.reserved);
    upsert_sales_.bind(4, p.counts.seats_reserved);
    upsert_sales_.bind(5, p.counts.confirmed);
    upsert_sales_.bind(6, p.counts.cancelled);
    upsert_sales_.bind(7, p.counts.expired);
    upsert_sales_.bind(8, p.counts.rejected);
    row_writes_++;
    return upsert_sales_.run();
}

std::expected<void, std::string> sqlite_export::flush_pending() {
    for (const auto& [conference, point] : sales_points_) {
        if (auto written = write_sales_point(conference, point); !written) return written;
    }
    for (const auto& [key, delta] : seat_deltas_) {
        upsert_seats_.bind(1, key.first);
        upsert_seats_.bind(2, std::uint64_t{key.second});
        upsert_seats_.bind_signed(3, delta.capacity);
        upsert_seats_.bind_signed(4, delta.held);
        upsert_seats_.bind_signed(5, delta.confirmed);
        upsert_seats_.bind_signed(6, delta.available);
        row_writes_++;
        if (auto written = upsert_seats_.run(); !written) return written;
    }
    // After the counters: a conference's rows exist before it is marked closed.
    for (const std::uint64_t conference : closed_) {
        close_conference_.bind(1, conference);
        row_writes_++;
        if (auto written = close_conference_.run(); !written) return written;
    }
    clear_view();
    return {};
}

void sqlite_export::clear_view() {
    seat_deltas_.clear();
    sales_points_.clear();
    closed_.clear();
    failed_.clear();
}

void sqlite_export::fail(std::string message) {
    if (failed_.empty()) failed_ = std::move(message);
}

sqlite_export::seat_delta& sqlite_export::seats(std::uint64_t conference,
                                                std::uint32_t seat_type) {
    ORDO_ASSERT(conference != 0);
    ORDO_ASSERT(seat_type != 0);
    return seat_deltas_[{conference, seat_type}];
}

sqlite_export::sales_point& sqlite_export::sales_at(std::uint64_t conference, std::uint64_t t_ms) {
    ORDO_ASSERT(conference != 0);
    auto [found, inserted] = sales_points_.try_emplace(conference, sales_point{.t_ms = t_ms});
    if (!inserted && found->second.t_ms != t_ms) {
        // Time never runs backwards: the point before this one is complete in this
        // transaction (a later transaction may still add to it, as a sum).
        ORDO_ASSERT(found->second.t_ms < t_ms);
        if (auto written = write_sales_point(conference, found->second); !written) {
            fail(written.error());
        }
        found->second = sales_point{.t_ms = t_ms};
    }
    return found->second;
}

void sqlite_export::insert_history(const event_context& at, std::string_view op,
                                   engine::outcome result, std::uint64_t reservation,
                                   std::uint64_t conference) {
    if (reservation == 0 && conference == 0) return;  // it names no stream
    insert_history_.bind(1, at.command);
    insert_history_.bind(2, at.now_ms);
    insert_history_.bind_text(3, op);
    insert_history_.bind_text(4, engine::outcome_status_name(result));
    if (engine::is_rejection(result)) insert_history_.bind_text(5, engine::outcome_name(result));
    if (reservation != 0) insert_history_.bind(6, reservation);
    if (conference != 0) insert_history_.bind(7, conference);
    row_writes_++;
    if (auto written = insert_history_.run(); !written) fail(written.error());
}

sqlite_export::stored_reservation sqlite_export::finish_reservation(std::uint64_t reservation,
                                                                    std::string_view status,
                                                                    std::uint64_t now_ms,
                                                                    bool read_status_first) {
    stored_reservation r;
    sqlite_statement& read = read_status_first ? read_reservation_ : update_reservation_;
    read.bind(1, reservation);
    if (!read_status_first) {
        read.bind_text(2, status);
        read.bind(3, now_ms);
    }
    auto row = read.step();
    if (!row) {
        fail(row.error());
        return r;
    }
    if (!*row) {
        // The engine accepted an event about it, so its row was written: someone deleted it.
        read.reset();
        fail("reservation " + std::to_string(reservation) +
             " is missing from the reservations table (changed by hand?); export into a new "
             "file");
        return r;
    }
    r.found = true;
    r.conference = read.column(0);
    const int seats_column = read_status_first ? 2 : 1;
    if (read_status_first) r.confirmed = read.column_signed(1) == 1;
    if (!parse_seats(read.column_text(seats_column), r.items, r.item_count)) {
        fail("reservation " + std::to_string(reservation) + " has seats that do not parse: " +
             std::string(read.column_text(seats_column)));
    }
    if (auto rest = read.run(); !rest) fail(rest.error());
    if (read_status_first) {
        update_reservation_.bind(1, reservation);
        update_reservation_.bind_text(2, status);
        update_reservation_.bind(3, now_ms);
        if (auto updated = update_reservation_.run(); !updated) fail(updated.error());
    }
    row_writes_++;
    return r;
}

std::uint64_t sqlite_export::conference_of(std::uint64_t reservation) {
    if (reservation == 0) return 0;
    read_reservation_.bind(1, reservation);
    auto row = read_reservation_.step();
    std::uint64_t conference = 0;
    if (!row) {
        fail(row.error());
    } else if (*row) {
        conference = read_reservation_.column(0);
    }
    read_reservation_.reset();
    return conference;
}

void sqlite_export::on_conference_created(const event_context& at,
                                          const engine::conference_created_v1& e,
                                          std::span<const engine::seat_item> items) {
    // A seat type with no seats still gets its row: the delta entry is made either way.
    for (const engine::seat_item& item : items) {
        seat_delta& d = seats(e.conference, item.seat_type);
        d.capacity += item.quantity;
        d.available += item.quantity;
    }
    insert_history(at, engine::op_name(engine::op::create_conference), engine::outcome::accepted,
                   0, e.conference);
}

void sqlite_export::on_seats_changed(const event_context& at, const engine::seats_changed_v1& e,
                                     bool added) {
    seat_delta& d = seats(e.conference, e.seat_type);
    const std::int64_t change = added ? std::int64_t{e.quantity} : -std::int64_t{e.quantity};
    d.capacity += change;
    d.available += change;
    insert_history(at, engine::op_name(added ? engine::op::add_seats : engine::op::remove_seats),
                   engine::outcome::accepted, 0, e.conference);
}

void sqlite_export::on_held(const event_context& at, const engine::reservation_held_v1& e,
                            std::span<const engine::seat_item> items) {
    const seats_text text = format_seats(items);
    insert_reservation_.bind(1, e.reservation);
    insert_reservation_.bind(2, e.customer);
    insert_reservation_.bind(3, e.conference);
    insert_reservation_.bind_text(4, text.view());
    insert_reservation_.bind(5, at.now_ms);
    insert_reservation_.bind(6, e.expires_at_ms);
    row_writes_++;
    if (auto written = insert_reservation_.run(); !written) fail(written.error());
    sales_point& p = sales_at(e.conference, at.now_ms);
    p.counts.reserved++;
    for (const engine::seat_item& item : items) {
        seat_delta& d = seats(e.conference, item.seat_type);
        d.held += item.quantity;
        d.available -= item.quantity;
        p.counts.seats_reserved += item.quantity;
    }
    insert_history(at, engine::op_name(engine::op::reserve), engine::outcome::accepted,
                   e.reservation, e.conference);
}

void sqlite_export::on_confirmed(const event_context& at, std::uint64_t reservation) {
    const stored_reservation r = finish_reservation(reservation, "confirmed", at.now_ms, false);
    if (!r.found) return;
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        seat_delta& d = seats(r.conference, r.items[i].seat_type);
        d.held -= r.items[i].quantity;
        d.confirmed += r.items[i].quantity;
    }
    sales_at(r.conference, at.now_ms).counts.confirmed++;
    insert_history(at, engine::op_name(engine::op::confirm), engine::outcome::accepted,
                   reservation, r.conference);
}

void sqlite_export::on_cancelled(const event_context& at, std::uint64_t reservation) {
    // A cancel finds a hold or a confirmed reservation: which one decides the counters.
    const stored_reservation r = finish_reservation(reservation, "cancelled", at.now_ms, true);
    if (!r.found) return;
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        seat_delta& d = seats(r.conference, r.items[i].seat_type);
        (r.confirmed ? d.confirmed : d.held) -= r.items[i].quantity;
        d.available += r.items[i].quantity;
    }
    sales_at(r.conference, at.now_ms).counts.cancelled++;
    insert_history(at, engine::op_name(engine::op::cancel), engine::outcome::accepted,
                   reservation, r.conference);
}

void sqlite_export::on_expired(const event_context& at, const engine::reservation_expired_v1& e,
                               bool) {
    const stored_reservation r = finish_reservation(e.reservation, "expired", at.now_ms, false);
    if (!r.found) return;
    for (std::uint32_t i = 0; i < r.item_count; i++) {
        seat_delta& d = seats(r.conference, r.items[i].seat_type);
        d.held -= r.items[i].quantity;
        d.available += r.items[i].quantity;
    }
    sales_at(r.conference, at.now_ms).counts.expired++;
    insert_history(at, "expire", engine::outcome::accepted, e.reservation, r.conference);
}

void sqlite_export::on_rejected(const event_context& at, const engine::command_rejected_v1& e) {
    const bool through_reservation = e.kind == engine::op::confirm || e.kind == engine::op::cancel;
    const std::uint64_t conference = through_reservation ? conference_of(e.reservation)
                                                         : e.conference;
    if (engine::is_rejection(e.result) && e.result != engine::outcome::unknown_conference &&
        conference != 0) {
        sales_at(conference, at.now_ms).counts.rejected++;
    }
    insert_history(at, engine::op_name(e.kind), e.result, e.reservation, conference);
}

void sqlite_export::on_closed(const event_context& at, const engine::conference_closed_v1& e) {
    ORDO_ASSERT(e.conference != 0);
    closed_.push_back(e.conference);
    insert_history(at, engine::op_name(engine::op::close_conference), engine::outcome::accepted, 0,
                   e.conference);
}

}  // namespace ordo::projections
