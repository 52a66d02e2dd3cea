// The state decoder refuses a snapshot payload that no apply() could have made with a
// one-line message, where it used to trip an assertion (a conference id 0 or twice), throw
// (a held count sizing a vector past memory) or load a state the printer then asserted on
// (seats held beyond capacity). Found by writing the fuzz target of the snapshot loader
// (tests/fuzz/snapshot_loader_fuzz.cpp); its corpus replays the same cases.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "engine/process.h"
#include "engine/state_codec.h"
#include "tools/workload/parser.h"

using namespace ordo::engine;

namespace {

// state_header_v3's fields (engine/state_codec.cpp), as byte offsets into the payload.
constexpr std::size_t header_bytes = state_header_bytes;
constexpr std::size_t held_at = 40;
constexpr std::size_t cancelled_at = 56;

const state_options options{.conferences_max = 16, .reservations_max = 256};

// The encoded state after rules.jsonl: conferences, and reservations of every status.
std::vector<std::byte> rules_state() {
    auto parsed = ordo::workload::parse_file(ORDO_TEST_DATA_DIR "/rules.jsonl");
    REQUIRE(parsed.has_value());
    booking_state state(options);
    std::vector<std::byte> body(1 << 20);
    event_buffer buffer;
    buffer.reset(body);
    for (const ordo::workload::workload_command& c : *parsed) {
        command_slot slots[command_slots_max];
        encode(c.command, slots);
        process_command(state, command_view(slots), buffer, [&](std::uint32_t bytes) {
            if (buffer.free_bytes() < bytes) buffer.reset(body);
        });
    }
    REQUIRE(state.conference_count() >= 2);
    REQUIRE(state.reservation_count() >= 2);
    return encode_state(state);
}

template <class T>
void put_at(std::vector<std::byte>& bytes, std::size_t at, T value) {
    REQUIRE(at + sizeof(T) <= bytes.size());
    std::memcpy(bytes.data() + at, &value, sizeof(T));
}

template <class T>
T get_at(const std::vector<std::byte>& bytes, std::size_t at) {
    T value;
    std::memcpy(&value, bytes.data() + at, sizeof(T));
    return value;
}

std::size_t conference_at(std::size_t index) {
    return header_bytes + index * sizeof(conference_state);
}

std::size_t reservation_at(const std::vector<std::byte>& bytes, std::size_t index) {
    const auto conferences = get_at<std::uint32_t>(bytes, 12);
    return conference_at(conferences) + index * sizeof(reservation_state);
}

std::string refusal(const std::vector<std::byte>& bytes) {
    booking_state into(options);
    const auto decoded = decode_state(bytes, into);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().find('\n') == std::string::npos);
    return decoded.error();
}

}  // namespace

TEST_CASE("decode_state: the unchanged payload decodes", "[snapshot]") {
    // Proves the cases below are refused for their change, not for the payload itself.
    const std::vector<std::byte> bytes = rules_state();
    booking_state into(options);
    REQUIRE(decode_state(bytes, into).has_value());
    CHECK(encode_state(into) == bytes);
}

TEST_CASE("decode_state refuses conferences no apply() makes", "[snapshot]") {
    // Proves id 0 and a repeated id (both assertions in insert_conference before), seats
    // held past capacity, a ttl out of range, a stray seat type, no seat type at all, a
    // `closed` other than 0 or 1 and a reserved byte set are one-line refusals.
    const std::vector<std::byte> good = rules_state();
    std::vector<std::byte> bytes = good;
    put_at<std::uint64_t>(bytes, conference_at(0) + offsetof(conference_state, id), 0);
    CHECK(refusal(bytes) == "state snapshot has a conference with id 0");

    bytes = good;
    const auto first_id = get_at<std::uint64_t>(good, conference_at(0));
    put_at<std::uint64_t>(bytes, conference_at(1) + offsetof(conference_state, id), first_id);
    CHECK(refusal(bytes) == "state snapshot has conference " + std::to_string(first_id) +
                                " twice");

    bytes = good;
    const std::size_t seats = conference_at(0) + offsetof(conference_state, seats);
    const auto capacity = get_at<std::uint32_t>(good, seats);
    put_at<std::uint32_t>(bytes, seats + offsetof(seat_counts, held), capacity + 1);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid conference "));

    bytes = good;
    put_at<std::uint32_t>(bytes, conference_at(0) + offsetof(conference_state, hold_ttl_ms), 5);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid conference "));

    bytes = good;
    put_at<std::uint16_t>(bytes, conference_at(0) + offsetof(conference_state, type_ids) + 2 * 63,
                          9);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid conference "));

    bytes = good;
    put_at<std::uint16_t>(bytes, conference_at(0) + offsetof(conference_state, type_count), 0);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid conference "));

    bytes = good;
    put_at<std::uint8_t>(bytes, conference_at(0) + offsetof(conference_state, closed), 2);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid conference "));

    bytes = good;
    put_at<std::uint8_t>(bytes, conference_at(0) + offsetof(conference_state, reserved_zero), 1);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid conference "));
}

TEST_CASE("decode_state refuses counts and reservations that do not add up", "[snapshot]") {
    // Proves a held count that would size a vector past memory (it threw before), counts
    // that disagree with the records, and a reservation with a reserved byte set are
    // one-line refusals.
    const std::vector<std::byte> good = rules_state();
    std::vector<std::byte> bytes = good;
    put_at<std::uint64_t>(bytes, held_at, std::uint64_t{1} << 62);
    CHECK(refusal(bytes) == "state snapshot's reservation counts do not add up");

    bytes = good;
    const auto held = get_at<std::uint64_t>(good, held_at);
    const auto cancelled = get_at<std::uint64_t>(good, cancelled_at);
    REQUIRE(cancelled > 0);
    put_at<std::uint64_t>(bytes, held_at, held + 1);
    put_at<std::uint64_t>(bytes, cancelled_at, cancelled - 1);
    CHECK(refusal(bytes) == "state snapshot's reservation counts disagree with its records");

    // The first live record (free ones, id 0, are given back records).
    std::size_t live = 0;
    while (get_at<std::uint64_t>(good, reservation_at(good, live)) == 0) live++;
    bytes = good;
    put_at<std::uint16_t>(bytes, reservation_at(good, live) + offsetof(reservation_state,
                                                                       reserved_zero), 1);
    CHECK(refusal(bytes).starts_with("state snapshot has an invalid reservation "));
}
