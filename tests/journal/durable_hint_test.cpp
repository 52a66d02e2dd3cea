// Tests for journal/durable_hint.h: what a writer publishes a reader reads back whole; a
// hint extends only the open manifest of the writer that made it (a foreign one, a closed
// manifest, a stale one behind the manifest change nothing); a garbage page or one whose
// lock never settles reads as no hint; a waiting reader is woken by a publish.

#include "journal/durable_hint.h"

#include <fstream>
#include <thread>

#include "journal/data_dir.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

journal_position at(std::uint64_t batches) {
    return journal_position{.next_batch_number = batches,
                            .next_sequence = batches * 10,
                            .segment_index = static_cast<std::uint32_t>(batches / 100),
                            .segment_offset = (batches % 100) * 4096,
                            .previous_header_checksum = {.low = batches + 1, .high = ~batches}};
}

manifest opened_manifest(std::uint64_t write_count, std::uint64_t batches) {
    return manifest{.write_count = write_count,
                    .segment_count = static_cast<std::uint32_t>(batches / 100 + 1),
                    .state = manifest_state::open,
                    .durable_end = at(batches)};
}

}  // namespace

TEST_CASE("durable hint: published ends read back whole, ahead of the writer's manifest",
          "[journal][hint]") {
    const temp_dir dir;
    auto file = durable_hint_file::create(dir.path(), 5, at(40), -1);
    REQUIRE(file.has_value());
    auto view = durable_hint_view::open(dir.path());
    REQUIRE(view.has_value());
    auto first = view->load();
    REQUIRE(first.has_value());
    CHECK(first->opened_write_count == 5);
    CHECK(first->opened == at(40));
    CHECK(first->durable == at(40));
    CHECK(first->busy_cpu == -1);
    file->publish(at(57), 1234);
    const auto value = view->load();
    REQUIRE(value.has_value());
    CHECK(value->durable == at(57));
    CHECK(value->durable_monotonic_ns == 1234);
    // The manifest the writer wrote at open, then its keeper's later ones.
    CHECK(view->end_for(opened_manifest(5, 40)).has_value());
    CHECK(view->end_for(opened_manifest(9, 50)).has_value());
    // Behind or equal to the manifest: nothing to add.
    CHECK_FALSE(view->end_for(opened_manifest(9, 57)).has_value());
    CHECK_FALSE(view->end_for(opened_manifest(9, 70)).has_value());
    // Closed: the manifest holds the exact end.
    manifest closed = opened_manifest(9, 50);
    closed.state = manifest_state::closed;
    CHECK_FALSE(view->end_for(closed).has_value());
}

TEST_CASE("durable hint: another writer's or another journal's hint is ignored",
          "[journal][hint]") {
    durable_hint_value hint{.opened_write_count = 5, .opened = at(40), .durable = at(57)};
    CHECK(hint_belongs_to(hint, opened_manifest(5, 40)));
    // Same write count, another durable end: another journal.
    CHECK_FALSE(hint_belongs_to(hint, opened_manifest(5, 41)));
    manifest other_chain = opened_manifest(5, 40);
    other_chain.durable_end.previous_header_checksum.low ^= 1;
    CHECK_FALSE(hint_belongs_to(hint, other_chain));
    // A manifest older than the writer's opening one: not this writer's.
    CHECK_FALSE(hint_belongs_to(hint, opened_manifest(4, 40)));
    // Opened past what the manifest records durable: not this journal.
    CHECK_FALSE(hint_belongs_to(hint, opened_manifest(9, 30)));
    // An end before where it opened: damaged.
    hint.durable = at(39);
    CHECK_FALSE(hint_belongs_to(hint, opened_manifest(9, 45)));
}

TEST_CASE("durable hint: garbage, a short file and a lock that never settles read as none",
          "[journal][hint]") {
    const temp_dir dir;
    const auto path = data_dir_layout::durable_hint(dir.path());
    CHECK_FALSE(durable_hint_view::open(dir.path()).has_value());  // none yet
    {
        std::ofstream out(path, std::ios::binary);
        out << "not a hint";
    }
    CHECK_FALSE(durable_hint_view::open(dir.path()).has_value());  // not one page
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        for (std::size_t i = 0; i < durable_hint_bytes; i++) out.put(static_cast<char>(i * 7));
    }
    auto view = durable_hint_view::open(dir.path());
    REQUIRE(view.has_value());
    CHECK_FALSE(view->load().has_value());
    CHECK_FALSE(view->end_for(opened_manifest(5, 40)).has_value());
    // A writer that died mid-update: its lock word (offset 24) stays odd.
    {
        auto file = durable_hint_file::create(dir.path(), 5, at(40), -1);
        REQUIRE(file.has_value());
        file->publish(at(57), 1);
    }
    REQUIRE(view->load().has_value());
    {
        std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(24);
        const char odd = 1;
        out.write(&odd, 1);
    }
    CHECK_FALSE(view->load().has_value());
    // A new writer takes the page over in place: the reader's mapping sees it.
    auto file = durable_hint_file::create(dir.path(), 6, at(57), 1);
    REQUIRE(file.has_value());
    const auto taken = view->load();
    REQUIRE(taken.has_value());
    CHECK(taken->opened_write_count == 6);
    CHECK(taken->busy_cpu == 1);  // where its sequencer spins: a follower keeps off it
    // A page of a writer before the field (zeros there) names no CPU.
    {
        std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(144);
        const char zeros[4] = {};
        out.write(zeros, 4);
    }
    CHECK(view->load()->busy_cpu == -1);
}

TEST_CASE("durable hint: a waiting reader wakes when a later end is published",
          "[journal][hint]") {
    const temp_dir dir;
    auto file = durable_hint_file::create(dir.path(), 1, at(0), -1);
    REQUIRE(file.has_value());
    auto view = durable_hint_view::open(dir.path());
    REQUIRE(view.has_value());
    std::thread writer([&] { file->publish(at(3), 7); });
    // Bounded: returns at the publish (or at the timeout, then the loop waits again).
    while (view->load()->durable.next_batch_number <= 0) view->wait_past(0, 1'000'000);
    writer.join();
    CHECK(view->load()->durable == at(3));
}
