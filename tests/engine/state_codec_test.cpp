// Snapshot encoding: a decoded state equals the original byte for byte, and keeps deciding
// exactly like it (snapshot + tail == full run), including held reservations' expiries,
// closed conferences and the contract examples' outcomes.
#include <catch2/catch.hpp>

#include <cstddef>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/process.h"
#include "engine/state_codec.h"
#include "tools/state_json.h"
#include "tools/workload/parser.h"

using namespace ordo::engine;

namespace {

struct domain_runner {
    explicit domain_runner(const state_options& options) : state(options), body(1 << 20) {
        buffer.reset(body);
    }
    outcome run(const command& c) {
        command_slot slots[command_slots_max];
        encode(c, slots);
        return process_command(state, command_view(slots), buffer, [&](std::uint32_t bytes) {
            if (buffer.free_bytes() < bytes) buffer.reset(body);
        });
    }
    booking_state state;
    std::vector<std::byte> body;
    event_buffer buffer;
};

}  // namespace

TEST_CASE("a decoded snapshot equals the state and decides the tail identically", "[snapshot]") {
    auto parsed = ordo::workload::parse_file(ORDO_TEST_DATA_DIR "/random.jsonl");
    REQUIRE(parsed.has_value());
    const std::vector<ordo::workload::workload_command>& commands = *parsed;
    REQUIRE(commands.size() > 2000);
    const state_options options{.conferences_max = 64, .reservations_max = 4096};
    domain_runner live(options);
    const std::size_t cut = commands.size() / 2;
    for (std::size_t i = 0; i < cut; i++) live.run(commands[i].command);
    REQUIRE(live.state.counts.held > 0);  // the tail must exercise restored expiries

    const std::vector<std::byte> bytes = encode_state(live.state);
    domain_runner restored(options);
    REQUIRE(decode_state(bytes, restored.state).has_value());
    REQUIRE(encode_state(restored.state) == bytes);
    REQUIRE(state_digest(restored.state) == state_digest(live.state));

    for (std::size_t i = cut; i < commands.size(); i++) {
        REQUIRE(live.run(commands[i].command) == restored.run(commands[i].command));
    }
    REQUIRE(state_digest(restored.state) == state_digest(live.state));
    REQUIRE(ordo::tools::state_json(restored.state) == ordo::tools::state_json(live.state));
}

TEST_CASE("decode refuses bytes that are not a state or do not fit the tables", "[snapshot]") {
    domain_runner live(state_options{.conferences_max = 8, .reservations_max = 64});
    const seat_item seats[] = {{.quantity = 10, .seat_type = 1, .reserved_zero = 0}};
    for (std::uint64_t c = 1; c <= 4; c++) live.run(make_create_conference(0, c, seats));
    const seat_item one[] = {{.quantity = 1, .seat_type = 1, .reserved_zero = 0}};
    for (std::uint64_t r = 1; r <= 5; r++) {
        REQUIRE(live.run(make_reserve(1, 1 + r % 4, r, 7, one)) == outcome::accepted);
    }
    std::vector<std::byte> bytes = encode_state(live.state);

    booking_state small(state_options{.conferences_max = 2, .reservations_max = 64});
    auto too_small = decode_state(bytes, small);
    REQUIRE_FALSE(too_small.has_value());
    REQUIRE(too_small.error().find("--conferences-max") != std::string::npos);

    booking_state few(state_options{.conferences_max = 8, .reservations_max = 4});
    auto too_few = decode_state(bytes, few);
    REQUIRE_FALSE(too_few.has_value());
    REQUIRE(too_few.error().find("--reservations-max") != std::string::npos);

    // The index is rebuilt on decode, so a larger reservation table restores the same state.
    booking_state larger(state_options{.conferences_max = 8, .reservations_max = 4096});
    REQUIRE(decode_state(bytes, larger).has_value());
    REQUIRE(encode_state(larger) == bytes);

    // A record that apply() could never have made is refused, not trusted.
    std::vector<std::byte> twice = bytes;
    const std::size_t last = twice.size() - sizeof(reservation_state);
    std::memcpy(twice.data() + last, twice.data() + last - sizeof(reservation_state),
                sizeof(reservation_state));
    booking_state fresh_twice(state_options{.conferences_max = 8, .reservations_max = 64});
    auto refused = decode_state(twice, fresh_twice);
    REQUIRE_FALSE(refused.has_value());
    REQUIRE(refused.error().find("twice") != std::string::npos);
    // The earlier fault is the one reported.
    const std::size_t first = bytes.size() - 5 * sizeof(reservation_state);
    std::vector<std::byte> invalid_then_twice = twice;
    invalid_then_twice[first + offsetof(reservation_state, status)] = std::byte{9};
    booking_state fresh_invalid(state_options{.conferences_max = 8, .reservations_max = 64});
    auto invalid = decode_state(invalid_then_twice, fresh_invalid);
    REQUIRE_FALSE(invalid.has_value());
    REQUIRE(invalid.error().find("invalid reservation") != std::string::npos);
    std::vector<std::byte> zero_id = twice;
    std::memset(zero_id.data() + first + sizeof(reservation_state), 0, sizeof(std::uint64_t));
    booking_state fresh_zero(state_options{.conferences_max = 8, .reservations_max = 64});
    auto zero = decode_state(zero_id, fresh_zero);
    REQUIRE_FALSE(zero.has_value());
    // An id of 0 is a free record, which must be all zero but its free-list link.
    REQUIRE(zero.error().find("invalid free record") != std::string::npos);

    // So is a conference whose closed flag is neither 0 nor 1 (the state header is
    // state_header_bytes, the first conference follows it).
    constexpr std::size_t first_conference = state_header_bytes;
    std::vector<std::byte> bad_flag = bytes;
    bad_flag[first_conference + offsetof(conference_state, closed)] = std::byte{2};
    booking_state fresh_flag(state_options{.conferences_max = 8, .reservations_max = 64});
    auto flag = decode_state(bad_flag, fresh_flag);
    REQUIRE_FALSE(flag.has_value());
    REQUIRE(flag.error().find("invalid conference") != std::string::npos);
    // A snapshot of an older format (3: before closed conferences) is refused by version.
    std::vector<std::byte> older = bytes;
    const std::uint32_t version_3 = 3;
    std::memcpy(older.data() + 8, &version_3, sizeof(version_3));
    booking_state fresh_older(state_options{.conferences_max = 8, .reservations_max = 64});
    REQUIRE(decode_state(older, fresh_older).error() == "state format version 3 is not supported");

    std::vector<std::byte> truncated(bytes.begin(), bytes.end() - 1);
    booking_state fresh(state_options{.conferences_max = 8, .reservations_max = 64});
    REQUIRE_FALSE(decode_state(truncated, fresh).has_value());

    bytes[0] = std::byte{0};
    booking_state fresh2(state_options{.conferences_max = 8, .reservations_max = 64});
    REQUIRE(decode_state(bytes, fresh2).error() == "not a state snapshot");
}

namespace {

// What the contract's results files say of an outcome: {"outcome": ..., "reason": ...}.
nlohmann::json result_json(outcome o) {
    nlohmann::json out = {{"outcome", outcome_status_name(o)}};
    if (is_rejection(o)) out["reason"] = outcome_name(o);
    return out;
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("the contract examples: a snapshot after any command, then the tail, decides alike",
          "[snapshot][contract]") {
    // Proves, for close.jsonl at every command, and rules.jsonl and random.jsonl at a
    // spread of them, that a state snapshotted there (closed flags, holds expired at close)
    // decides the rest of the file exactly like the live state: the contract's outcomes
    // line by line, the contract's final state, equal digests.
    const std::string data = ORDO_TEST_DATA_DIR;
    const std::pair<std::string, std::size_t> examples[] = {
        {"close", 1}, {"rules", 5}, {"random", 500}};
    for (const auto& [name, step] : examples) {
        INFO(name);
        auto parsed = ordo::workload::parse_file(data + "/" + name + ".jsonl");
        REQUIRE(parsed.has_value());
        std::vector<nlohmann::json> results;
        std::ifstream results_file(data + "/" + name + ".results.jsonl");
        for (std::string line; std::getline(results_file, line);) {
            results.push_back(nlohmann::json::parse(line));
        }
        REQUIRE(results.size() == parsed->size());
        nlohmann::json expected = read_json(data + "/" + name + ".state.json");
        expected.erase("events");
        const state_options options{.conferences_max = 64, .reservations_max = 4096};
        for (std::size_t cut = 0; cut <= parsed->size(); cut += step) {
            INFO("snapshot after command " << cut);
            domain_runner live(options);
            for (std::size_t i = 0; i < cut; i++) live.run((*parsed)[i].command);
            domain_runner restored(options);
            REQUIRE(decode_state(encode_state(live.state), restored.state).has_value());
            std::size_t mismatches = 0;
            for (std::size_t i = cut; i < parsed->size(); i++) {
                const outcome a = live.run((*parsed)[i].command);
                const outcome b = restored.run((*parsed)[i].command);
                nlohmann::json want = results[i];
                want.erase("line");
                if (a != b || result_json(b) != want) mismatches++;
            }
            CHECK(mismatches == 0);
            REQUIRE(state_digest(restored.state) == state_digest(live.state));
            nlohmann::json got = nlohmann::json::parse(ordo::tools::state_json(restored.state));
            got.erase("events");
            CHECK(got == expected);
        }
    }
}
