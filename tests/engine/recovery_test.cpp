// Recovery's own promises beyond the journal reader's: replay builds the live state whether
// the tables are populated beside it or before it; a record this ordo does not know stops
// recovery with an error naming its batch (never a guess); tables too small for the
// journal's history are refused with the flag to raise; replay_records stops exactly at the
// first record it cannot apply; replay over two threads (many batches and segments, a
// snapshot plus a tail naming its reservations, damage met while batches are in flight)
// gives the live state or the error.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include <unistd.h>

#include "engine/replay.h"
#include "engine/process.h"
#include "engine/recovery.h"
#include "engine/state_codec.h"
#include "journal/data_dir.h"
#include "journal/manifest.h"
#include "journal/snapshot_store.h"
#include "journal/record.h"
#include "journal/writer.h"
#include "tools/state_json.h"

using namespace ordo;
namespace fs = std::filesystem;

namespace {

constexpr engine::state_options tables{.conferences_max = 8, .reservations_max = 4096};

// A history decided live into `state`, whose records are returned batch by batch: a
// batch every `seal_every` reservations. Every fourth reservation goes to conference 2
// (long holds), which is closed halfway (its holds expire at close), and then to
// conference 3: the rest of them, and cancels of conference 2's confirmed ones, are
// conference_closed.
std::vector<std::vector<std::byte>> live_history(engine::booking_state& state,
                                                 std::uint64_t reservations = 600,
                                                 std::uint64_t seal_every = 100,
                                                 std::uint32_t seats = 100) {
    std::vector<std::vector<std::byte>> batches;
    std::vector<std::byte> body(1 << 16);
    engine::event_buffer buffer;
    buffer.reset(body);
    auto seal = [&] {
        batches.emplace_back(buffer.body().begin(), buffer.body().end());
        buffer.reset(body);
    };
    auto room = [&](std::uint32_t bytes) {
        if (buffer.free_bytes() < bytes) seal();
    };
    engine::command_slot slots[engine::command_slots_max];
    auto run = [&](const engine::command& c) {
        engine::encode(c, slots);
        engine::process_command(state, engine::command_view(slots), buffer, room);
    };
    const engine::seat_item types[] = {{.quantity = seats, .seat_type = 1, .reserved_zero = 0},
                                       {.quantity = seats / 2, .seat_type = 2, .reserved_zero = 0}};
    run(engine::make_create_conference(0, 1, types, 2000));
    run(engine::make_create_conference(0, 2, types, 50'000));
    for (std::uint64_t r = 1; r <= reservations; r++) {
        const engine::seat_item want[] = {
            {.quantity = 1, .seat_type = static_cast<std::uint16_t>(1 + r % 2), .reserved_zero = 0}};
        if (r == reservations / 2) {
            run(engine::make_close_conference(r * 10, 2));
            run(engine::make_create_conference(r * 10, 3, types, 50'000));
        }
        const std::uint64_t conference = r % 4 != 0 ? 1 : r < reservations / 2 ? 2 : 3;
        run(engine::make_reserve(r * 10, conference, r, 7, want));
        if (r % 3 == 0) run(engine::make_reservation_op(engine::op::confirm, r * 10 + 1, r));
        if (r % 5 == 0) run(engine::make_reservation_op(engine::op::cancel, r * 10 + 2, r - 1));
        if (r % seal_every == 0) seal();  // several batches; holds expire across them
    }
    run(engine::make_tick(100'000));
    seal();
    return batches;
}

bool closed(const engine::booking_state& state, std::uint64_t conference) {
    const std::uint32_t index = state.find_conference(conference);
    REQUIRE(index != engine::index_none);
    return state.conference(index).closed != 0;
}

std::uint32_t count_records(const std::vector<std::byte>& body) {
    std::uint32_t count = 0;
    for (std::size_t at = 0; at < body.size(); count++) {
        journal::record_header header;
        std::memcpy(&header, body.data() + at, sizeof(header));
        at += header.size_bytes;
    }
    return count;
}

// Writes the batches as a journal under dir/journal (buffered: durable enough for a test).
void write_journal(const fs::path& dir, const std::vector<std::vector<std::byte>>& batches) {
    auto opened = journal::writer::open(
        journal::writer_options{.dir = engine::journal_dir(dir),
                                .sync = journal::sync_mode::buffered,
                                .segment_bytes = 1u << 20, .direct_io = false},
        journal::journal_position{});
    REQUIRE(opened.has_value());
    journal::writer& w = **opened;
    for (const auto& body : batches) {
        auto area = w.claim();
        REQUIRE(area.has_value());
        REQUIRE(area->size() >= body.size());
        std::memcpy(area->data(), body.data(), body.size());
        REQUIRE(w.publish(static_cast<std::uint32_t>(body.size()), count_records(body), 0));
    }
    REQUIRE(w.wait_durable(batches.size()).has_value());
}

fs::path fresh_dir(const char* name) {
    const fs::path dir = fs::temp_directory_path() / (std::string(name) + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Tables for the long histories: most holds are accepted (100 000 seats) and stay in them.
constexpr engine::state_options big_tables{.conferences_max = 8, .reservations_max = 32'768};

// A long history, decided live and written as a journal of a batch every 20 reservations
// (1 MiB segments: several of them) under a fresh directory.
struct long_history {
    engine::booking_state live{big_tables};
    std::vector<std::vector<std::byte>> batches;
    fs::path dir;
};
std::unique_ptr<long_history> write_long_history(const char* name, std::uint64_t reservations) {
    auto h = std::make_unique<long_history>();
    h->batches = live_history(h->live, reservations, 20, 100'000);
    h->dir = fresh_dir(name);
    write_journal(h->dir, h->batches);
    return h;
}

// The state after the first `count` batches of `batches`, replayed on one thread.
std::unique_ptr<engine::booking_state> state_after(const std::vector<std::vector<std::byte>>& batches,
                                                   std::size_t count) {
    auto state = std::make_unique<engine::booking_state>(big_tables);
    for (std::size_t b = 0; b < count; b++) {
        const engine::replay_result replayed =
            engine::replay_records(*state, batches[b], count_records(batches[b]));
        REQUIRE(replayed.applied == count_records(batches[b]));
    }
    return state;
}

// The journal's position after its first `count` batches.
journal::journal_position position_after(const fs::path& dir, std::size_t count) {
    auto reader = journal::reader::open(engine::journal_dir(dir));
    REQUIRE(reader.has_value());
    for (std::size_t b = 0; b < count; b++) REQUIRE(reader->next().value().has_value());
    return reader->position();
}

// A snapshot of the state after `count` batches, stamped with `at`.
void write_snapshot_at(const fs::path& dir, const std::vector<std::vector<std::byte>>& batches,
                       std::size_t count, const journal::journal_position& at) {
    const auto early = state_after(batches, count);
    REQUIRE(journal::write_snapshot(dir,
                                    journal::snapshot_position{
                                        .next_batch_number = at.next_batch_number,
                                        .next_sequence = at.next_sequence,
                                        .segment_index = at.segment_index,
                                        .segment_offset = at.segment_offset,
                                        .previous_header_checksum = at.previous_header_checksum},
                                    engine::encode_state(*early))
                .has_value());
}

}  // namespace

TEST_CASE("replay equals the live run, tables populated beside the replay or before it",
          "[recovery]") {
    engine::booking_state live(tables);
    const auto batches = live_history(live);
    const fs::path dir = fresh_dir("ordo_recovery_test_equal_");
    write_journal(dir, batches);
    for (const auto population :
         {engine::table_population::concurrent, engine::table_population::before_replay}) {
        auto recovered = engine::recover(
            dir, tables, engine::recovery_options{.use_snapshots = false, .population = population});
        REQUIRE(recovered.has_value());
        REQUIRE(recovered->batches_replayed == batches.size());
        REQUIRE(recovered->records_replayed == live.events);
        REQUIRE(tools::state_json(*recovered->state) == tools::state_json(live));
        REQUIRE(recovered->state->counts.expired > 0);  // the history expired holds
        REQUIRE(closed(*recovered->state, 2));
    }
    fs::remove_all(dir);
}

TEST_CASE("a replay reports its progress, totals growing to what it replayed", "[recovery]") {
    // Proves the progress hook behind the CLI's "replaying the journal" line: with no
    // interval it is called after every batch, in order, and its last totals are the
    // replay's; with the default second it is silent on a replay this short.
    engine::booking_state live(tables);
    const auto batches = live_history(live);
    const fs::path dir = fresh_dir("ordo_recovery_test_progress_");
    write_journal(dir, batches);
    std::vector<engine::replay_totals> seen;
    auto recovered = engine::recover(
        dir, tables,
        engine::recovery_options{
            .use_snapshots = false,
            .on_progress = {.call = [&](const engine::replay_totals& t, double) { seen.push_back(t); },
                            .interval_ns = 0}});
    REQUIRE(recovered.has_value());
    REQUIRE(seen.size() == batches.size());
    for (std::size_t i = 0; i < seen.size(); i++) {
        CHECK(seen[i].batches == i + 1);
        if (i > 0) CHECK(seen[i].records > seen[i - 1].records);
    }
    CHECK(seen.back().records == recovered->records_replayed);
    std::size_t calls = 0;
    auto quiet = engine::recover(
        dir, tables,
        engine::recovery_options{.use_snapshots = false,
                                 .on_progress = {.call = [&](const engine::replay_totals&, double) {
                                     calls++;
                                 }}});
    REQUIRE(quiet.has_value());
    CHECK(calls == 0);
    fs::remove_all(dir);
}

TEST_CASE("replay across many batches and segments equals the live run", "[recovery]") {
    // A thousand batches over several 1 MiB segments: the reader thread runs ahead of the
    // applier, wraps its slots hundreds of times and crosses segments while the applier
    // still reads batches of the one before.
    const auto history = write_long_history("ordo_recovery_test_many_", 20'000);
    const auto& [live, batches, dir] = *history;
    auto recovered =
        engine::recover(dir, big_tables, engine::recovery_options{.use_snapshots = false});
    REQUIRE(recovered.has_value());
    REQUIRE(journal::reader::open(engine::journal_dir(dir))->segment_count() >= 3);
    REQUIRE(recovered->batches_replayed == batches.size());
    REQUIRE(recovered->records_replayed == live.events);
    REQUIRE(tools::state_json(*recovered->state) == tools::state_json(live));
    REQUIRE(engine::state_digest(*recovered->state) == engine::state_digest(live));
    REQUIRE(recovered->state->counts.expired > 0);
    REQUIRE(closed(*recovered->state, 2));
    fs::remove_all(dir);
}

TEST_CASE("newest snapshot + journal tail equals the live run and a full replay", "[recovery]") {
    // The tail confirms, cancels and expires reservations made before the snapshot: the
    // replay finds those through the records the snapshot restored (and gives them back).
    const auto history = write_long_history("ordo_recovery_test_snapshot_", 6'000);
    const auto& [live, batches, dir] = *history;
    // The state after the first 120 batches, as a snapshot at the reader's position there.
    engine::booking_state early(big_tables);
    auto reader = journal::reader::open(engine::journal_dir(dir));
    REQUIRE(reader.has_value());
    for (int b = 0; b < 120; b++) {
        auto batch = reader->next();
        REQUIRE(batch.has_value());
        REQUIRE(batch->has_value());
        const engine::replay_result replayed =
            engine::replay_records(early, (*batch)->body, (*batch)->record_count);
        REQUIRE(replayed.applied == (*batch)->record_count);
    }
    const journal::journal_position at = reader->position();
    REQUIRE(journal::write_snapshot(dir,
                                    journal::snapshot_position{
                                        .next_batch_number = at.next_batch_number,
                                        .next_sequence = at.next_sequence,
                                        .segment_index = at.segment_index,
                                        .segment_offset = at.segment_offset,
                                        .previous_header_checksum = at.previous_header_checksum},
                                    engine::encode_state(early))
                .has_value());
    REQUIRE(early.reservation_count() > 0);

    auto from_snapshot = engine::recover(dir, big_tables);
    REQUIRE(from_snapshot.has_value());
    REQUIRE(from_snapshot->snapshot.has_value());
    REQUIRE(from_snapshot->batches_replayed == batches.size() - 120);
    auto full = engine::recover(dir, big_tables, engine::recovery_options{.use_snapshots = false});
    REQUIRE(full.has_value());
    REQUIRE_FALSE(full->snapshot.has_value());
    REQUIRE(tools::state_json(*from_snapshot->state) == tools::state_json(live));
    REQUIRE(engine::state_digest(*from_snapshot->state) == engine::state_digest(*full->state));
    REQUIRE(engine::state_digest(*from_snapshot->state) == engine::state_digest(live));
    // The close is in the tail and expired holds the snapshot restored.
    REQUIRE_FALSE(closed(early, 2));
    REQUIRE(closed(*from_snapshot->state, 2));
    REQUIRE(from_snapshot->state->counts.expired > early.counts.expired);
    fs::remove_all(dir);
}

TEST_CASE("damage in a middle segment stops the replay with its file and offset", "[recovery]") {
    // The reader thread meets the damage while the applier still has batches of the
    // segments before it in flight: recovery fails, naming where, and nothing hangs.
    const auto history = write_long_history("ordo_recovery_test_damage_", 20'000);
    const fs::path& dir = history->dir;
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(engine::journal_dir(dir))) {
        if (entry.path().extension() == ".journal") segments.push_back(entry.path());
    }
    std::sort(segments.begin(), segments.end());
    REQUIRE(segments.size() >= 3);
    {
        // A byte of the second batch's body in the second segment.
        std::fstream file(segments[1], std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(4096 + 200);
        file.put('\x5a');
    }
    auto recovered =
        engine::recover(dir, big_tables, engine::recovery_options{.use_snapshots = false});
    REQUIRE_FALSE(recovered.has_value());
    CHECK(recovered.error().find(segments[1].filename().string()) != std::string::npos);
    CHECK(recovered.error().find("4096") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("an unknown record stops recovery with its batch; small tables are refused",
          "[recovery]") {
    engine::booking_state live(tables);
    auto batches = live_history(live);
    const fs::path dir = fresh_dir("ordo_recovery_test_unknown_");

    SECTION("a record of a newer schema version") {
        // The second batch's first record claims schema version 9.
        batches[1][3] = std::byte{9};
        write_journal(dir, batches);
        auto recovered = engine::recover(dir, tables, engine::recovery_options{.use_snapshots = false});
        REQUIRE_FALSE(recovered.has_value());
        CHECK(recovered.error().find("batch 1 ") != std::string::npos);
        CHECK(recovered.error().find("version 9") != std::string::npos);
        CHECK(recovered.error().find("upgrade ordo") != std::string::npos);
    }
    SECTION("more reservations than --reservations-max") {
        write_journal(dir, batches);
        auto recovered = engine::recover(
            dir, engine::state_options{.conferences_max = 8, .reservations_max = 100},
            engine::recovery_options{.use_snapshots = false});
        REQUIRE_FALSE(recovered.has_value());
        CHECK(recovered.error().find("--reservations-max") != std::string::npos);
    }
    fs::remove_all(dir);
}

TEST_CASE("replay_records stops at the first record it cannot apply", "[recovery]") {
    engine::booking_state live(tables);
    const auto batches = live_history(live);
    std::vector<std::byte> body = batches[2];
    const std::uint32_t count = count_records(body);
    // Find the fifth record and give it an unknown type.
    std::size_t at = 0;
    for (int i = 0; i < 4; i++) {
        journal::record_header header;
        std::memcpy(&header, body.data() + at, sizeof(header));
        at += header.size_bytes;
    }
    body[at + 2] = std::byte{200};

    engine::booking_state replayed(tables);
    for (std::size_t b = 0; b < 2; b++) {
        REQUIRE(engine::replay_records(replayed, batches[b], count_records(batches[b])).applied ==
                count_records(batches[b]));
    }
    const engine::replay_result result = engine::replay_records(replayed, body, count);
    REQUIRE(result.applied == 4);
    REQUIRE(result.unknown.has_value());
    CHECK(result.unknown->type == 200);
}

TEST_CASE("damage in the part of the journal a snapshot covers stops recovery", "[recovery]") {
    // Proves: a flipped byte in a batch the newest snapshot covers (its replay is skipped)
    // is still found, on the thread that checks the covered journal beside the tail's
    // replay: recovery fails naming the segment file and the batch's offset.
    const auto history = write_long_history("ordo_recovery_test_covered_", 6'000);
    const auto& [live, batches, dir] = *history;
    write_snapshot_at(dir, batches, 120, position_after(dir, 120));
    REQUIRE(engine::recover(dir, big_tables)->snapshot.has_value());
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(engine::journal_dir(dir))) {
        if (entry.path().extension() == ".journal") segments.push_back(entry.path());
    }
    std::sort(segments.begin(), segments.end());
    {
        std::fstream file(segments[0], std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(4096 + 200);
        file.put('\x5a');
    }
    auto recovered = engine::recover(dir, big_tables);
    REQUIRE_FALSE(recovered.has_value());
    CHECK(recovered.error().find(segments[0].filename().string()) != std::string::npos);
    CHECK(recovered.error().find("damaged") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("a snapshot the journal does not hold is not used", "[recovery]") {
    // Proves: a snapshot covering more batches than the journal holds (one of a longer
    // history), or one whose last covered batch is another batch (another history), is
    // not trusted: recovery says why in a note and replays the whole journal, whose state
    // it returns; before, the first was loaded as if the journal held it.
    const auto history = write_long_history("ordo_recovery_test_foreign_", 6'000);
    const auto& [live, batches, dir] = *history;
    const journal::journal_position at_120 = position_after(dir, 120);
    const fs::path shorter = fresh_dir("ordo_recovery_test_shorter_");
    write_journal(shorter, std::vector<std::vector<std::byte>>(batches.begin(),
                                                               batches.begin() + 100));
    write_snapshot_at(shorter, batches, 120, at_120);
    auto recovered = engine::recover(shorter, big_tables);
    REQUIRE(recovered.has_value());
    REQUIRE_FALSE(recovered->snapshot.has_value());
    REQUIRE(recovered->notes.size() == 1);
    CHECK(recovered->notes[0].find("covers 120 batches, the journal holds 100") !=
          std::string::npos);
    REQUIRE(recovered->batches_replayed == 100);
    REQUIRE(engine::state_digest(*recovered->state) ==
            engine::state_digest(*state_after(batches, 100)));

    journal::journal_position other = at_120;
    other.previous_header_checksum.high ^= 1;
    write_snapshot_at(dir, batches, 120, other);
    auto fallback = engine::recover(dir, big_tables);
    REQUIRE(fallback.has_value());
    REQUIRE_FALSE(fallback->snapshot.has_value());
    REQUIRE(fallback->notes.size() == 1);
    CHECK(fallback->notes[0].find("does not belong to this journal (its batch 119 checksum "
                                  "differs)") != std::string::npos);
    REQUIRE(tools::state_json(*fallback->state) == tools::state_json(live));
    fs::remove_all(shorter);
    fs::remove_all(dir);
}

TEST_CASE("a foreign snapshot older than the one used is noted, not silently ignored",
          "[recovery]") {
    // Proves: a snapshot of another history, older than the newest one (so never loaded),
    // is named in a note (its last batch's checksum is not the journal's), while recovery
    // uses the newest, own snapshot and returns the live state; an own older snapshot
    // gives no note. Before, the foreign one went unnoticed.
    const auto history = write_long_history("ordo_recovery_test_older_foreign_", 6'000);
    const auto& [live, batches, dir] = *history;
    REQUIRE(batches.size() > 200);
    write_snapshot_at(dir, batches, 200, position_after(dir, 200));
    write_snapshot_at(dir, batches, 150, position_after(dir, 150));
    auto own = engine::recover(dir, big_tables);
    REQUIRE(own.has_value());
    REQUIRE(own->snapshot.has_value());
    CHECK(own->notes.empty());

    journal::journal_position other = position_after(dir, 120);
    other.previous_header_checksum.low ^= 1;
    write_snapshot_at(dir, batches, 120, other);
    auto noted = engine::recover(dir, big_tables);
    REQUIRE(noted.has_value());
    REQUIRE(noted->snapshot.has_value());
    CHECK(noted->batches_verified == 200);
    REQUIRE(noted->notes.size() == 1);
    CHECK(noted->notes[0].find("does not belong to this journal (its batch 119 checksum "
                               "differs)") != std::string::npos);
    CHECK(noted->notes[0].find(journal::list_snapshots(dir)->back().path.filename().string()) !=
          std::string::npos);
    REQUIRE(tools::state_json(*noted->state) == tools::state_json(live));
    fs::remove_all(dir);
}

TEST_CASE("recovery holds the journal to the manifest's durable end", "[recovery]") {
    // Proves: with DIR/manifest recording the durable end at the journal's end, a journal
    // cut short (its last segment truncated) is damage, where without the manifest it was
    // cut as a torn tail; the same directory recovers with the whole journal back.
    const auto history = write_long_history("ordo_recovery_test_manifest_", 6'000);
    const auto& [live, batches, dir] = *history;
    const journal::journal_position end = position_after(dir, batches.size());
    REQUIRE(journal::write_manifest(dir, journal::manifest{.segment_bytes = 1u << 20,
                                                           .segment_count = end.segment_index + 1,
                                                           .durable_end = end,
                                                           .parameters = engine::manifest_parameters(
                                                               big_tables)})
                .has_value());
    REQUIRE(engine::recover(dir, big_tables).has_value());
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(engine::journal_dir(dir))) {
        if (entry.path().extension() == ".journal") segments.push_back(entry.path());
    }
    std::sort(segments.begin(), segments.end());
    const std::uintmax_t size = fs::file_size(segments.back());
    fs::resize_file(segments.back(), 8192);
    auto recovered = engine::recover(dir, big_tables);
    REQUIRE_FALSE(recovered.has_value());
    CHECK(recovered.error().find("the journal ends before batch") != std::string::npos);
    fs::remove(journal::data_dir_layout::manifest(dir));
    REQUIRE(engine::recover(dir, big_tables).has_value());
    CHECK(size > 8192);
    fs::remove_all(dir);
}

TEST_CASE("the table capacities round-trip through the manifest's parameters", "[recovery]") {
    // Proves: tables_of reads back what manifest_parameters wrote, and refuses words it
    // does not know or capacities outside their limits.
    journal::manifest recorded{.parameters = engine::manifest_parameters(big_tables)};
    const auto tables = engine::tables_of(recorded);
    REQUIRE(tables.has_value());
    REQUIRE(tables->conferences_max == big_tables.conferences_max);
    REQUIRE(tables->reservations_max == big_tables.reservations_max);
    recorded.parameters[5] = 1;
    REQUIRE_FALSE(engine::tables_of(recorded).has_value());
    recorded.parameters[5] = 0;
    recorded.parameters[1] = 0;
    REQUIRE_FALSE(engine::tables_of(recorded).has_value());
}
