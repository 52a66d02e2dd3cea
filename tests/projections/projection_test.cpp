// The projections as a library: a batch applied twice changes nothing, a gap is refused,
// a checkpoint restores the exact state (same checksum) and a damaged one is rebuilt from
// the journal with a note; the four views of close.jsonl hold what the contract says. A
// follower hands each note out once and refuses a DIR whose manifest vanished under it.
#include <sys/stat.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <vector>

#include "journal/data_dir.h"
#include "projections/availability.h"
#include "projections/catch_up.h"
#include "projections/checkpoint.h"
#include "projections/customers.h"
#include "projections/follower.h"
#include "projections/history.h"
#include "projections/journal_source.h"
#include "projections/sales.h"
#include "tests/tools/ordo_process.h"

namespace {

using namespace ordo;
using namespace ordo::test;

const fs::path data_dir = ORDO_TEST_DATA_DIR;

std::string close_dir(const temp_dir& dir) {
    const std::string d = (dir.path() / "d").string();
    REQUIRE(run_ordo({"run", "--data", d, "--workload", (data_dir / "close.jsonl").string(),
                      "--batch-kib", "128"})
                .exit_status == 0);
    return d;
}

// A follower caught up with DIR, its checkpoints saved, then gone (as `ordo follow
// --exit-at-end` leaves DIR).
void follow_once(const std::string& d) {
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    REQUIRE(f->poll().has_value());
    REQUIRE(f->checkpoint().has_value());
}

}  // namespace

TEST_CASE("projection: batches applied twice change nothing; a gap is refused", "[projections]") {
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    projections::availability once;
    projections::availability twice;
    auto source = projections::journal_source::open(d, {});
    REQUIRE(source.has_value());
    std::uint64_t batches = 0;
    for (;;) {
        auto batch = source->next();
        REQUIRE(batch.has_value());
        if (!batch->has_value()) break;
        REQUIRE(once.apply(**batch).value() == projections::applied::whole);
        REQUIRE(twice.apply(**batch).value() == projections::applied::whole);
        CHECK(twice.apply(**batch).value() == projections::applied::skipped);
        batches++;
    }
    REQUIRE(batches >= 1);
    CHECK(once.commands() == 29);
    CHECK(projections::state_checksum(once) == projections::state_checksum(twice));
    // A batch after a gap: batch 0 fed to a view that expects batch 5.
    auto again = projections::journal_source::open(d, {});
    auto first = again->next();
    projections::durable_batch later = **first;
    later.batch_number = once.position().next_batch_number + 1;
    later.end.next_batch_number = later.batch_number + 1;
    CHECK(!once.apply(later).has_value());
}

TEST_CASE("projection: checkpoints restore the exact state; damaged ones are rebuilt",
          "[projections]") {
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    projections::history built;
    auto caught = projections::catch_up(d, built, {.use_checkpoint = false});
    REQUIRE(caught.has_value());
    CHECK(built.commands() == 29);
    CHECK(built.of_reservation(100).size() == 5);
    REQUIRE(projections::save_checkpoint(d, built).has_value());

    projections::history restored;
    REQUIRE(projections::load_checkpoint(d, restored).value() ==
            projections::checkpoint_load::loaded);
    CHECK(projections::state_checksum(restored) == projections::state_checksum(built));
    CHECK(restored.position() == built.position());

    // One flipped byte in the state: refused, and catch_up rebuilds from the journal.
    const fs::path file = projections::checkpoint_path(d, built);
    std::string bytes = read_text(file);
    bytes[bytes.size() - 3] ^= 0x10;
    write_text(file, bytes);
    projections::history damaged;
    CHECK(!projections::load_checkpoint(d, damaged).has_value());
    auto rebuilt = projections::catch_up(d, damaged);
    REQUIRE(rebuilt.has_value());
    CHECK(rebuilt->notes.size() == 1);
    CHECK(!rebuilt->from_checkpoint);
    CHECK(projections::state_checksum(damaged) == projections::state_checksum(built));
}

TEST_CASE("projection: the four views of close.jsonl", "[projections]") {
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    projections::availability seats;
    projections::customers people;
    projections::sales sold;
    for (projections::projection* view :
         std::initializer_list<projections::projection*>{&seats, &people, &sold}) {
        REQUIRE(projections::catch_up(d, *view).has_value());
    }
    CHECK(seats.reservations().expired == 4);
    REQUIRE(seats.conference(1) != nullptr);
    CHECK(seats.conference(1)->closed);
    CHECK(seats.conference(1)->seat_types[0].confirmed == 2);
    CHECK(seats.conference(999) == nullptr);
    const auto of7 = people.of_customer(7);
    REQUIRE(of7.size() == 4);
    CHECK(of7[2].status == projections::reservation_status::expired);
    CHECK(of7[2].updated_at_ms == 2000);
    const auto buckets = sold.buckets(1, 10);
    REQUIRE(buckets.size() == 5);
    CHECK(buckets[0].counts.seats_reserved == 9);
    CHECK(buckets[2].counts.expired == 2);
}

TEST_CASE("projection: each view restored mid-history continues to the same state",
          "[projections]") {
    // Proves the checkpoint rebuilds every index and link: each view fed the first half of
    // a generated journal's batches, checkpointed, restored into a fresh one and caught up
    // ends with the checksum (and the answers) of one built in one go.
    const temp_dir dir("projection");
    const std::string d = (dir.path() / "sim").string();
    const run_result sim = run_ordo({"simulate", "--commands", "200000", "--data", d, "--seed", "3",
                                     "--batch-kib", "128", "--hold-ttl-ms", "1000"});
    INFO(sim.err);
    REQUIRE(sim.exit_status == 0);
    std::uint64_t batches = 0;
    for (auto source = projections::journal_source::open(d, {}); (*source->next()).has_value();) {
        batches++;
    }
    REQUIRE(batches >= 4);
    projections::availability a1, a2, a3;
    projections::customers c1, c2, c3;
    projections::history h1, h2, h3;
    projections::sales s1, s2, s3;
    const std::array<std::array<projections::projection*, 3>, 4> views = {
        {{&a1, &a2, &a3}, {&c1, &c2, &c3}, {&h1, &h2, &h3}, {&s1, &s2, &s3}}};
    for (const auto& [whole, half, resumed] : views) {
        INFO(whole->name());
        REQUIRE(projections::catch_up(d, *whole, {.use_checkpoint = false}).has_value());
        auto source = projections::journal_source::open(d, {});
        for (std::uint64_t b = 0; b < batches / 2; b++) {
            REQUIRE(half->apply(**source->next()).value() == projections::applied::whole);
        }
        REQUIRE(projections::save_checkpoint(d, *half).has_value());
        auto caught = projections::catch_up(d, *resumed);
        REQUIRE(caught.has_value());
        CHECK(caught->from_checkpoint);
        CHECK(caught->batches == batches - batches / 2);
        CHECK(resumed->commands() == whole->commands());
        CHECK(projections::state_checksum(*resumed) == projections::state_checksum(*whole));
    }
    for (std::uint64_t id = 1; id < 40; id++) {
        CHECK(h3.of_reservation(id).size() == h1.of_reservation(id).size());
        CHECK(h3.of_conference(id).size() == h1.of_conference(id).size());
        CHECK(s3.buckets(id, 1000).size() == s1.buckets(id, 1000).size());
        CHECK(c3.of_customer(id).size() == c1.of_customer(id).size());
    }
    CHECK(a3.conferences().size() == a1.conferences().size());
}

TEST_CASE("projection: views applied together end as each applied alone", "[projections]") {
    // apply_together walks a batch once for several views: each must end with the state it
    // has when applied alone, whether the views start at one place or one is ahead (it skips
    // the batches it holds), and a stop point cuts every view at the same command.
    const temp_dir dir("projection");
    const std::string d = (dir.path() / "sim").string();
    const run_result sim =
        run_ordo({"simulate", "--commands", "200000", "--data", d, "--seed", "5", "--batch-kib",
                  "128", "--hold-ttl-ms", "1000", "--sale-ms", "20000"});
    INFO(sim.err);
    REQUIRE(sim.exit_status == 0);
    std::vector<projections::durable_batch> batches;
    auto source = projections::journal_source::open(d, {});
    REQUIRE(source.has_value());
    for (auto batch = source->next(); batch.has_value() && batch->has_value();
         batch = source->next()) {
        batches.push_back(**batch);
    }
    REQUIRE(batches.size() >= 4);
    const auto alone = [&](projections::projection& view,
                           const projections::stop_point* stop = nullptr) {
        for (const auto& batch : batches) {
            if (view.apply(batch, stop).value() == projections::applied::cut) return;
        }
    };
    projections::availability a1, a2;
    projections::customers c1, c2;
    projections::history h1, h2;
    projections::sales s1, s2;
    const std::array<projections::projection*, 4> single = {&a1, &c1, &h1, &s1};
    for (projections::projection* view : single) alone(*view);
    // Availability ahead by half the batches: the walks of that half are the others' alone.
    for (std::size_t b = 0; b < batches.size() / 2; b++) {
        REQUIRE(a2.apply(batches[b]).value() == projections::applied::whole);
    }
    const std::array<projections::projection*, 4> group = {&a2, &c2, &h2, &s2};
    for (const auto& batch : batches) {
        REQUIRE(projections::projection::apply_together(group, batch).value() ==
                projections::applied::whole);
    }
    for (std::size_t i = 0; i < group.size(); i++) {
        INFO(group[i]->name());
        CHECK(group[i]->position() == single[i]->position());
        CHECK(group[i]->commands() == single[i]->commands());
        CHECK(projections::state_checksum(*group[i]) == projections::state_checksum(*single[i]));
    }
    // Applied again: every view skips.
    CHECK(projections::projection::apply_together(group, batches.back()).value() ==
          projections::applied::skipped);

    // A stop point inside a batch: the group and each view alone stop at one command.
    const projections::stop_point stop{.by = projections::stop_point::kind::commands,
                                       .value = a1.commands() / 2 + 7};
    projections::customers c3, c4;
    projections::history h3, h4;
    alone(c3, &stop);
    alone(h3, &stop);
    const std::array<projections::projection*, 2> cut = {&c4, &h4};
    bool was_cut = false;
    for (const auto& batch : batches) {
        if (projections::projection::apply_together(cut, batch, &stop).value() ==
            projections::applied::cut) {
            was_cut = true;
            break;
        }
    }
    CHECK(was_cut);
    CHECK(c4.commands() == stop.value);
    CHECK(h4.commands() == stop.value);
    CHECK(projections::state_checksum(c4) == projections::state_checksum(c3));
    CHECK(projections::state_checksum(h4) == projections::state_checksum(h3));
}

TEST_CASE("projection: a checkpoint of an older format is rebuilt with a note", "[projections]") {
    // Proves an upgrade never trusts (or crashes on) an old checkpoint: its version set
    // back to 1 with valid checksums, it is refused, and the view is rebuilt from the
    // journal with a note naming the old format.
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    projections::history built;
    REQUIRE(projections::catch_up(d, built, {.use_checkpoint = false}).has_value());
    REQUIRE(projections::save_checkpoint(d, built).has_value());
    const fs::path file = projections::checkpoint_path(d, built);
    std::string bytes = read_text(file);
    const std::uint32_t old_version = 1;
    std::memcpy(bytes.data() + 8, &old_version, sizeof(old_version));
    const journal::checksum128 header = journal::checksum(bytes.data(), 40);
    std::memcpy(bytes.data() + 40, &header, sizeof(header));
    write_text(file, bytes);
    projections::history again;
    auto rebuilt = projections::catch_up(d, again);
    REQUIRE(rebuilt.has_value());
    REQUIRE(rebuilt->notes.size() == 1);
    CHECK(rebuilt->notes[0].find("older ordo (format 1") != std::string::npos);
    CHECK(!rebuilt->from_checkpoint);
    CHECK(projections::state_checksum(again) == projections::state_checksum(built));
}

TEST_CASE("projection: history keeps exact times across steps too large for its compact entries",
          "[projections]") {
    // History stores each entry's time as a step from the entry before (28 bits of ms, about
    // three days); a larger step is stored through a rebase entry. Times days and years
    // apart must come back exact, from the view and through its checkpoint.
    const temp_dir dir("projection");
    const std::string d = (dir.path() / "d").string();
    const std::uint64_t day_ms = 86'400'000;
    const std::array<std::uint64_t, 5> times = {0, 5, 4 * day_ms, 4 * day_ms + 1, 4000 * day_ms};
    const fs::path workload = dir.path() / "gaps.jsonl";
    std::string lines =
        "{\"op\":\"create_conference\",\"t\":0,\"conference\":1,"
        "\"seats\":{\"1\":10},\"hold_ttl_ms\":1000}\n";
    for (std::size_t i = 1; i < times.size(); i++) {
        lines += "{\"op\":\"reserve\",\"t\":" + std::to_string(times[i]) +
                 ",\"conference\":1,\"reservation\":" + std::to_string(100 + i) +
                 ",\"customer\":7,\"seats\":{\"1\":1}}\n";
    }
    write_text(workload, lines);
    REQUIRE(run_ordo({"run", "--data", d, "--workload", workload.string()}).exit_status == 0);
    projections::history built;
    REQUIRE(projections::catch_up(d, built, {.use_checkpoint = false}).has_value());
    const auto check = [&](const projections::history& view) {
        // Each reserve after the first time step also expired the hold before it.
        std::vector<std::uint64_t> seen;
        std::uint64_t last_command = 0;
        for (const projections::history_entry& e : view.of_conference(1)) {
            CHECK(e.command >= last_command);
            last_command = e.command;
            if (e.op == static_cast<std::uint8_t>(engine::op::reserve)) seen.push_back(e.t_ms);
        }
        CHECK(seen == std::vector<std::uint64_t>(times.begin() + 1, times.end()));
        const auto of104 = view.of_reservation(104);
        REQUIRE(of104.size() >= 1);
        CHECK(of104[0].t_ms == 4000 * day_ms);
        CHECK(of104[0].command == 5);
    };
    check(built);
    REQUIRE(projections::save_checkpoint(d, built).has_value());
    projections::history restored;
    REQUIRE(projections::load_checkpoint(d, restored).value() ==
            projections::checkpoint_load::loaded);
    CHECK(projections::state_checksum(restored) == projections::state_checksum(built));
    check(restored);
}

TEST_CASE("projection: history state words the journal could not have produced are refused",
          "[projections]") {
    // Proves decode_view and stream_as_of check each stored entry's words (a checkpoint's
    // checksums only prove the bytes are the ones written): an unknown op or outcome, or a
    // rebase taking the command back, refuses the whole state; the words unchanged decode
    // to the same state.
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    projections::history built;
    REQUIRE(projections::catch_up(d, built, {.use_checkpoint = false}).has_value());
    projections::state_writer out;
    built.encode(out);
    const std::vector<std::byte> good(out.bytes().begin(), out.bytes().end());
    constexpr std::size_t first_entry_word = projections::projection::place_words + 1;
    REQUIRE(good.size() >= (first_entry_word + 9) * 8);
    const auto with_words = [&](std::size_t entry, std::uint64_t first, std::uint64_t second,
                                std::uint64_t packed) {
        std::vector<std::byte> bytes = good;
        const std::uint64_t words[3] = {first, second, packed};
        const auto at = static_cast<std::ptrdiff_t>((first_entry_word + entry * 3) * 8);
        REQUIRE(static_cast<std::size_t>(at) + sizeof(words) <= bytes.size());
        std::copy_n(reinterpret_cast<const std::byte*>(words), sizeof(words), bytes.begin() + at);
        return bytes;
    };
    const projections::history_stream conference1{
        .by = projections::history_stream::kind::conference, .id = 1};
    const projections::stop_point end{.by = projections::stop_point::kind::commands,
                                      .value = UINT64_MAX};
    projections::history again;
    REQUIRE(again.decode(good));
    CHECK(projections::state_checksum(again) == projections::state_checksum(built));
    REQUIRE(projections::history::stream_as_of(good, conference1, end).has_value());
    const std::uint64_t op_bit = 56;
    const std::uint64_t outcome_bit = 60;
    const std::vector<std::pair<const char*, std::vector<std::byte>>> bad = {
        {"op 9", with_words(0, 0, 1, std::uint64_t{1} | std::uint64_t{9} << op_bit)},
        {"outcome 13", with_words(0, 0, 1, std::uint64_t{1} | std::uint64_t{13} << outcome_bit)},
        {"a rebase to command 0", with_words(2, 0, 0, std::uint64_t{15} << op_bit)},
        {"a rebase with steps", with_words(0, 5, 0, std::uint64_t{15} << op_bit | 1)},
    };
    for (const auto& [what, bytes] : bad) {
        INFO(what);
        projections::history refused;
        CHECK_FALSE(refused.decode(bytes));
        CHECK(refused.commands() == 0);
        CHECK_FALSE(projections::history::stream_as_of(bytes, conference1, end).has_value());
    }
}

TEST_CASE("follower: a checkpoint's note is handed out once, not at every poll", "[projections]") {
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    follow_once(d);
    const fs::path damaged = fs::path(d) / "projections" / "customers.checkpoint";
    {
        std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(fs::file_size(damaged) - 1));
        file.put('\x5a');
    }
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    const std::vector<std::string> notes = f->take_notes();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].find("rebuilding customers") != std::string::npos);
    for (int poll = 0; poll < 3; poll++) {
        REQUIRE(f->poll().has_value());
        CHECK(f->take_notes().empty());
    }
    CHECK(f->commands() == 29);
}

TEST_CASE("follower: a manifest gone while following is refused, the views kept", "[projections]") {
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    // Without one from the start, a bare journal reads to its own end (journals older than
    // manifests); a reader that has seen one refuses to go on without it.
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    REQUIRE(f->poll().has_value());
    REQUIRE(f->commands() == 29);
    fs::remove(journal::data_dir_layout::manifest(d));
    auto polled = f->poll();
    REQUIRE(!polled.has_value());
    CHECK(polled.error().find("manifest: gone since it was last read") != std::string::npos);
    CHECK(f->commands() == 29);
    CHECK(f->take_notes().empty());  // no rebuild was started

    auto bare = projections::journal_source::open(d, {});
    REQUIRE(bare.has_value());
    CHECK(!bare->manifest_seen());
    CHECK(!projections::journal_source::open(d, {}, nullptr, /*manifest_seen=*/true));
}

TEST_CASE(
    "journal source: a position past the durable end, or at it with another last batch, "
    "is refused",
    "[projections]") {
    // Proves a checkpoint of another history is caught even when there is no next batch whose
    // chain check would fail: one at this journal's end but for its last batch, or past it.
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    auto source = projections::journal_source::open(d, {});
    REQUIRE(source.has_value());
    while ((*source->next()).has_value()) {
    }
    const journal::journal_position end = source->position();
    REQUIRE(end.next_batch_number > 0);
    CHECK(projections::journal_source::open(d, end).has_value());
    journal::journal_position other = end;
    other.previous_header_checksum.low ^= 1;
    auto refused = projections::journal_source::open(d, other);
    REQUIRE(!refused.has_value());
    CHECK(refused.error().find("is not this journal's: another history's") != std::string::npos);
    other = end;
    other.next_sequence++;
    CHECK(!projections::journal_source::open(d, other).has_value());
    other = end;
    other.next_batch_number++;
    refused = projections::journal_source::open(d, other);
    REQUIRE(!refused.has_value());
    CHECK(refused.error().find("past the journal's durable end") != std::string::npos);
}

TEST_CASE("follower and queries: checkpoints of a longer history are rebuilt, not believed",
          "[projections]") {
    // Proves the views end as this journal's when DIR holds another (longer) history's
    // checkpoints: before the check, a follower and every query answered the other history's
    // state, since no next batch was there to fail the chain check. The other history's
    // checkpoints stand past this journal's end, or at it when both wrote as many batches
    // (batching follows timing): either is refused as another history's.
    const temp_dir dir("projection");
    const std::string d = (dir.path() / "short").string();
    const std::string other = (dir.path() / "long").string();
    REQUIRE(run_ordo({"simulate", "--commands", "20000", "--data", d, "--seed", "1"}).exit_status ==
            0);
    REQUIRE(
        run_ordo({"simulate", "--commands", "60000", "--data", other, "--seed", "2"}).exit_status ==
        0);
    follow_once(other);
    fs::create_directories(fs::path(d) / "projections");
    for (const auto& file : fs::directory_iterator(fs::path(other) / "projections")) {
        fs::copy_file(file.path(), fs::path(d) / "projections" / file.path().filename());
    }
    for (const char* by : {"--conference", "--customer"}) {
        const std::vector<std::string> q = {
            "query", by == std::string("--conference") ? "sales" : "customer", "--data", d, by,
            "1"};
        const run_result from_checkpoint = run_ordo(q);
        INFO(from_checkpoint.err);
        CHECK(from_checkpoint.err.find("another history's") != std::string::npos);
        std::vector<std::string> fresh = q;
        fresh.push_back("--no-checkpoint");
        CHECK(from_checkpoint.out == run_ordo(fresh).out);
    }
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    REQUIRE(f->poll().has_value());
    const std::vector<std::string> notes = f->take_notes();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].find("rebuilding every view from the journal") != std::string::npos);
    projections::availability fresh;
    REQUIRE(projections::catch_up(d, fresh, {.use_checkpoint = false}).has_value());
    CHECK(f->commands() == fresh.commands());
    CHECK(projections::state_checksum(f->seats()) == projections::state_checksum(fresh));
}

TEST_CASE("follower: a long catch-up takes bounded polls and ends as one that never stopped",
          "[projections]") {
    const temp_dir dir("projection");
    const std::string d = (dir.path() / "d").string();
    // Over a million records in thousands of small batches (a writer at 1 M commands/s
    // commits every few hundred us): a catch-up on two threads, longer than one poll's bound.
    REQUIRE(run_ordo({"simulate", "--commands", "1200000", "--rate", "1000000", "--data", d})
                .exit_status == 0);
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    auto first = f->poll();
    REQUIRE(first.has_value());
    REQUIRE(first->durable_batches > projections::catch_up_poll_batches_max);
    CHECK(first->more);
    CHECK(f->next_batch_number() == projections::catch_up_poll_batches_max);
    std::uint64_t polls = 1;
    for (bool more = first->more; more; polls++) {
        auto polled = f->poll();
        REQUIRE(polled.has_value());
        more = polled->more;
    }
    CHECK(polls >= 2);
    CHECK(f->next_batch_number() == first->durable_batches);
    CHECK(f->commands() == 1200004);  // the market's setup commands too
    REQUIRE(f->checkpoint().has_value());
    // The same as one applied in a single walk per view.
    projections::availability seats;
    projections::sales sold;
    REQUIRE(projections::catch_up(d, seats, {.use_checkpoint = false}).has_value());
    REQUIRE(projections::catch_up(d, sold, {.use_checkpoint = false}).has_value());
    CHECK(projections::state_checksum(seats) == projections::state_checksum(f->seats()));
    CHECK(projections::state_checksum(sold) == projections::state_checksum(f->sales_view()));
}

TEST_CASE("follower: a checkpoint of the same place is not written again", "[projections]") {
    const temp_dir dir("projection");
    const std::string d = close_dir(dir);
    const fs::path file = fs::path(d) / "projections" / "history.checkpoint";
    const auto inode = [&] {  // a save writes a temp file and renames it over the old one
        struct stat st {};
        REQUIRE(::stat(file.c_str(), &st) == 0);
        return st.st_ino;
    };
    follow_once(d);
    const auto first = inode();
    follow_once(d);  // loads them: nothing new to apply
    CHECK(inode() == first);
    // More history (the same workload again: its conferences exist now, so other outcomes).
    REQUIRE(run_ordo({"run", "--data", d, "--workload", (data_dir / "close.jsonl").string()})
                .exit_status == 0);
    auto f = projections::follower::open(d);
    REQUIRE(f.has_value());
    REQUIRE(f->poll().has_value());
    REQUIRE(f->commands() == 58);
    REQUIRE(f->checkpoint().has_value());
    CHECK(inode() != first);
    projections::history reloaded;
    REQUIRE(projections::load_checkpoint(d, reloaded).value() ==
            projections::checkpoint_load::loaded);
    CHECK(reloaded.commands() == 58);
}
