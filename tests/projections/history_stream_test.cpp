// One stream of history built alone (history_stream.h: history's checkpoint read in one
// pass, then the journal after it) holds exactly what the whole history view holds for that
// stream, for every conference and for reservations held, only rejected, or never named,
// from a checkpoint mid-history, from no checkpoint, and up to a point past the checkpoint.
#include "projections/history_stream.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "projections/catch_up.h"
#include "projections/checkpoint.h"
#include "projections/history.h"
#include "projections/journal_source.h"
#include "tests/tools/ordo_process.h"

namespace {

using namespace ordo;
using namespace ordo::test;
using projections::history_stream;

bool same_entries(const std::vector<projections::history_entry>& a,
                  const std::vector<projections::history_entry>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); i++) {
        if (a[i].command != b[i].command || a[i].t_ms != b[i].t_ms ||
            a[i].reservation != b[i].reservation || a[i].op != b[i].op ||
            a[i].result != b[i].result) {
            return false;
        }
    }
    return true;
}

// Conferences 1..40 and reservations: the first 3000 ids (held, expired, confirmed, or
// named only by rejected commands) and a few far ones never named.
std::vector<history_stream> streams_to_check() {
    std::vector<history_stream> streams;
    for (std::uint64_t id = 1; id <= 40; id++) {
        streams.push_back({.by = history_stream::kind::conference, .id = id});
    }
    std::mt19937_64 random(3);
    for (int i = 0; i < 60; i++) {
        streams.push_back({.by = history_stream::kind::reservation, .id = 1 + random() % 3000});
    }
    streams.push_back({.by = history_stream::kind::reservation, .id = 999'999'999});
    streams.push_back({.by = history_stream::kind::conference, .id = 999'999'999});
    return streams;
}

}  // namespace

TEST_CASE("history stream: alone from a checkpoint and the journal after it, as the whole view",
          "[projections]") {
    const temp_dir dir("history_stream");
    const std::string d = (dir.path() / "sim").string();
    const run_result sim = run_ordo({"simulate", "--commands", "150000", "--data", d, "--seed", "9",
                                     "--batch-kib", "128", "--hold-ttl-ms", "1000"});
    INFO(sim.err);
    REQUIRE(sim.exit_status == 0);
    std::uint64_t batches = 0;
    for (auto source = projections::journal_source::open(d, {}); (*source->next()).has_value();) {
        batches++;
    }
    REQUIRE(batches >= 4);

    projections::history whole;
    REQUIRE(projections::catch_up(d, whole, {.use_checkpoint = false}).has_value());
    // A checkpoint a third of the way: the stream views read it, then the rest.
    projections::history third;
    auto source = projections::journal_source::open(d, {});
    for (std::uint64_t b = 0; b < batches / 3; b++) {
        REQUIRE(third.apply(**source->next()).value() == projections::applied::whole);
    }
    REQUIRE(projections::save_checkpoint(d, third).has_value());
    // Up to a point past the checkpoint, by command.
    const projections::stop_point stop{.by = projections::stop_point::kind::commands,
                                       .value = third.commands() + 40'000};
    projections::history until;
    REQUIRE(projections::catch_up(d, until, {.use_checkpoint = false, .stop = &stop}).has_value());

    std::size_t non_empty = 0;
    for (const history_stream& stream : streams_to_check()) {
        INFO((stream.by == history_stream::kind::conference ? "conference " : "reservation ")
             << stream.id);
        projections::history_stream_view from_checkpoint(stream);
        CHECK(from_checkpoint.name() == whole.name());  // history's checkpoint file
        auto caught = projections::catch_up(d, from_checkpoint);
        REQUIRE(caught.has_value());
        CHECK(caught->from_checkpoint);
        CHECK(caught->batches == batches - batches / 3);
        CHECK(from_checkpoint.commands() == whole.commands());
        const std::vector<projections::history_entry> expected = whole.of_stream(stream);
        CHECK(same_entries(from_checkpoint.entries(), expected));
        non_empty += expected.empty() ? 0 : 1;

        projections::history_stream_view from_start(stream);
        REQUIRE(projections::catch_up(d, from_start, {.use_checkpoint = false}).has_value());
        CHECK(same_entries(from_start.entries(), expected));

        projections::history_stream_view to_point(stream);
        auto stopped = projections::catch_up(d, to_point, {.stop = &stop});
        REQUIRE(stopped.has_value());
        CHECK(stopped->from_checkpoint);
        CHECK(to_point.commands() == until.commands());
        CHECK(same_entries(to_point.entries(), until.of_stream(stream)));
    }
    CHECK(non_empty >= 40);  // the streams checked hold entries, not only empty answers
}
