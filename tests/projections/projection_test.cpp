// The projections as a library: a batch applied twice changes nothing, a gap is refused,
// a checkpoint restores the exact state (same checksum) and a damaged one is rebuilt from
// the journal with a note; the four views of close.jsonl hold what the contract says.
#include <catch2/catch.hpp>
#include <fstream>

#include "projections/availability.h"
#include "projections/catch_up.h"
#include "projections/checkpoint.h"
#include "projections/customers.h"
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
    CHECK(seats.conferences().at(1).closed);
    CHECK(seats.conferences().at(1).seat_types[0].confirmed == 2);
    const auto of7 = people.of_customer(7);
    REQUIRE(of7.size() == 4);
    CHECK(of7[2].status == projections::reservation_status::expired);
    CHECK(of7[2].updated_at_ms == 2000);
    const auto buckets = sold.buckets(1, 10);
    REQUIRE(buckets.size() == 5);
    CHECK(buckets[0].counts.seats_reserved == 9);
    CHECK(buckets[2].counts.expired == 2);
}
