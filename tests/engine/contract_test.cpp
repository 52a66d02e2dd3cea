// CONTRACT.md section 1, row by row, on one thread with no rings: every accepted case,
// every rejection reason, the precedence between reasons, the boundaries of every range,
// time clamping and the order of expiries, and that a live run equals its replay.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/apply.h"
#include "engine/command.h"
#include "engine/schema/events.h"
#include "engine/process.h"
#include "journal/record.h"
#include "tools/state_json.h"

using namespace ordo::engine;

namespace {

constexpr state_options small_options{.conferences_max = 64, .reservations_max = 1 << 14};

seat_item item(std::uint16_t seat_type, std::uint32_t quantity) {
    return seat_item{.quantity = quantity, .seat_type = seat_type, .reserved_zero = 0};
}

// `count` seat types numbered from `first`, each with `quantity`.
std::vector<seat_item> items(std::uint32_t count, std::uint16_t first, std::uint32_t quantity) {
    std::vector<seat_item> out;
    for (std::uint32_t i = 0; i < count; i++) {
        out.push_back(item(static_cast<std::uint16_t>(first + i), quantity));
    }
    return out;
}

command create(std::uint64_t t, std::uint64_t conference, std::vector<seat_item> seats,
               std::uint32_t ttl = hold_ttl_ms_default) {
    return make_create_conference(t, conference, seats, ttl);
}
command add_seats(std::uint64_t t, std::uint64_t conference, std::uint16_t type, std::uint32_t q) {
    return make_seats_change(op::add_seats, t, conference, type, q);
}
command remove_seats(std::uint64_t t, std::uint64_t conference, std::uint16_t type,
                     std::uint32_t q) {
    return make_seats_change(op::remove_seats, t, conference, type, q);
}
command reserve(std::uint64_t t, std::uint64_t conference, std::uint64_t reservation,
                std::vector<seat_item> seats, std::uint64_t customer = 77) {
    return make_reserve(t, conference, reservation, customer, seats);
}
command confirm(std::uint64_t t, std::uint64_t reservation) {
    return make_reservation_op(op::confirm, t, reservation);
}
command cancel(std::uint64_t t, std::uint64_t reservation) {
    return make_reservation_op(op::cancel, t, reservation);
}
command close(std::uint64_t t, std::uint64_t conference) {
    return make_close_conference(t, conference);
}

struct seat_row {
    std::uint32_t capacity;
    std::uint32_t held;
    std::uint32_t confirmed;
    std::uint32_t available;
    bool operator==(const seat_row&) const = default;
};
std::ostream& operator<<(std::ostream& out, const seat_row& s) {
    return out << "{capacity " << s.capacity << ", held " << s.held << ", confirmed " << s.confirmed
               << ", available " << s.available << "}";
}

struct record {
    event_type type;
    std::vector<std::byte> payload;
};

// Splits a back-to-back record stream into records.
std::vector<record> split_records(std::span<const std::byte> body) {
    std::vector<record> out;
    std::size_t at = 0;
    while (at < body.size()) {
        ordo::journal::record_header header;
        REQUIRE(body.size() - at >= sizeof(header));
        std::memcpy(&header, body.data() + at, sizeof(header));
        REQUIRE(header.size_bytes >= sizeof(header));
        REQUIRE(header.size_bytes % 8 == 0);
        REQUIRE(at + header.size_bytes <= body.size());
        CHECK(header.schema_version == event_schema_version);
        const auto payload = body.subspan(at + sizeof(header), header.size_bytes - sizeof(header));
        out.push_back({static_cast<event_type>(header.type), {payload.begin(), payload.end()}});
        at += header.size_bytes;
    }
    return out;
}

// Applies a back-to-back record stream to `state`.
void replay(booking_state& state, std::span<const std::byte> body) {
    std::size_t at = 0;
    while (at < body.size()) {
        ordo::journal::record_header header;
        std::memcpy(&header, body.data() + at, sizeof(header));
        REQUIRE(apply(state, body.subspan(at, header.size_bytes)) == apply_result::applied);
        at += header.size_bytes;
    }
}

// The state JSON without the counters every command changes (commands, events, now):
// what "nothing changed" means for a rejection.
nlohmann::json business_state(const booking_state& state) {
    nlohmann::json document = nlohmann::json::parse(ordo::tools::state_json(state));
    document.erase("commands");
    document.erase("events");
    document.erase("now");
    return document;
}

// The domain driven the way the sequencer drives it: encode, process_command, keep the
// records. Each command's records are kept apart (last_records) and appended to all().
class domain {
  public:
    // `body_bytes`: the batch body each command's records go to; a command whose records
    // overflow it continues in a new one (as the sequencer seals a batch).
    explicit domain(const state_options& options = small_options,
                    std::size_t body_bytes = std::size_t{1} << 20)
        : state_(options), body_(body_bytes) {}

    outcome run(const command& c) {
        std::array<command_slot, command_slots_max> slots;
        encode(c, slots);
        last_.clear();
        last_bodies_ = 0;
        buffer_.reset(body_);
        auto room = [&](std::uint32_t bytes) {
            if (buffer_.free_bytes() >= bytes) return;
            keep();
            buffer_.reset(body_);
        };
        const outcome result = process_command(state_, command_view(slots.data()), buffer_, room);
        keep();
        return result;
    }

    // Runs `c`, which must be rejected (or a duplicate) and leave the state as it was,
    // apart from time and the counters; returns the outcome.
    outcome run_unchanged(const command& c) {
        const nlohmann::json before = business_state(state_);
        const std::uint64_t commands = state_.commands;
        const std::uint64_t events = state_.events;
        const outcome result = run(c);
        CHECK(result != outcome::accepted);
        CHECK(business_state(state_) == before);
        CHECK(state_.commands == commands + 1);
        CHECK(state_.events == events + 1);
        const std::vector<record> records = last_records();
        REQUIRE(records.size() == 1);  // expiries would have changed the state
        REQUIRE(records[0].type == event_type::command_rejected);
        const auto rejected = read_payload<command_rejected_v1>(records[0].payload);
        CHECK(rejected.result == result);
        CHECK(rejected.kind == c.kind);
        CHECK(rejected.now_ms == state_.now_ms);
        CHECK(rejected.conference == c.conference);
        CHECK(rejected.reservation == c.reservation);
        return result;
    }

    booking_state& state() { return state_; }
    std::vector<record> last_records() const { return split_records(last_); }
    const std::vector<std::byte>& all() const { return all_; }

    seat_row seat(std::uint64_t conference, std::uint16_t type) const {
        const std::uint32_t index = state_.find_conference(conference);
        REQUIRE(index != index_none);
        const conference_state& c = state_.conference(index);
        const std::uint32_t t = c.find_type(type);
        REQUIRE(t != seat_type_index_none);
        return {c.seats[t].capacity, c.seats[t].held, c.seats[t].confirmed, c.available(t)};
    }
    bool has_type(std::uint64_t conference, std::uint16_t type) const {
        const std::uint32_t index = state_.find_conference(conference);
        REQUIRE(index != index_none);
        return state_.conference(index).find_type(type) != seat_type_index_none;
    }
    const conference_state& conference(std::uint64_t id) const {
        const std::uint32_t index = state_.find_conference(id);
        REQUIRE(index != index_none);
        return state_.conference(index);
    }
    bool has_conference(std::uint64_t id) const { return state_.find_conference(id) != index_none; }
    std::optional<reservation_state> reservation(std::uint64_t id) const {
        const std::uint32_t record = state_.find_reservation(id).record;
        if (record == index_none) return std::nullopt;
        return state_.reservation(record);
    }
    // Its status, live or finished (a finished reservation's record is given back: what
    // is left of it is how it ended, finished_ids; confirmed in a closed conference is
    // still confirmed).
    reservation_status status(std::uint64_t id) const {
        if (const auto r = reservation(id)) return r->status;
        switch (state_.find_finished(id)) {
            case finished_status::cancelled: return reservation_status::cancelled;
            case finished_status::expired: return reservation_status::expired;
            case finished_status::closed: return reservation_status::confirmed;
            case finished_status::none: break;
        }
        FAIL("reservation " << id << " was never made");
        return reservation_status::held;
    }
    // The reservation_expired records the last command appended, in order.
    std::vector<reservation_expired_v1> last_expiries() const {
        std::vector<reservation_expired_v1> out;
        for (const record& r : last_records()) {
            if (r.type == event_type::reservation_expired) {
                out.push_back(read_payload<reservation_expired_v1>(r.payload));
            }
        }
        return out;
    }

    // The reservation_expired_at_close records the last command appended, in order.
    std::vector<reservation_expired_v1> last_close_expiries() const {
        std::vector<reservation_expired_v1> out;
        for (const record& r : last_records()) {
            if (r.type == event_type::reservation_expired_at_close) {
                out.push_back(read_payload<reservation_expired_v1>(r.payload));
            }
        }
        return out;
    }
    // How many batch bodies the last command's records took.
    std::size_t last_bodies() const { return last_bodies_; }

  private:
    void keep() {
        last_bodies_++;
        const std::span<const std::byte> body = buffer_.body();
        last_.insert(last_.end(), body.begin(), body.end());
        all_.insert(all_.end(), body.begin(), body.end());
    }

    booking_state state_;
    std::vector<std::byte> body_;
    event_buffer buffer_;
    std::vector<std::byte> last_;
    std::vector<std::byte> all_;
    std::size_t last_bodies_ = 0;
};

std::vector<std::uint64_t> expired_ids(const std::vector<reservation_expired_v1>& expiries) {
    std::vector<std::uint64_t> ids;
    for (const auto& e : expiries) ids.push_back(e.reservation);
    return ids;
}

}  // namespace

// ---------------------------------------------------------------- create_conference

TEST_CASE("create_conference: accepted with its seat types, capacities and ttl",
          "[contract][create_conference]") {
    // Proves an accepted create stores each type's capacity with nothing held, the given or
    // default ttl, and appends exactly one conference_created record carrying them.
    domain d;
    REQUIRE(d.run(create(5, 1, {item(1, 500), item(2, 40)}, 600'000)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{500, 0, 0, 500});
    CHECK(d.seat(1, 2) == seat_row{40, 0, 0, 40});
    CHECK(d.conference(1).type_count == 2);
    CHECK(d.conference(1).hold_ttl_ms == 600'000);
    CHECK(d.state().conference_count() == 1);
    CHECK(d.state().commands == 1);
    CHECK(d.state().events == 1);
    CHECK(d.state().now_ms == 5);
    const auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::conference_created);
    const auto e = read_payload<conference_created_v1>(records[0].payload);
    CHECK(e.now_ms == 5);
    CHECK(e.conference == 1);
    CHECK(e.hold_ttl_ms == 600'000);
    CHECK(e.seat_type_count == 2);
    CHECK(read_seat_item(records[0].payload, sizeof(e), 1).seat_type == 2);
    CHECK(read_seat_item(records[0].payload, sizeof(e), 1).quantity == 40);

    REQUIRE(d.run(make_create_conference(6, 2, std::vector{item(9, 1)})) == outcome::accepted);
    CHECK(d.conference(2).hold_ttl_ms == 900'000);
    CHECK(d.state().conference_count() == 2);
}

TEST_CASE("create_conference: boundaries of types, capacity and ttl",
          "[contract][create_conference]") {
    // Proves 1 and 64 types, capacity 0 and 1000000, ttl 1000 and 86400000 are accepted and
    // 0 types, 65 types, capacity 1000001, ttl 999 and 86400001 are invalid_argument.
    domain d;
    const auto accepted = GENERATE(range(0, 6));
    const std::vector<command> good = {
        create(0, 1, {item(1, 1)}),       create(0, 1, items(64, 1, 3)),
        create(0, 1, {item(1, 0)}),       create(0, 1, {item(1, 1'000'000), item(65535, 0)}),
        create(0, 1, {item(1, 1)}, 1000), create(0, 1, {item(1, 1)}, 86'400'000),
    };
    INFO("good case " << accepted);
    REQUIRE(d.run(good[static_cast<std::size_t>(accepted)]) == outcome::accepted);
    CHECK(d.has_conference(1));
    CHECK(d.conference(1).type_count == good[static_cast<std::size_t>(accepted)].item_count);

    const std::vector<command> bad = {
        create(0, 2, {}),
        create(0, 2, items(65, 1, 3)),
        create(0, 2, {item(1, 5), item(2, 1'000'001)}),
        create(0, 2, {item(1, 1)}, 999),
        create(0, 2, {item(1, 1)}, 86'400'001),
        create(0, 2, {item(1, 1)}, 0),
    };
    for (std::size_t i = 0; i < bad.size(); i++) {
        INFO("bad case " << i);
        CHECK(d.run_unchanged(bad[i]) == outcome::invalid_argument);
        CHECK_FALSE(d.has_conference(2));
    }
    CHECK(d.seat(1, 1).capacity <= 1'000'000);
}

TEST_CASE("create_conference: conference_exists wins, even over invalid fields",
          "[contract][create_conference]") {
    // Proves a used id is conference_exists whatever the other fields say, and the first
    // conference keeps its seats and ttl.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    CHECK(d.run_unchanged(create(1, 1, {item(1, 5)})) == outcome::conference_exists);
    CHECK(d.run_unchanged(create(2, 1, {})) == outcome::conference_exists);
    CHECK(d.run_unchanged(create(3, 1, items(65, 1, 1), 5)) == outcome::conference_exists);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
    CHECK(d.conference(1).hold_ttl_ms == 1000);
    CHECK(d.state().commands == 4);
    CHECK(d.state().now_ms == 3);
}

TEST_CASE("create_conference: a full conference table is table_full, after the rules",
          "[contract][create_conference][table_full]") {
    // Proves conferences_max bounds the table with table_full and nothing changed, while
    // conference_exists and invalid_argument keep their precedence.
    domain d(state_options{.conferences_max = 2, .reservations_max = 16});
    REQUIRE(d.run(create(0, 1, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(create(0, 2, {item(1, 1)})) == outcome::accepted);
    CHECK(d.run_unchanged(create(0, 3, {item(1, 1)})) == outcome::table_full);
    CHECK(d.run_unchanged(create(0, 1, {item(1, 1)})) == outcome::conference_exists);
    CHECK(d.run_unchanged(create(0, 4, {})) == outcome::invalid_argument);
    CHECK_FALSE(d.has_conference(3));
    CHECK(d.state().conference_count() == 2);
    // The table stays usable.
    CHECK(d.run(add_seats(0, 2, 1, 4)) == outcome::accepted);
    CHECK(d.seat(2, 1) == seat_row{5, 0, 0, 5});
}

// ---------------------------------------------------------------- add_seats

TEST_CASE("add_seats: grows a type, or creates it, up to the limits", "[contract][add_seats]") {
    // Proves capacity grows by the quantity (held seats untouched), a new type is created
    // with that capacity, 10000 and capacity 1000000 are accepted, and a seats_added
    // record carries the change.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 100, {item(1, 4)})) == outcome::accepted);
    REQUIRE(d.run(add_seats(2, 1, 1, 5)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{15, 4, 0, 11});
    const auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::seats_added);
    const auto e = read_payload<seats_changed_v1>(records[0].payload);
    CHECK(e.now_ms == 2);
    CHECK(e.conference == 1);
    CHECK(e.seat_type == 1);
    CHECK(e.quantity == 5);

    REQUIRE_FALSE(d.has_type(1, 7));
    REQUIRE(d.run(add_seats(3, 1, 7, 10'000)) == outcome::accepted);
    CHECK(d.seat(1, 7) == seat_row{10'000, 0, 0, 10'000});
    CHECK(d.conference(1).type_count == 2);

    REQUIRE(d.run(create(4, 2, {item(1, 999'999)})) == outcome::accepted);
    REQUIRE(d.run(add_seats(5, 2, 1, 1)) == outcome::accepted);
    CHECK(d.seat(2, 1) == seat_row{1'000'000, 0, 0, 1'000'000});
    // The new type can be reserved right away.
    CHECK(d.run(reserve(6, 1, 101, {item(7, 10'000)})) == outcome::accepted);
    CHECK(d.seat(1, 7) == seat_row{10'000, 10'000, 0, 0});
}

TEST_CASE("add_seats: rejections and their precedence", "[contract][add_seats]") {
    // Proves unknown_conference, invalid_quantity (0, 10001, capacity past 1000000) and
    // invalid_argument (a 65th type), checked in that order, each leaving the state as is.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 999'999)})) == outcome::accepted);
    REQUIRE(d.run(create(0, 2, items(64, 1, 1))) == outcome::accepted);

    CHECK(d.run_unchanged(add_seats(1, 9, 1, 5)) == outcome::unknown_conference);
    CHECK(d.run_unchanged(add_seats(1, 9, 1, 0)) == outcome::unknown_conference);
    CHECK(d.run_unchanged(add_seats(1, 1, 1, 0)) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(add_seats(1, 1, 1, 10'001)) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(add_seats(1, 1, 1, 2)) == outcome::invalid_quantity);  // 1000001
    CHECK(d.run_unchanged(add_seats(1, 2, 65, 1)) == outcome::invalid_argument);
    CHECK(d.run_unchanged(add_seats(1, 2, 65, 0)) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(add_seats(1, 2, 65, 10'001)) == outcome::invalid_quantity);
    CHECK_FALSE(d.has_type(2, 65));
    CHECK(d.seat(1, 1) == seat_row{999'999, 0, 0, 999'999});
    // A 64-type conference still grows its existing types.
    CHECK(d.run(add_seats(1, 2, 64, 3)) == outcome::accepted);
    CHECK(d.seat(2, 64) == seat_row{4, 0, 0, 4});
    CHECK(d.conference(2).type_count == 64);
}

TEST_CASE("add_seats: a new type at 63 types is the 64th and is accepted",
          "[contract][add_seats]") {
    // Proves the type limit counts exactly: the 64th type is created, the 65th is refused.
    domain d;
    REQUIRE(d.run(create(0, 1, items(63, 1, 1))) == outcome::accepted);
    REQUIRE(d.run(add_seats(1, 1, 1000, 2)) == outcome::accepted);
    CHECK(d.conference(1).type_count == 64);
    CHECK(d.seat(1, 1000) == seat_row{2, 0, 0, 2});
    CHECK(d.run_unchanged(add_seats(2, 1, 1001, 2)) == outcome::invalid_argument);
}

// ---------------------------------------------------------------- remove_seats

TEST_CASE("remove_seats: accepted down to what is available", "[contract][remove_seats]") {
    // Proves capacity shrinks by the quantity, held and confirmed seats cannot be removed,
    // exactly `available` can, a type may reach capacity 0, and 10000 is accepted.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10), item(2, 20'000)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 100, {item(1, 3)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 101, {item(1, 2)})) == outcome::accepted);
    REQUIRE(d.run(confirm(1, 101)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{10, 3, 2, 5});
    REQUIRE(d.run(remove_seats(2, 1, 1, 1)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{9, 3, 2, 4});
    const auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::seats_removed);
    const auto e = read_payload<seats_changed_v1>(records[0].payload);
    CHECK(e.conference == 1);
    CHECK(e.seat_type == 1);
    CHECK(e.quantity == 1);

    CHECK(d.run_unchanged(remove_seats(3, 1, 1, 5)) == outcome::insufficient_seats);
    REQUIRE(d.run(remove_seats(3, 1, 1, 4)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{5, 3, 2, 0});
    CHECK(d.run_unchanged(remove_seats(3, 1, 1, 1)) == outcome::insufficient_seats);
    // Cancelling gives the seats back; then they can be removed down to 0.
    REQUIRE(d.run(cancel(4, 100)) == outcome::accepted);
    REQUIRE(d.run(cancel(4, 101)) == outcome::accepted);
    REQUIRE(d.run(remove_seats(5, 1, 1, 5)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{0, 0, 0, 0});

    REQUIRE(d.run(remove_seats(6, 1, 2, 10'000)) == outcome::accepted);
    CHECK(d.seat(1, 2) == seat_row{10'000, 0, 0, 10'000});
}

TEST_CASE("remove_seats: rejections and their precedence", "[contract][remove_seats]") {
    // Proves unknown_conference, unknown_seat_type, invalid_quantity, insufficient_seats,
    // checked in that order, each leaving the state as is.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 20'000), item(2, 3)})) == outcome::accepted);
    CHECK(d.run_unchanged(remove_seats(1, 9, 1, 1)) == outcome::unknown_conference);
    CHECK(d.run_unchanged(remove_seats(1, 9, 99, 0)) == outcome::unknown_conference);
    CHECK(d.run_unchanged(remove_seats(1, 1, 99, 1)) == outcome::unknown_seat_type);
    CHECK(d.run_unchanged(remove_seats(1, 1, 99, 0)) == outcome::unknown_seat_type);
    CHECK(d.run_unchanged(remove_seats(1, 1, 99, 10'001)) == outcome::unknown_seat_type);
    CHECK(d.run_unchanged(remove_seats(1, 1, 1, 0)) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(remove_seats(1, 1, 1, 10'001)) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(remove_seats(1, 1, 2, 10'001)) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(remove_seats(1, 1, 2, 4)) == outcome::insufficient_seats);
    CHECK(d.seat(1, 1) == seat_row{20'000, 0, 0, 20'000});
    CHECK(d.seat(1, 2) == seat_row{3, 0, 0, 3});
    CHECK_FALSE(d.has_type(1, 99));
}

// ---------------------------------------------------------------- reserve

TEST_CASE("reserve: accepted holds every item, expiring at now + ttl", "[contract][reserve]") {
    // Proves an accepted reserve moves each item's quantity to held, counts one held
    // reservation, stores customer and expires_at = now + hold_ttl_ms, and appends a
    // reservation_held record with every field.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 500), item(2, 40)}, 600'000)) == outcome::accepted);
    REQUIRE(d.run(reserve(15, 1, 9001, {item(1, 2), item(2, 1)}, 77)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{500, 2, 0, 498});
    CHECK(d.seat(1, 2) == seat_row{40, 1, 0, 39});
    CHECK(d.state().counts.held == 1);
    CHECK(d.state().reservation_count() == 1);
    const auto r = d.reservation(9001);
    REQUIRE(r.has_value());
    CHECK(r->status == reservation_status::held);
    CHECK(r->customer == 77);
    CHECK(r->expires_at_ms == 600'015);
    CHECK(r->item_count == 2);

    const auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::reservation_held);
    const auto e = read_payload<reservation_held_v1>(records[0].payload);
    CHECK(e.now_ms == 15);
    CHECK(e.reservation == 9001);
    CHECK(e.conference == 1);
    CHECK(e.customer == 77);
    CHECK(e.expires_at_ms == 600'015);
    CHECK(e.item_count == 2);
    CHECK(read_seat_item(records[0].payload, sizeof(e), 0).seat_type == 1);
    CHECK(read_seat_item(records[0].payload, sizeof(e), 0).quantity == 2);
    CHECK(read_seat_item(records[0].payload, sizeof(e), 1).seat_type == 2);
    CHECK(read_seat_item(records[0].payload, sizeof(e), 1).quantity == 1);
}

TEST_CASE("reserve: boundaries of items, quantity and availability", "[contract][reserve]") {
    // Proves 8 items and quantity 10000 are accepted, 9 items / 0 items are
    // invalid_argument, quantity 0 and 10001 are invalid_quantity, exactly the available
    // seats can be held and one more cannot, and a capacity-0 type is insufficient.
    domain d;
    std::vector<seat_item> types = items(9, 1, 20'000);
    types.push_back(item(100, 0));
    REQUIRE(d.run(create(0, 1, types)) == outcome::accepted);

    CHECK(d.run(reserve(1, 1, 1, items(8, 1, 1))) == outcome::accepted);
    for (std::uint16_t t = 1; t <= 8; t++) CHECK(d.seat(1, t) == seat_row{20'000, 1, 0, 19'999});
    CHECK(d.run_unchanged(reserve(1, 1, 2, items(9, 1, 1))) == outcome::invalid_argument);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {})) == outcome::invalid_argument);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(9, 0)})) == outcome::invalid_quantity);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(9, 10'001)})) == outcome::invalid_quantity);
    CHECK(d.run(reserve(1, 1, 2, {item(9, 10'000)})) == outcome::accepted);
    CHECK(d.seat(1, 9) == seat_row{20'000, 10'000, 0, 10'000});
    CHECK(d.run_unchanged(reserve(1, 1, 3, {item(9, 10'000), item(1, 20'000)})) ==
          outcome::invalid_quantity);
    CHECK(d.run(reserve(1, 1, 3, {item(9, 9'999)})) == outcome::accepted);
    CHECK(d.seat(1, 9) == seat_row{20'000, 19'999, 0, 1});
    CHECK(d.run_unchanged(reserve(1, 1, 4, {item(9, 2)})) == outcome::insufficient_seats);
    CHECK(d.run(reserve(1, 1, 4, {item(9, 1)})) == outcome::accepted);
    CHECK(d.seat(1, 9) == seat_row{20'000, 20'000, 0, 0});
    CHECK(d.run_unchanged(reserve(1, 1, 5, {item(9, 1)})) == outcome::insufficient_seats);
    CHECK(d.run_unchanged(reserve(1, 1, 5, {item(100, 1)})) == outcome::insufficient_seats);
    CHECK(d.state().counts.held == 4);
    CHECK_FALSE(d.reservation(5).has_value());
}

TEST_CASE("reserve: all or nothing", "[contract][reserve]") {
    // Proves a reserve whose last item does not fit holds none of its items.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10), item(2, 10), item(3, 1)})) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(1, 1, 1, {item(1, 5), item(2, 5), item(3, 2)})) ==
          outcome::insufficient_seats);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
    CHECK(d.seat(1, 2) == seat_row{10, 0, 0, 10});
    CHECK(d.seat(1, 3) == seat_row{1, 0, 0, 1});
    CHECK_FALSE(d.reservation(1).has_value());
    CHECK(d.state().reservation_count() == 0);
    // The id is still free after a rejection.
    CHECK(d.run(reserve(2, 1, 1, {item(1, 5), item(2, 5), item(3, 1)})) == outcome::accepted);
    CHECK(d.seat(1, 3) == seat_row{1, 1, 0, 0});
}

TEST_CASE("reserve: an existing id is a duplicate, whatever else it says", "[contract][reserve]") {
    // Proves a reserve whose id exists is duplicate with no change, even with different
    // fields, an unknown conference, 9 items or bad quantities, and whatever the first
    // reservation's status is now (ids are unique for all time).
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 7, {item(1, 2)})) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(1, 1, 7, {item(1, 2)})) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(1, 1, 7, {item(1, 5)}, 99)) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(1, 42, 7, {item(1, 1)})) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(1, 42, 7, items(9, 1, 0))) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(1, 1, 7, {item(1, 11)})) == outcome::duplicate);
    CHECK(d.seat(1, 1) == seat_row{10, 2, 0, 8});
    CHECK(d.reservation(7)->customer == 77);

    REQUIRE(d.run(confirm(2, 7)) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(3, 1, 7, {item(1, 1)})) == outcome::duplicate);
    REQUIRE(d.run(cancel(4, 7)) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(5, 1, 7, {item(1, 1)})) == outcome::duplicate);
    REQUIRE(d.run(reserve(6, 1, 8, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(make_tick(10'000)) == outcome::accepted);
    REQUIRE(d.status(8) == reservation_status::expired);
    CHECK(d.run_unchanged(reserve(10'001, 1, 8, {item(1, 1)})) == outcome::duplicate);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
}

TEST_CASE("reserve: rejection precedence, left to right", "[contract][reserve]") {
    // Proves each pair of reasons resolves to the earlier one in the contract's order:
    // duplicate, conference, item count, quantities, types, availability.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 5), item(2, 5)})) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 1, {item(1, 1)})) == outcome::accepted);
    // duplicate > unknown_conference
    CHECK(d.run_unchanged(reserve(1, 9, 1, {item(1, 1)})) == outcome::duplicate);
    // unknown_conference > invalid_argument (9 items, 0 items)
    CHECK(d.run_unchanged(reserve(1, 9, 2, items(9, 1, 1))) == outcome::unknown_conference);
    CHECK(d.run_unchanged(reserve(1, 9, 2, {})) == outcome::unknown_conference);
    // invalid_argument > invalid_quantity
    CHECK(d.run_unchanged(reserve(1, 1, 2, items(9, 1, 0))) == outcome::invalid_argument);
    // invalid_quantity > unknown_seat_type, whatever the item order
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(1, 0), item(99, 1)})) ==
          outcome::invalid_quantity);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(99, 1), item(1, 0)})) ==
          outcome::invalid_quantity);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(99, 10'001)})) == outcome::invalid_quantity);
    // unknown_seat_type > insufficient_seats, whatever the item order
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(1, 6), item(99, 1)})) ==
          outcome::unknown_seat_type);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(99, 1), item(1, 6)})) ==
          outcome::unknown_seat_type);
    CHECK(d.run_unchanged(reserve(1, 1, 2, {item(2, 1), item(1, 5)})) ==
          outcome::insufficient_seats);
    CHECK_FALSE(d.reservation(2).has_value());
    CHECK(d.seat(1, 1) == seat_row{5, 1, 0, 4});
    CHECK(d.seat(1, 2) == seat_row{5, 0, 0, 5});
}

TEST_CASE("reserve: a full reservation table is table_full, after the rules",
          "[contract][reserve][table_full]") {
    // Proves reservations_max bounds the table: the third reserve is table_full and
    // changes nothing, while duplicate and the business reasons keep their precedence and
    // confirm/cancel of existing holds still work.
    domain d(state_options{.conferences_max = 4, .reservations_max = 2});
    REQUIRE(d.run(create(0, 1, {item(1, 10)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 1, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(reserve(2, 1, 2, {item(1, 1)})) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(3, 1, 3, {item(1, 1)})) == outcome::table_full);
    CHECK_FALSE(d.reservation(3).has_value());
    CHECK(d.run_unchanged(reserve(3, 1, 2, {item(1, 1)})) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(3, 9, 3, {item(1, 1)})) == outcome::unknown_conference);
    CHECK(d.run_unchanged(reserve(3, 1, 3, {item(1, 11)})) == outcome::insufficient_seats);
    CHECK(d.seat(1, 1) == seat_row{10, 2, 0, 8});
    CHECK(d.state().reservation_count() == 2);
    CHECK(d.run(confirm(4, 1)) == outcome::accepted);
    CHECK(d.run(cancel(4, 2)) == outcome::accepted);
    // The table bounds what is live: the cancelled one's record is taken by the next hold,
    // its id stays used, and the table is full again.
    CHECK(d.run(reserve(5, 1, 3, {item(1, 1)})) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(5, 1, 2, {item(1, 1)})) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(5, 1, 4, {item(1, 1)})) == outcome::table_full);
    CHECK(d.state().reservation_count() == 2);
    CHECK(d.seat(1, 1) == seat_row{10, 1, 1, 8});
}

// ---------------------------------------------------------------- confirm

TEST_CASE("confirm: a held reservation becomes confirmed", "[contract][confirm]") {
    // Proves confirm moves the seats from held to confirmed (available unchanged), updates
    // the counts, appends a reservation_confirmed record, and a confirmed reservation never
    // expires; a second confirm is a duplicate with no change.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10), item(2, 10)}, 1000)) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 5, {item(1, 3), item(2, 1)})) == outcome::accepted);
    REQUIRE(d.run(confirm(999, 5)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 3, 7});
    CHECK(d.seat(1, 2) == seat_row{10, 0, 1, 9});
    CHECK(d.state().counts.held == 0);
    CHECK(d.state().counts.confirmed == 1);
    CHECK(d.status(5) == reservation_status::confirmed);
    const auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::reservation_confirmed);
    const auto e = read_payload<reservation_changed_v1>(records[0].payload);
    CHECK(e.now_ms == 999);
    CHECK(e.reservation == 5);

    CHECK(d.run_unchanged(confirm(1000, 5)) == outcome::duplicate);
    REQUIRE(d.run(make_tick(100'000'000)) == outcome::accepted);
    CHECK(d.last_expiries().empty());
    CHECK(d.status(5) == reservation_status::confirmed);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 3, 7});
    CHECK(d.state().counts.expired == 0);
}

TEST_CASE("confirm: unknown_reservation and not_active", "[contract][confirm]") {
    // Proves confirm of an unknown id is unknown_reservation, of a cancelled or expired
    // reservation not_active, and none of them changes anything.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    CHECK(d.run_unchanged(confirm(0, 1)) == outcome::unknown_reservation);
    REQUIRE(d.run(reserve(0, 1, 1, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 2, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(cancel(1, 1)) == outcome::accepted);
    CHECK(d.run_unchanged(confirm(2, 1)) == outcome::not_active);
    CHECK(d.status(1) == reservation_status::cancelled);
    REQUIRE(d.run(make_tick(1000)) == outcome::accepted);
    REQUIRE(d.status(2) == reservation_status::expired);
    CHECK(d.run_unchanged(confirm(1001, 2)) == outcome::not_active);
    CHECK(d.status(2) == reservation_status::expired);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
    CHECK(d.run_unchanged(confirm(1001, 3)) == outcome::unknown_reservation);
}

TEST_CASE("confirm: at exactly expires_at the hold has expired first",
          "[contract][confirm][time]") {
    // Proves a confirm stamped at expires_at expires the hold (an expiry record first)
    // and is then not_active, while one stamped at expires_at - 1 is accepted.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    REQUIRE(d.run(reserve(100, 1, 1, {item(1, 2)})) == outcome::accepted);
    REQUIRE(d.run(reserve(100, 1, 2, {item(1, 3)})) == outcome::accepted);
    CHECK(d.run(confirm(1099, 1)) == outcome::accepted);
    CHECK(d.last_expiries().empty());
    CHECK(d.run(confirm(1100, 2)) == outcome::not_active);
    const auto records = d.last_records();
    REQUIRE(records.size() == 2);
    REQUIRE(records[0].type == event_type::reservation_expired);
    const auto expired = read_payload<reservation_expired_v1>(records[0].payload);
    CHECK(expired.reservation == 2);
    CHECK(expired.expires_at_ms == 1100);
    CHECK(expired.now_ms == 1100);
    REQUIRE(records[1].type == event_type::command_rejected);
    CHECK(read_payload<command_rejected_v1>(records[1].payload).result == outcome::not_active);
    CHECK(d.status(2) == reservation_status::expired);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 2, 8});
    CHECK(d.state().counts.expired == 1);
    CHECK(d.state().counts.confirmed == 1);
    CHECK(d.state().commands == 5);
    CHECK(d.state().events == 6);
}

// ---------------------------------------------------------------- cancel

TEST_CASE("cancel: held and confirmed reservations give their seats back", "[contract][cancel]") {
    // Proves cancel of a held reservation returns held seats, cancel of a confirmed one
    // returns confirmed seats, counts follow, a reservation_cancelled record is appended,
    // and a second cancel is a duplicate with no change.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10), item(2, 4)})) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 1, {item(1, 3)})) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 2, {item(1, 2), item(2, 4)})) == outcome::accepted);
    REQUIRE(d.run(confirm(1, 2)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{10, 3, 2, 5});
    CHECK(d.seat(1, 2) == seat_row{4, 0, 4, 0});

    REQUIRE(d.run(cancel(2, 1)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 2, 8});
    const auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::reservation_cancelled);
    CHECK(read_payload<reservation_changed_v1>(records[0].payload).reservation == 1);
    CHECK(read_payload<reservation_changed_v1>(records[0].payload).now_ms == 2);

    REQUIRE(d.run(cancel(3, 2)) == outcome::accepted);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
    CHECK(d.seat(1, 2) == seat_row{4, 0, 0, 4});
    CHECK(d.state().counts.held == 0);
    CHECK(d.state().counts.confirmed == 0);
    CHECK(d.state().counts.cancelled == 2);
    CHECK(d.status(2) == reservation_status::cancelled);

    CHECK(d.run_unchanged(cancel(4, 1)) == outcome::duplicate);
    CHECK(d.run_unchanged(cancel(4, 2)) == outcome::duplicate);
    CHECK(d.run_unchanged(confirm(4, 2)) == outcome::not_active);
    // The seats returned can be held again.
    CHECK(d.run(reserve(5, 1, 3, {item(2, 4)})) == outcome::accepted);
}

TEST_CASE("cancel: unknown_reservation and not_active", "[contract][cancel]") {
    // Proves cancel of an unknown id is unknown_reservation and of an expired reservation
    // not_active (also at exactly its expiry time), with no change.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    CHECK(d.run_unchanged(cancel(0, 1)) == outcome::unknown_reservation);
    REQUIRE(d.run(reserve(0, 1, 1, {item(1, 4)})) == outcome::accepted);
    CHECK(d.run(cancel(1000, 1)) == outcome::not_active);
    CHECK(expired_ids(d.last_expiries()) == std::vector<std::uint64_t>{1});
    CHECK(d.status(1) == reservation_status::expired);
    CHECK(d.run_unchanged(cancel(1001, 1)) == outcome::not_active);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
    CHECK(d.state().counts.expired == 1);
    CHECK(d.state().counts.cancelled == 0);
}

// ---------------------------------------------------------------- close_conference

TEST_CASE("close_conference: its holds expire at now in ascending id, then it is closed",
          "[contract][close_conference]") {
    // Proves an accepted close: holds due by now expire first as ordinary expiries (of any
    // conference), then every hold of the closed conference still held expires at now in
    // ascending reservation id (their original expires_at kept in the record), then one
    // conference_closed record; confirmed seats stay, held seats return, and holds of
    // other conferences are untouched.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 100), item(2, 10)}, 5000)) == outcome::accepted);
    REQUIRE(d.run(create(0, 2, {item(1, 100)}, 1000)) == outcome::accepted);
    REQUIRE(d.run(reserve(0, 1, 7, {item(1, 1)})) == outcome::accepted);    // due at 5000
    REQUIRE(d.run(reserve(10, 1, 30, {item(1, 2)})) == outcome::accepted);  // ids not in
    REQUIRE(d.run(reserve(11, 1, 10, {item(2, 3)})) == outcome::accepted);  // creation order
    REQUIRE(d.run(reserve(12, 1, 20, {item(1, 1), item(2, 1)})) == outcome::accepted);
    REQUIRE(d.run(reserve(13, 1, 25, {item(1, 4)})) == outcome::accepted);
    REQUIRE(d.run(reserve(14, 1, 5, {item(1, 5)})) == outcome::accepted);
    REQUIRE(d.run(confirm(20, 25)) == outcome::accepted);
    REQUIRE(d.run(cancel(21, 5)) == outcome::accepted);
    REQUIRE(d.run(reserve(4500, 2, 40, {item(1, 1)})) == outcome::accepted);  // due at 5500
    REQUIRE(d.run(reserve(4000, 2, 41, {item(1, 1)})) == outcome::accepted);  // due at 5500

    REQUIRE(d.run(close(5000, 1)) == outcome::accepted);
    const auto records = d.last_records();
    REQUIRE(records.size() == 5);
    REQUIRE(records[0].type == event_type::reservation_expired);
    const auto due = read_payload<reservation_expired_v1>(records[0].payload);
    CHECK(due.reservation == 7);
    CHECK(due.expires_at_ms == 5000);
    const auto at_close = d.last_close_expiries();
    CHECK(expired_ids(at_close) == std::vector<std::uint64_t>{10, 20, 30});
    for (std::size_t i = 0; i < at_close.size(); i++) {
        CHECK(records[1 + i].type == event_type::reservation_expired_at_close);
        CHECK(at_close[i].now_ms == 5000);
        // Their original expires_at: made at 10..12 with the ttl of 5000 (their records are
        // given back now, so the event is what is left to say it).
        CHECK(at_close[i].expires_at_ms >= 5010);
        CHECK(at_close[i].expires_at_ms <= 5012);
        CHECK(at_close[i].expires_at_ms > 5000);
    }
    REQUIRE(records[4].type == event_type::conference_closed);
    const auto closed = read_payload<conference_closed_v1>(records[4].payload);
    CHECK(closed.now_ms == 5000);
    CHECK(closed.conference == 1);
    CHECK(d.conference(1).closed == 1);
    CHECK(d.conference(2).closed == 0);
    CHECK(d.seat(1, 1) == seat_row{100, 0, 4, 96});
    CHECK(d.seat(1, 2) == seat_row{10, 0, 0, 10});
    CHECK(d.seat(2, 1) == seat_row{100, 2, 0, 98});
    for (const std::uint64_t id : {7, 10, 20, 30}) {
        CHECK(d.status(id) == reservation_status::expired);
    }
    CHECK(d.status(25) == reservation_status::confirmed);
    CHECK(d.status(40) == reservation_status::held);
    CHECK(d.state().counts.held == 2);
    CHECK(d.state().counts.expired == 4);
    CHECK(d.state().commands == 13);
    // The stale queue entries of the holds expired at close expire nothing later; the
    // other conference's holds expire when due.
    REQUIRE(d.run(make_tick(1'000'000)) == outcome::accepted);
    CHECK(expired_ids(d.last_expiries()) == std::vector<std::uint64_t>{40, 41});
    CHECK(d.state().counts.expired == 6);
    CHECK(nlohmann::json::parse(ordo::tools::state_json(d.state()))["conferences"][0]["closed"] ==
          true);
}

TEST_CASE("close_conference: unknown_conference, then duplicate once closed",
          "[contract][close_conference]") {
    // Proves the close's own rejections, in order, change nothing: an unknown id is
    // unknown_conference, and a second close of a closed conference is a duplicate.
    domain d;
    CHECK(d.run_unchanged(close(0, 1)) == outcome::unknown_conference);
    REQUIRE(d.run(create(0, 1, {item(1, 10)})) == outcome::accepted);
    CHECK(d.conference(1).closed == 0);
    REQUIRE(d.run(close(1, 1)) == outcome::accepted);
    const auto records = d.last_records();
    REQUIRE(records.size() == 1);  // nothing held: the close is its one record
    CHECK(records[0].type == event_type::conference_closed);
    CHECK(d.run_unchanged(close(2, 1)) == outcome::duplicate);
    CHECK(d.run_unchanged(close(3, 2)) == outcome::unknown_conference);
    CHECK(d.conference(1).closed == 1);
}

TEST_CASE("a closed conference: no reserve, no capacity change, after the earlier reasons",
          "[contract][close_conference]") {
    // Proves reserve, add_seats and remove_seats naming a closed conference are
    // conference_closed right after unknown_conference (for reserve: after duplicate),
    // so before every reason that follows; and that its ids stay used (duplicate).
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 100, {item(1, 2)})) == outcome::accepted);
    REQUIRE(d.run(close(2, 1)) == outcome::accepted);
    CHECK(d.run_unchanged(reserve(3, 1, 100, {item(1, 1)})) == outcome::duplicate);
    CHECK(d.run_unchanged(reserve(3, 9, 101, {item(1, 1)})) == outcome::unknown_conference);
    CHECK(d.run_unchanged(reserve(3, 1, 101, {item(1, 1)})) == outcome::conference_closed);
    CHECK(d.run_unchanged(reserve(3, 1, 101, {})) == outcome::conference_closed);
    CHECK(d.run_unchanged(reserve(3, 1, 101, {item(1, 0)})) == outcome::conference_closed);
    CHECK(d.run_unchanged(reserve(3, 1, 101, {item(9, 1)})) == outcome::conference_closed);
    CHECK(d.run_unchanged(reserve(3, 1, 101, {item(1, 11)})) == outcome::conference_closed);
    CHECK(d.run_unchanged(add_seats(4, 1, 1, 5)) == outcome::conference_closed);
    CHECK(d.run_unchanged(add_seats(4, 1, 1, 0)) == outcome::conference_closed);
    CHECK(d.run_unchanged(add_seats(4, 1, 2, 5)) == outcome::conference_closed);
    CHECK(d.run_unchanged(add_seats(4, 9, 1, 5)) == outcome::unknown_conference);
    CHECK(d.run_unchanged(remove_seats(5, 1, 1, 1)) == outcome::conference_closed);
    CHECK(d.run_unchanged(remove_seats(5, 1, 9, 1)) == outcome::conference_closed);
    CHECK(d.run_unchanged(remove_seats(5, 1, 1, 0)) == outcome::conference_closed);
    CHECK(d.run_unchanged(remove_seats(5, 9, 1, 1)) == outcome::unknown_conference);
    CHECK(d.run_unchanged(create(6, 1, {item(1, 5)})) == outcome::conference_exists);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
}

TEST_CASE("a closed conference: confirmed seats cannot be given back",
          "[contract][close_conference]") {
    // Proves cancel of a confirmed reservation of a closed conference is conference_closed,
    // while a cancelled one stays duplicate and an expired one not_active (for cancel and
    // confirm: the close expired it), a confirmed one's confirm stays duplicate, and a
    // reservation of another, open conference can still be cancelled.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)})) == outcome::accepted);
    REQUIRE(d.run(create(0, 2, {item(1, 10)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 1, {item(1, 2)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 2, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 1, 3, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(reserve(1, 2, 4, {item(1, 1)})) == outcome::accepted);
    REQUIRE(d.run(confirm(2, 1)) == outcome::accepted);
    REQUIRE(d.run(confirm(2, 4)) == outcome::accepted);
    REQUIRE(d.run(cancel(2, 2)) == outcome::accepted);
    REQUIRE(d.run(close(3, 1)) == outcome::accepted);
    CHECK(expired_ids(d.last_close_expiries()) == std::vector<std::uint64_t>{3});
    CHECK(d.run_unchanged(cancel(4, 1)) == outcome::conference_closed);
    CHECK(d.run_unchanged(confirm(4, 1)) == outcome::duplicate);
    CHECK(d.run_unchanged(cancel(4, 2)) == outcome::duplicate);
    CHECK(d.run_unchanged(confirm(4, 2)) == outcome::not_active);
    CHECK(d.run_unchanged(cancel(4, 3)) == outcome::not_active);
    CHECK(d.run_unchanged(confirm(4, 3)) == outcome::not_active);
    CHECK(d.run_unchanged(cancel(4, 99)) == outcome::unknown_reservation);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 2, 8});
    REQUIRE(d.run(cancel(5, 4)) == outcome::accepted);
    CHECK(d.seat(2, 1) == seat_row{10, 0, 0, 10});
}

TEST_CASE("close_conference: more holds than a batch holds continue in the next batches",
          "[contract][close_conference][replay]") {
    // Proves a close whose expiries overflow a batch body (4 KiB: ~120 records) continues
    // in new bodies with every hold expired once, in ascending id, the conference_closed
    // record last, and that replaying the records gives the same state.
    domain d(small_options, 4096);
    REQUIRE(d.run(create(0, 1, {item(1, 100'000)}, 60'000)) == outcome::accepted);
    REQUIRE(d.run(create(0, 2, {item(1, 100'000)}, 60'000)) == outcome::accepted);
    std::uint64_t id = 7919;
    std::vector<std::uint64_t> held_of_1;
    for (std::uint64_t i = 0; i < 3000; i++) {
        id = (id * 2654435761u + 12345) % 1'000'000'007;  // distinct, unordered ids
        const std::uint64_t conference = 1 + i % 3 / 2;  // two of three to conference 1
        REQUIRE(d.run(reserve(i, conference, 1 + id, {item(1, 1 + i % 3)})) == outcome::accepted);
        if (conference == 1 && i % 7 == 0) {
            REQUIRE(d.run(confirm(i, 1 + id)) == outcome::accepted);
        } else if (conference == 1) {
            held_of_1.push_back(1 + id);
        }
    }
    std::sort(held_of_1.begin(), held_of_1.end());
    REQUIRE(d.run(close(5000, 1)) == outcome::accepted);
    CHECK(d.last_bodies() > 10);
    const auto expiries = d.last_close_expiries();
    CHECK(expired_ids(expiries) == held_of_1);
    const auto records = d.last_records();
    REQUIRE(records.size() == held_of_1.size() + 1);
    CHECK(records.back().type == event_type::conference_closed);
    CHECK(d.seat(1, 1).held == 0);
    CHECK(d.seat(2, 1).held > 0);
    CHECK(d.state().counts.expired == held_of_1.size());

    booking_state replayed(small_options);
    replay(replayed, d.all());
    CHECK(ordo::tools::state_json(replayed) == ordo::tools::state_json(d.state()));
    CHECK(replayed.events == d.state().events);
}

// ---------------------------------------------------------------- tick and time

TEST_CASE("tick: always accepted, only moves time", "[contract][tick][time]") {
    // Proves tick is accepted with a ticked record at now, advances now, and a tick with
    // a smaller t leaves now where it was.
    domain d;
    REQUIRE(d.run(make_tick(0)) == outcome::accepted);
    CHECK(d.state().now_ms == 0);
    REQUIRE(d.run(make_tick(5000)) == outcome::accepted);
    CHECK(d.state().now_ms == 5000);
    auto records = d.last_records();
    REQUIRE(records.size() == 1);
    REQUIRE(records[0].type == event_type::ticked);
    CHECK(read_payload<ticked_v1>(records[0].payload).now_ms == 5000);
    REQUIRE(d.run(make_tick(10)) == outcome::accepted);
    CHECK(d.state().now_ms == 5000);
    records = d.last_records();
    REQUIRE(records.size() == 1);
    CHECK(read_payload<ticked_v1>(records[0].payload).now_ms == 5000);
    CHECK(d.state().commands == 3);
    CHECK(d.state().events == 3);
    CHECK(d.state().conference_count() == 0);
}

TEST_CASE("time: a command with a smaller t is stamped with the larger now", "[contract][time]") {
    // Proves now = max(t, now_before) for every op: the state's now, the records' now and
    // a hold's expires_at all use the clamped time.
    domain d;
    REQUIRE(d.run(make_tick(50'000)) == outcome::accepted);
    REQUIRE(d.run(create(10, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    CHECK(read_payload<conference_created_v1>(d.last_records()[0].payload).now_ms == 50'000);
    REQUIRE(d.run(reserve(20, 1, 1, {item(1, 1)})) == outcome::accepted);
    CHECK(d.state().now_ms == 50'000);
    CHECK(d.reservation(1)->expires_at_ms == 51'000);
    CHECK(read_payload<reservation_held_v1>(d.last_records()[0].payload).expires_at_ms == 51'000);
    CHECK(d.run_unchanged(reserve(30, 9, 2, {item(1, 1)})) == outcome::unknown_conference);
    CHECK(d.state().now_ms == 50'000);
    // Not expired one ms before: time did not jump to t + ttl of the small t.
    REQUIRE(d.run(make_tick(50'999)) == outcome::accepted);
    CHECK(d.status(1) == reservation_status::held);
    REQUIRE(d.run(make_tick(40)) == outcome::accepted);
    CHECK(d.state().now_ms == 50'999);
    REQUIRE(d.run(make_tick(51'000)) == outcome::accepted);
    CHECK(d.status(1) == reservation_status::expired);
    CHECK(d.state().now_ms == 51'000);
}

TEST_CASE("time: a hold expires when expires_at <= now, not before", "[contract][time]") {
    // Proves the expiry boundary: now = expires_at - 1 keeps the hold, now = expires_at
    // expires it with one reservation_expired record (before the command's own record),
    // and its seats return.
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 10)}, 1000)) == outcome::accepted);
    REQUIRE(d.run(reserve(500, 1, 1, {item(1, 4)})) == outcome::accepted);
    REQUIRE(d.run(make_tick(1499)) == outcome::accepted);
    CHECK(d.last_expiries().empty());
    CHECK(d.seat(1, 1) == seat_row{10, 4, 0, 6});
    REQUIRE(d.run(make_tick(1500)) == outcome::accepted);
    const auto records = d.last_records();
    REQUIRE(records.size() == 2);
    REQUIRE(records[0].type == event_type::reservation_expired);
    CHECK(records[1].type == event_type::ticked);
    const auto e = read_payload<reservation_expired_v1>(records[0].payload);
    CHECK(e.reservation == 1);
    CHECK(e.expires_at_ms == 1500);
    CHECK(e.now_ms == 1500);
    CHECK(d.seat(1, 1) == seat_row{10, 0, 0, 10});
    CHECK(d.state().counts.held == 0);
    CHECK(d.state().counts.expired == 1);
    // Expiry happens before any command is decided, whatever the op.
    REQUIRE(d.run(reserve(1500, 1, 2, {item(1, 10)})) == outcome::accepted);
    REQUIRE(d.run(reserve(2499, 1, 3, {item(1, 1)})) == outcome::insufficient_seats);
    REQUIRE(d.run(reserve(2500, 1, 3, {item(1, 1)})) == outcome::accepted);
    CHECK(expired_ids(d.last_expiries()) == std::vector<std::uint64_t>{2});
    CHECK(d.seat(1, 1) == seat_row{10, 1, 0, 9});
}

TEST_CASE("time: expiries come in (expires_at, reservation id) order", "[contract][time]") {
    // Proves the order of expiry records across ties created in non-ascending id order,
    // conferences whose ttls make a later hold expire earlier, and confirmed or cancelled
    // holds in between (which do not expire).
    domain d;
    REQUIRE(d.run(create(0, 1, {item(1, 1000)}, 5000)) == outcome::accepted);
    REQUIRE(d.run(create(0, 2, {item(1, 1000)}, 1000)) == outcome::accepted);
    REQUIRE(d.run(create(0, 3, {item(1, 1000)}, 3000)) == outcome::accepted);
    // Ties at 5000 (conference 1 at t=0), ids given out of order.
    for (const std::uint64_t id : {30, 10, 20, 15}) {
        REQUIRE(d.run(reserve(0, 1, id, {item(1, 1)})) == outcome::accepted);
    }
    REQUIRE(d.run(reserve(100, 2, 50, {item(1, 1)})) == outcome::accepted);   // 1100
    REQUIRE(d.run(reserve(200, 1, 5, {item(1, 1)})) == outcome::accepted);    // 5200
    REQUIRE(d.run(reserve(2000, 3, 40, {item(1, 1)})) == outcome::accepted);  // 5000, tie
    REQUIRE(d.run(reserve(2000, 2, 45, {item(1, 1)})) == outcome::accepted);  // 3000
    REQUIRE(d.run(reserve(4000, 2, 12, {item(1, 1)})) == outcome::accepted);  // 5000, tie
    REQUIRE(d.run(reserve(4000, 2, 60, {item(1, 1)})) == outcome::accepted);  // 5000, tie
    REQUIRE(d.run(reserve(4100, 2, 1, {item(1, 1)})) == outcome::accepted);   // 5100
    REQUIRE(d.run(reserve(4100, 3, 2, {item(1, 1)})) == outcome::accepted);   // 7100
    REQUIRE(d.run(confirm(4200, 20)) == outcome::accepted);
    REQUIRE(d.run(cancel(4200, 60)) == outcome::accepted);
    // 50 expired at 1100 and 45 at 3000 along the way, each before its command.
    CHECK(d.state().counts.expired == 2);

    REQUIRE(d.run(make_tick(5000)) == outcome::accepted);
    const auto due = d.last_expiries();
    CHECK(expired_ids(due) == std::vector<std::uint64_t>{10, 12, 15, 30, 40});
    for (const auto& e : due) {
        CHECK(e.expires_at_ms == 5000);
        CHECK(e.now_ms == 5000);
    }
    REQUIRE(d.run(make_tick(1'000'000)) == outcome::accepted);
    const auto rest = d.last_expiries();
    CHECK(expired_ids(rest) == std::vector<std::uint64_t>{1, 5, 2});
    REQUIRE(rest.size() == 3);
    CHECK(rest[0].expires_at_ms == 5100);
    CHECK(rest[1].expires_at_ms == 5200);
    CHECK(rest[2].expires_at_ms == 7100);
    CHECK(rest[2].now_ms == 1'000'000);
    CHECK(d.state().counts.expired == 10);
    CHECK(d.state().counts.held == 0);
    CHECK(d.state().counts.confirmed == 1);
    CHECK(d.state().counts.cancelled == 1);
    CHECK(d.seat(1, 1) == seat_row{1000, 0, 1, 999});
    CHECK(d.seat(2, 1) == seat_row{1000, 0, 0, 1000});
    CHECK(d.seat(3, 1) == seat_row{1000, 0, 0, 1000});
}

TEST_CASE("time: a tick far in the future expires every hold, in order", "[contract][time]") {
    // Proves one tick expires thousands of holds of several ttls in one command, sorted,
    // and returns every held seat.
    domain d;
    const std::uint32_t ttls[] = {86'400'000, 1000, 3'600'000, 60'000};
    for (std::uint64_t c = 1; c <= 4; c++) {
        REQUIRE(d.run(create(0, c, {item(1, 100'000)}, ttls[c - 1])) == outcome::accepted);
    }
    std::uint64_t id = 7919;
    for (std::uint64_t i = 0; i < 4000; i++) {
        id = (id * 2654435761u + 12345) % 1'000'000'007;  // distinct, unordered ids
        REQUIRE(d.run(reserve(i / 3, 1 + i % 4, 1 + id, {item(1, 1)})) == outcome::accepted);
    }
    const std::uint64_t expired_before = d.state().counts.expired;
    REQUIRE(d.run(make_tick(time_ms_max)) == outcome::accepted);
    const auto expiries = d.last_expiries();
    CHECK(expiries.size() + expired_before == 4000);
    for (std::size_t i = 1; i < expiries.size(); i++) {
        const bool ordered = expiries[i - 1].expires_at_ms < expiries[i].expires_at_ms ||
                             (expiries[i - 1].expires_at_ms == expiries[i].expires_at_ms &&
                              expiries[i - 1].reservation < expiries[i].reservation);
        if (!ordered) FAIL("expiry " << i << " out of order");
    }
    CHECK(d.state().counts.held == 0);
    CHECK(d.state().counts.expired == 4000);
    for (std::uint64_t c = 1; c <= 4; c++) {
        CHECK(d.seat(c, 1) == seat_row{100'000, 0, 0, 100'000});
    }
    CHECK(d.state().now_ms == time_ms_max);
}

// ---------------------------------------------------------------- determinism and replay

namespace {

// A deterministic mix of every op over a few conferences with different ttls: retries,
// unknown ids, sell-outs, capacity changes, time going backwards and expiries; with
// `closes`, in its second half also closes of conference 3 (then its duplicates and its
// conference_closed rejections) and of the unknown 4.
std::vector<command> mixed_workload(std::uint64_t seed, std::size_t count, bool closes = false) {
    std::vector<command> out;
    const std::uint32_t ttls[] = {1000, 2500, 7000};
    for (std::uint64_t c = 1; c <= 3; c++) {
        out.push_back(create(0, c, {item(1, 40), item(2, 10), item(3, 5)}, ttls[c - 1]));
    }
    std::uint64_t x = seed;
    auto next = [&x](std::uint64_t bound) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x % bound;
    };
    std::uint64_t t = 0;
    for (std::size_t i = 0; i < count; i++) {
        t += next(40);
        const std::uint64_t when = next(10) == 0 ? t - std::min<std::uint64_t>(t, 500) : t;
        const std::uint64_t conference = 1 + next(4);  // 4 is unknown
        const std::uint64_t reservation = 1 + next(400);
        const auto type = static_cast<std::uint16_t>(1 + next(4));  // 4 is unknown
        if (closes && i > count / 2 && next(100) == 0) {
            out.push_back(close(when, 3 + next(2)));
            continue;
        }
        switch (next(10)) {
            case 0:
                out.push_back(add_seats(when, conference, type, next(12)));
                break;
            case 1:
                out.push_back(remove_seats(when, conference, type, next(8)));
                break;
            case 2:
            case 3:
            case 4:
                out.push_back(reserve(when, conference, reservation,
                                      {item(type, static_cast<std::uint32_t>(next(4))),
                                       item(static_cast<std::uint16_t>(type % 3 + 1), 1)}));
                break;
            case 5:
            case 6:
                out.push_back(confirm(when, reservation));
                break;
            case 7:
                out.push_back(cancel(when, reservation));
                break;
            default:
                out.push_back(make_tick(when));
                break;
        }
    }
    return out;
}

struct reference_hold {
    std::uint64_t expires_at_ms;
    reservation_status status;
};

}  // namespace

TEST_CASE("determinism: the same commands give the same state, live and replayed",
          "[contract][replay]") {
    // Proves running one command sequence twice gives identical state JSON and records,
    // and that replaying the records into a fresh state with apply() gives the same JSON.
    const std::vector<command> commands = mixed_workload(0x9e3779b97f4a7c15ull, 6000, true);
    domain first;
    domain second;
    std::array<std::uint64_t, outcome_count> outcomes{};
    for (const command& c : commands) {
        const outcome a = first.run(c);
        const outcome b = second.run(c);
        if (a != b) FAIL("outcomes differ");
        outcomes[static_cast<std::size_t>(a)]++;
    }
    // The mix really exercised the rules.
    CHECK(outcomes[static_cast<std::size_t>(outcome::accepted)] > 1000);
    CHECK(outcomes[static_cast<std::size_t>(outcome::duplicate)] > 100);
    CHECK(outcomes[static_cast<std::size_t>(outcome::insufficient_seats)] > 10);
    CHECK(outcomes[static_cast<std::size_t>(outcome::not_active)] > 10);
    CHECK(outcomes[static_cast<std::size_t>(outcome::conference_closed)] > 10);
    CHECK(first.state().counts.expired > 100);
    CHECK(first.conference(3).closed == 1);

    const std::string live = ordo::tools::state_json(first.state());
    CHECK(ordo::tools::state_json(second.state()) == live);
    CHECK(first.all() == second.all());
    CHECK(first.state().commands == commands.size());

    booking_state replayed(small_options);
    replay(replayed, first.all());
    CHECK(ordo::tools::state_json(replayed) == live);
    CHECK(replayed.commands == commands.size());
    CHECK(replayed.events == first.state().events);
}

TEST_CASE("expiry against a reference model over a random run", "[contract][time]") {
    // Proves, after every command of a random run, that exactly the holds a plain model
    // says are due (expires_at <= now) expired, in (expires_at, id) order, and at an
    // accepted close exactly the closed conference's holds, in id order, with their seats
    // returned: the sum of held and confirmed quantities matches the model.
    const std::vector<command> commands = mixed_workload(12345, 6000, true);
    domain d;
    std::map<std::uint64_t, reference_hold> model;
    std::map<std::uint64_t, std::vector<seat_item>> model_items;
    std::map<std::uint64_t, std::uint64_t> model_conference;
    std::uint64_t mismatches = 0;
    std::uint64_t closes = 0;
    for (const command& c : commands) {
        const std::uint64_t now = std::max(c.t_ms, d.state().now_ms);
        std::vector<std::pair<std::uint64_t, std::uint64_t>> due;
        for (auto& [id, hold] : model) {
            if (hold.status == reservation_status::held && hold.expires_at_ms <= now) {
                due.emplace_back(hold.expires_at_ms, id);
            }
        }
        std::sort(due.begin(), due.end());
        const outcome result = d.run(c);
        std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
        for (const auto& e : d.last_expiries()) got.emplace_back(e.expires_at_ms, e.reservation);
        if (got != due) mismatches++;
        for (const auto& [at, id] : due) model[id].status = reservation_status::expired;
        std::vector<std::uint64_t> closed_holds;  // ascending: the model is a std::map
        if (result == outcome::accepted && c.kind == op::close_conference) {
            closes++;
            for (auto& [id, hold] : model) {
                if (hold.status != reservation_status::held) continue;
                if (model_conference[id] != c.conference) continue;
                closed_holds.push_back(id);
                hold.status = reservation_status::expired;
            }
        }
        if (expired_ids(d.last_close_expiries()) != closed_holds) mismatches++;
        if (result != outcome::accepted) continue;
        if (c.kind == op::reserve) {
            const std::uint64_t ttl = d.conference(c.conference).hold_ttl_ms;
            model[c.reservation] = {now + ttl, reservation_status::held};
            model_items[c.reservation] = {c.items.begin(), c.items.begin() + c.item_count};
            model_conference[c.reservation] = c.conference;
        }
        if (c.kind == op::confirm) model[c.reservation].status = reservation_status::confirmed;
        if (c.kind == op::cancel) model[c.reservation].status = reservation_status::cancelled;
    }
    CHECK(mismatches == 0);
    CHECK(closes == 1);
    std::map<std::pair<std::uint64_t, std::uint16_t>, std::uint32_t> held;
    std::map<std::pair<std::uint64_t, std::uint16_t>, std::uint32_t> confirmed;
    for (const auto& [id, hold] : model) {
        CHECK(d.status(id) == hold.status);
        for (const seat_item& s : model_items[id]) {
            const auto key = std::pair{model_conference[id], s.seat_type};
            if (hold.status == reservation_status::held) held[key] += s.quantity;
            if (hold.status == reservation_status::confirmed) confirmed[key] += s.quantity;
        }
    }
    for (std::uint64_t c = 1; c <= 3; c++) {
        for (std::uint16_t t = 1; t <= 3; t++) {
            INFO("conference " << c << " type " << t);
            CHECK(d.seat(c, t).held == held[{c, t}]);
            CHECK(d.seat(c, t).confirmed == confirmed[{c, t}]);
        }
    }
    // Only the live ones keep a record.
    std::uint64_t live = 0;
    for (const auto& [id, hold] : model) {
        live += hold.status == reservation_status::held ||
                (hold.status == reservation_status::confirmed && model_conference[id] != 0 &&
                 !d.conference(model_conference[id]).closed);
    }
    CHECK(d.state().live_reservations() == live);
}
