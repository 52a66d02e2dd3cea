// Memory for what is live only (engine/booking_state.h, engine/finished_ids.h): a table of 32
// records takes 60k+ reservations (cancelled, expired, confirmed then closed) without ever
// being table_full, and the state that comes out, replayed from zero and recovered from a
// snapshot taken midway plus the tail, is the same byte for byte; every answer about a
// finished reservation (duplicate, not_active, conference_closed, unknown) agrees with a
// plain model that remembers every reservation for ever, for ids in increasing runs and
// for random 64-bit ids.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "engine/process.h"
#include "engine/replay.h"
#include "engine/state_codec.h"

using namespace ordo::engine;

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Runs commands through process_command and keeps every batch body, as the sequencer would
// journal them.
struct journaled_domain {
    explicit journaled_domain(const state_options& options) : state(options), body(1 << 16) {
        buffer.reset(body);
    }
    outcome run(const command& c) {
        command_slot slots[command_slots_max];
        encode(c, slots);
        const outcome result =
            process_command(state, command_view(slots), buffer, [&](std::uint32_t bytes) {
                if (buffer.free_bytes() < bytes) seal();
            });
        seal();  // a batch per command: a snapshot may fall between any two
        return result;
    }
    void seal() {
        if (buffer.record_count() == 0) return;
        batches.push_back({std::vector<std::byte>(buffer.body().begin(), buffer.body().end()),
                           buffer.record_count()});
        buffer.reset(body);
    }
    struct batch {
        std::vector<std::byte> body;
        std::uint32_t records;
    };
    booking_state state;
    std::vector<std::byte> body;
    event_buffer buffer;
    std::vector<batch> batches;
};

// What a reservation became, as the model remembers it (for ever).
struct model_reservation {
    std::uint64_t conference;
    std::uint64_t expires_at_ms;
    reservation_status status;
};

// The contract's answers (CONTRACT.md section 1) from the model alone. It remembers every
// reservation for ever, and counts the live ones as it goes.
struct model {
    std::map<std::uint64_t, model_reservation> reservations;
    std::set<std::pair<std::uint64_t, std::uint64_t>> held;  // (expires_at, id)
    std::map<std::uint64_t, std::uint64_t> confirmed_live;   // by open conference
    std::set<std::uint64_t> open, closed;
    std::uint64_t now = 0;
    std::uint64_t live = 0;
    std::uint32_t reservations_max = 0;

    void finish_hold(std::uint64_t id, reservation_status to) {
        model_reservation& r = reservations.at(id);
        held.erase({r.expires_at_ms, id});
        r.status = to;
        if (to == reservation_status::confirmed) {
            confirmed_live[r.conference]++;
        } else {
            live--;
        }
    }
    void advance(std::uint64_t t) {
        now = std::max(now, t);
        while (!held.empty() && held.begin()->first <= now) {
            finish_hold(held.begin()->second, reservation_status::expired);
        }
    }
    outcome reserve(std::uint64_t conference, std::uint64_t id, std::uint64_t ttl) {
        if (reservations.contains(id)) return outcome::duplicate;
        if (closed.contains(conference)) return outcome::conference_closed;
        if (!open.contains(conference)) return outcome::unknown_conference;
        if (live >= reservations_max) return outcome::table_full;
        reservations[id] = {conference, now + ttl, reservation_status::held};
        held.insert({now + ttl, id});
        live++;
        return outcome::accepted;
    }
    outcome change(std::uint64_t id, bool confirm) {
        const auto it = reservations.find(id);
        if (it == reservations.end()) return outcome::unknown_reservation;
        model_reservation& r = it->second;
        const reservation_status done =
            confirm ? reservation_status::confirmed : reservation_status::cancelled;
        if (r.status == done) return outcome::duplicate;
        const bool active = r.status == reservation_status::held ||
                            (!confirm && r.status == reservation_status::confirmed);
        if (!active) return outcome::not_active;
        if (r.status == reservation_status::confirmed && closed.contains(r.conference)) {
            return outcome::conference_closed;
        }
        if (r.status == reservation_status::held) {
            finish_hold(id, done);
        } else {  // a confirmed one cancelled
            r.status = done;
            confirmed_live[r.conference]--;
            live--;
        }
        return outcome::accepted;
    }
    void close(std::uint64_t conference) {
        std::vector<std::uint64_t> holds;
        for (const auto& [at, id] : held) {
            if (reservations.at(id).conference == conference) holds.push_back(id);
        }
        for (const std::uint64_t id : holds) finish_hold(id, reservation_status::expired);
        live -= confirmed_live[conference];
        confirmed_live.erase(conference);
        open.erase(conference);
        closed.insert(conference);
    }
};

// A random run through a table of `reservations_max`: reserves of new ids (`id_of(n)`),
// retries of used ones, confirms and cancels of new, old and never-used ids, time moving so
// holds expire, and sales closing while new ones open. Every outcome is checked against the
// model; returns the domain (with its journal) for the replay checks.
template <class IdOf>
journaled_domain random_run(std::uint32_t reservations_max, std::uint64_t reserves_min,
                            std::uint64_t seed, const IdOf& id_of, std::uint64_t& table_fulls) {
    journaled_domain d(
        state_options{.conferences_max = 1u << 14, .reservations_max = reservations_max});
    model m{.reservations_max = reservations_max};
    constexpr std::uint32_t ttl_ms = 2000;
    const seat_item seats[] = {{.quantity = 1'000'000, .seat_type = 1, .reserved_zero = 0}};
    const seat_item one[] = {{.quantity = 1, .seat_type = 1, .reserved_zero = 0}};
    std::uint64_t next_conference = 1, next_id = 0, reserves = 0, t = 0, step = 0;
    std::vector<std::uint64_t> used;
    auto open_one = [&] {
        REQUIRE(d.run(make_create_conference(t, next_conference, seats, ttl_ms)) ==
                outcome::accepted);
        m.open.insert(next_conference++);
    };
    open_one();
    open_one();
    table_fulls = 0;
    while (reserves < reserves_min) {
        step++;
        const std::uint64_t roll = mix(seed ^ step);
        t += roll % 7 == 0 ? 200 : 0;
        m.advance(t);
        const std::uint64_t pick = (roll >> 8) % 100;
        const std::uint64_t conference = *std::next(m.open.begin(), (roll >> 16) % m.open.size());
        if (pick < 40) {
            const std::uint64_t id = id_of(next_id++);
            const outcome expected = m.reserve(conference, id, ttl_ms);
            REQUIRE(d.run(make_reserve(t, conference, id, 7, one)) == expected);
            if (expected == outcome::accepted) used.push_back(id);
            table_fulls += expected == outcome::table_full;
            reserves++;
        } else if (pick < 75 && !used.empty()) {
            // Mostly recent reservations, sometimes any from the whole history.
            const std::uint64_t back = (roll >> 24) % (pick < 70 ? 8 : used.size());
            const std::uint64_t id = used[used.size() - 1 - std::min(back, used.size() - 1)];
            const bool confirm = (roll >> 40) % 2 == 0;
            const outcome expected = m.change(id, confirm);
            REQUIRE(d.run(make_reservation_op(confirm ? op::confirm : op::cancel, t, id)) ==
                    expected);
        } else if (pick < 80 && !used.empty()) {
            const std::uint64_t id = used[(roll >> 24) % used.size()];
            REQUIRE(d.run(make_reserve(t, conference, id, 7, one)) ==
                    m.reserve(conference, id, ttl_ms));
        } else if (pick < 83) {
            const std::uint64_t never = id_of(next_id + 1'000'000 + (roll >> 24) % 1000);
            REQUIRE(d.run(make_reservation_op(op::confirm, t, never)) == m.change(never, true));
        } else if (pick < 84) {
            REQUIRE(d.run(make_close_conference(t, conference)) == outcome::accepted);
            m.close(conference);
            open_one();
        } else {
            REQUIRE(d.run(make_tick(t)) == outcome::accepted);
        }
        REQUIRE(d.state.live_reservations() == m.live);
    }
    const std::uint64_t counted = d.state.counts.held + d.state.counts.confirmed +
                                  d.state.counts.cancelled + d.state.counts.expired;
    REQUIRE(counted == m.reservations.size());
    return d;
}

// Replay from zero, and a snapshot at `snapshot_at` batches + the tail, both equal the live
// state byte for byte.
void require_replays_equal(const journaled_domain& d, std::size_t snapshot_at) {
    const std::vector<std::byte> live = encode_state(d.state);
    const state_options options = d.state.options();
    booking_state replayed(options);
    booking_state at_snapshot(options);
    for (std::size_t b = 0; b < d.batches.size(); b++) {
        const auto& batch = d.batches[b];
        REQUIRE(replay_records(replayed, batch.body, batch.records).applied == batch.records);
        if (b + 1 == snapshot_at) {
            REQUIRE(replay_records(at_snapshot, batch.body, batch.records).applied ==
                    batch.records);
        } else if (b < snapshot_at) {
            REQUIRE(replay_records(at_snapshot, batch.body, batch.records).applied ==
                    batch.records);
        }
    }
    REQUIRE(encode_state(replayed) == live);
    // The snapshot: at_snapshot was replayed up to snapshot_at; decode it into a fresh
    // state and replay the tail there.
    booking_state recovered(options);
    REQUIRE(decode_state(encode_state(at_snapshot), recovered).has_value());
    REQUIRE(encode_state(recovered) == encode_state(at_snapshot));
    for (std::size_t b = snapshot_at; b < d.batches.size(); b++) {
        const auto& batch = d.batches[b];
        REQUIRE(replay_records(recovered, batch.body, batch.records).applied == batch.records);
    }
    REQUIRE(encode_state(recovered) == live);
}

}  // namespace

TEST_CASE("60k reserves through a table of 32, ids in increasing runs", "[memory]") {
    std::uint64_t table_fulls = 0;
    const journaled_domain d = random_run(
        32, 60'000, 1, [](std::uint64_t n) { return n + 1; }, table_fulls);
    // Only a live set of 32 is ever table_full (the model says when), never history.
    INFO("table_full answers: " << table_fulls);
    CHECK(table_fulls < 60'000 / 2);
    // Ids in increasing runs finish into dense pages: at most 3 stay scattered per page.
    CHECK(d.state.finished().page_count() >= 2);
    CHECK(d.state.finished().scattered_live() <= 3 * (d.state.finished().page_count() + 1));
    CHECK(d.state.reservation_count() <= 32);
    require_replays_equal(d, d.batches.size() / 2);
    require_replays_equal(d, d.batches.size() / 3);
}

TEST_CASE("reserves through a table of 32, random 64-bit ids", "[memory]") {
    std::uint64_t table_fulls = 0;
    const journaled_domain d = random_run(
        32, 20'000, 2, [](std::uint64_t n) { return mix(n) | 1; }, table_fulls);
    CHECK(table_fulls < 20'000 / 2);
    // Random ids never share a page: every finished one is scattered.
    CHECK(d.state.finished().page_count() == 0);
    std::uint64_t live_confirmed = 0;
    for (std::uint32_t r = 0; r < d.state.reservation_count(); r++) {
        const reservation_state& s = d.state.reservation(r);
        live_confirmed += s.id != 0 && s.status == reservation_status::confirmed;
    }
    const std::uint64_t finished = d.state.counts.cancelled + d.state.counts.expired +
                                   d.state.counts.confirmed - live_confirmed;
    CHECK(d.state.finished().scattered_live() == finished);
    require_replays_equal(d, d.batches.size() / 2);
}

TEST_CASE("a table that never fills: no table_full over 60k reserves", "[memory]") {
    // With the live set kept small (every hold expires or is settled within its ttl of
    // 2 s, and time moves 200 ms every few commands), a table of 32 is enough whatever
    // the history; the old engine was table_full from the 33rd reservation on.
    journaled_domain d(state_options{.conferences_max = 16, .reservations_max = 32});
    const seat_item seats[] = {{.quantity = 1'000'000, .seat_type = 1, .reserved_zero = 0}};
    const seat_item one[] = {{.quantity = 1, .seat_type = 1, .reserved_zero = 0}};
    REQUIRE(d.run(make_create_conference(0, 1, seats, 1000)) == outcome::accepted);
    std::uint64_t t = 0;
    for (std::uint64_t id = 1; id <= 60'000; id++) {
        t += 100;
        REQUIRE(d.run(make_reserve(t, 1, id, 7, one)) == outcome::accepted);
        const op settle = id % 3 == 0 ? op::cancel : op::confirm;
        if (id % 3 != 2) REQUIRE(d.run(make_reservation_op(settle, t, id)) == outcome::accepted);
        if (id % 3 == 1 && id > 3) {
            REQUIRE(d.run(make_reservation_op(op::cancel, t, id - 3)) == outcome::accepted);
        }
    }
    CHECK(d.state.reservation_count() <= 32);
    CHECK(d.state.counts.cancelled == 40'000 - 1);
    CHECK(d.run(make_reserve(t, 1, 5, 7, one)) == outcome::duplicate);
    CHECK(d.run(make_reservation_op(op::confirm, t, 3)) == outcome::not_active);
    CHECK(d.run(make_reservation_op(op::cancel, t, 3)) == outcome::duplicate);
    CHECK(d.run(make_reservation_op(op::confirm, t, 2)) == outcome::not_active);  // expired
    require_replays_equal(d, d.batches.size() / 2);
}
