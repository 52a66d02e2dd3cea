// The views a query builds of one key alone (history_stream.h: one stream of history;
// sales_conference.h: one conference's sales; customer_view.h: one customer's
// reservations), each reading the whole view's checkpoint in
// one pass and then the journal after it, hold exactly what the whole view holds for that
// key: for every conference, for reservations held, only rejected or never named, for
// customers with reservations and without, from a
// checkpoint mid-history, from no checkpoint, and up to a point past the checkpoint.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "projections/catch_up.h"
#include "projections/checkpoint.h"
#include "projections/customer_view.h"
#include "projections/customers.h"
#include "projections/history.h"
#include "projections/history_stream.h"
#include "projections/journal_source.h"
#include "projections/sales.h"
#include "projections/sales_conference.h"
#include "tests/tools/ordo_process.h"

namespace {

using namespace ordo;
using namespace ordo::test;
using projections::history_stream;

// A simulated journal (expiries included), the whole view built from it, a checkpoint of
// the view a third of the way through, and the whole view up to a point past that
// checkpoint.
template <class View>
struct journal_with_checkpoint {
    temp_dir dir{"part_views"};
    std::string d = (dir.path() / "sim").string();
    std::uint64_t batches = 0;
    std::uint64_t batches_after_checkpoint = 0;
    View whole;
    View until;
    projections::stop_point stop{};

    journal_with_checkpoint() {
        const run_result sim = run_ordo({"simulate", "--commands", "150000", "--data", d, "--seed",
                                         "9", "--batch-kib", "128", "--hold-ttl-ms", "1000"});
        INFO(sim.err);
        REQUIRE(sim.exit_status == 0);
        for (auto source = projections::journal_source::open(d, {});
             (*source->next()).has_value();) {
            batches++;
        }
        REQUIRE(batches >= 4);
        REQUIRE(projections::catch_up(d, whole, {.use_checkpoint = false}).has_value());
        View third;
        auto source = projections::journal_source::open(d, {});
        for (std::uint64_t b = 0; b < batches / 3; b++) {
            REQUIRE(third.apply(**source->next()).value() == projections::applied::whole);
        }
        REQUIRE(projections::save_checkpoint(d, third).has_value());
        batches_after_checkpoint = batches - batches / 3;
        stop = {.by = projections::stop_point::kind::commands, .value = third.commands() + 40'000};
        REQUIRE(projections::catch_up(d, until, {.use_checkpoint = false, .stop = &stop}));
    }

    // Brings `part` up from the checkpoint (to the end, or to the stop point), checking it
    // started from the checkpoint and ended where the whole view did.
    void from_checkpoint(projections::projection& part, bool to_stop) {
        CHECK(part.name() == whole.name());  // the whole view's checkpoint file
        CHECK_FALSE(part.whole());
        auto caught = projections::catch_up(d, part, {.stop = to_stop ? &stop : nullptr});
        REQUIRE(caught.has_value());
        CHECK(caught->from_checkpoint);
        CHECK(part.commands() == (to_stop ? until : whole).commands());
        if (!to_stop) CHECK(caught->batches == batches_after_checkpoint);
    }
    void from_start(projections::projection& part) {
        REQUIRE(projections::catch_up(d, part, {.use_checkpoint = false}).has_value());
        CHECK(part.commands() == whole.commands());
    }
};

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

bool same_reservations(const std::vector<projections::reservation_view>& a,
                       const std::vector<projections::reservation_view>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); i++) {
        if (a[i].id != b[i].id || a[i].conference != b[i].conference ||
            a[i].customer != b[i].customer || a[i].status != b[i].status ||
            a[i].held_at_ms != b[i].held_at_ms || a[i].expires_at_ms != b[i].expires_at_ms ||
            a[i].updated_at_ms != b[i].updated_at_ms || a[i].seats.size() != b[i].seats.size()) {
            return false;
        }
        for (std::size_t k = 0; k < a[i].seats.size(); k++) {
            if (a[i].seats[k].seat_type != b[i].seats[k].seat_type ||
                a[i].seats[k].quantity != b[i].seats[k].quantity) {
                return false;
            }
        }
    }
    return true;
}

bool same_buckets(const std::vector<projections::sales_bucket>& a,
                  const std::vector<projections::sales_bucket>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); i++) {
        const projections::sales_counts& x = a[i].counts;
        const projections::sales_counts& y = b[i].counts;
        if (a[i].from_ms != b[i].from_ms || a[i].to_ms != b[i].to_ms || x.reserved != y.reserved ||
            x.seats_reserved != y.seats_reserved || x.confirmed != y.confirmed ||
            x.cancelled != y.cancelled || x.expired != y.expired || x.rejected != y.rejected) {
            return false;
        }
    }
    return true;
}

// Conferences 1..40 (and one never named), 60 of the first 3000 reservation ids (held,
// expired, confirmed, or named only by rejected commands) and one never named.
constexpr std::uint64_t conferences_checked = 40;
constexpr std::uint64_t never_named = 999'999'999;

std::vector<history_stream> streams_to_check() {
    std::vector<history_stream> streams;
    for (std::uint64_t id = 1; id <= conferences_checked; id++) {
        streams.push_back({.by = history_stream::kind::conference, .id = id});
    }
    std::mt19937_64 random(3);
    for (int i = 0; i < 60; i++) {
        streams.push_back({.by = history_stream::kind::reservation, .id = 1 + random() % 3000});
    }
    streams.push_back({.by = history_stream::kind::reservation, .id = never_named});
    streams.push_back({.by = history_stream::kind::conference, .id = never_named});
    return streams;
}

}  // namespace

TEST_CASE("history stream: alone from a checkpoint and the journal after it, as the whole view",
          "[projections]") {
    journal_with_checkpoint<projections::history> j;
    std::size_t non_empty = 0;
    for (const history_stream& stream : streams_to_check()) {
        INFO((stream.by == history_stream::kind::conference ? "conference " : "reservation ")
             << stream.id);
        const std::vector<projections::history_entry> expected = j.whole.of_stream(stream);
        non_empty += expected.empty() ? 0 : 1;
        projections::history_stream_view from_checkpoint(stream);
        j.from_checkpoint(from_checkpoint, false);
        CHECK(same_entries(from_checkpoint.entries(), expected));
        projections::history_stream_view from_start(stream);
        j.from_start(from_start);
        CHECK(same_entries(from_start.entries(), expected));
        projections::history_stream_view to_point(stream);
        j.from_checkpoint(to_point, true);
        CHECK(same_entries(to_point.entries(), j.until.of_stream(stream)));
    }
    CHECK(non_empty >= conferences_checked);  // not only empty answers
}

TEST_CASE(
    "sales of a conference: alone from a checkpoint and the journal after it, as the whole "
    "view",
    "[projections]") {
    journal_with_checkpoint<projections::sales> j;
    std::size_t non_empty = 0;
    std::vector<std::uint64_t> conferences;
    for (std::uint64_t id = 1; id <= conferences_checked; id++) conferences.push_back(id);
    conferences.push_back(never_named);
    for (const std::uint64_t conference : conferences) {
        INFO("conference " << conference);
        for (const std::uint64_t width_ms : {1, 1000}) {
            non_empty += j.whole.buckets(conference, width_ms).empty() ? 0 : 1;
        }
        projections::sales_conference_view from_checkpoint(conference);
        j.from_checkpoint(from_checkpoint, false);
        projections::sales_conference_view from_start(conference);
        j.from_start(from_start);
        projections::sales_conference_view to_point(conference);
        j.from_checkpoint(to_point, true);
        for (const std::uint64_t width_ms : {1, 1000}) {
            const auto expected = j.whole.buckets(conference, width_ms);
            CHECK(same_buckets(from_checkpoint.buckets(width_ms), expected));
            CHECK(same_buckets(from_start.buckets(width_ms), expected));
            CHECK(same_buckets(to_point.buckets(width_ms), j.until.buckets(conference, width_ms)));
        }
    }
    CHECK(non_empty >= conferences_checked);
}

TEST_CASE(
    "a customer's reservations: alone from a checkpoint and the journal after it, as the "
    "whole view",
    "[projections]") {
    journal_with_checkpoint<projections::customers> j;
    std::size_t non_empty = 0;
    // The customers of the journal's first 80 holds (the simulator draws them from a
    // million), and one never named.
    std::vector<std::uint64_t> customers = {never_named};
    auto source = projections::journal_source::open(j.d, {});
    while (customers.size() <= 80) {
        auto batch = source->next();
        REQUIRE(batch.has_value());
        REQUIRE(batch->has_value());
        for (const journal::record_view r :
             journal::record_range((*batch)->body, (*batch)->record_count)) {
            if (r.type != static_cast<std::uint8_t>(engine::event_type::reservation_held)) continue;
            customers.push_back(
                engine::read_payload<engine::reservation_held_v1>(r.payload).customer);
        }
    }
    for (const std::uint64_t customer : customers) {
        INFO("customer " << customer);
        const auto expected = j.whole.of_customer(customer);
        non_empty += expected.empty() ? 0 : 1;
        projections::customer_view from_checkpoint(customer);
        j.from_checkpoint(from_checkpoint, false);
        CHECK(same_reservations(from_checkpoint.reservations(), expected));
        projections::customer_view from_start(customer);
        j.from_start(from_start);
        CHECK(same_reservations(from_start.reservations(), expected));
        projections::customer_view to_point(customer);
        j.from_checkpoint(to_point, true);
        CHECK(same_reservations(to_point.reservations(), j.until.of_customer(customer)));
    }
    CHECK(non_empty + 1 == customers.size());  // all but the one never named
}
