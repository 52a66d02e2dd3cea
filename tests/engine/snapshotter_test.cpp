// Snapshots without a pause (engine/snapshot_guard.h, engine/snapshotter.h): a snapshot
// streamed out while the state keeps changing holds the state of its instant, byte for byte,
// whether a chunk was streamed before the change or copied aside because of it; a stopped
// stream settles every chunk; and, with the sequencer and the writer thread running for
// real, every snapshot written equals a replay of the journal up to the position it names.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "engine/journal_sink.h"
#include "engine/process.h"
#include "engine/recovery.h"
#include "engine/replay.h"
#include "engine/snapshot_guard.h"
#include "engine/snapshotter.h"
#include "engine/state_codec.h"
#include "journal/reader.h"
#include "journal/snapshot_store.h"
#include "tools/simulate/load_generator.h"
#include "tools/simulate/simulation.h"

using namespace ordo;
namespace fs = std::filesystem;

namespace {

constexpr engine::state_options tables{.conferences_max = 64, .reservations_max = 1u << 18};

// Drives the simulator's booking load straight into a state, one command at a time.
class load_driver {
public:
    explicit load_driver(engine::booking_state& state)
        : state_(state),
          generator_(tools::load_options{.conferences = 20, .hot_conferences = 4,
                                         .hold_ttl_ms = 60'000, .commands_per_ms = 8},
                     0, 1),
          body_(1 << 20) {
        buffer_.reset(body_);
        engine::command c;
        while (generator_.next_setup(c)) run(c);
    }
    void run(std::uint64_t commands) {
        engine::command c;
        for (std::uint64_t i = 0; i < commands; i++) {
            generator_.next(c);
            run(c);
        }
    }

private:
    void run(const engine::command& c) {
        engine::command_slot slots[engine::command_slots_max];
        engine::encode(c, slots);
        engine::process_command(state_, engine::command_view(slots), buffer_,
                                [&](std::uint32_t bytes) {
                                    if (buffer_.free_bytes() < bytes) buffer_.reset(body_);
                                });
    }
    engine::booking_state& state_;
    tools::load_generator generator_;
    std::vector<std::byte> body_;
    engine::event_buffer buffer_;
};

std::vector<std::byte> stream_snapshot(engine::booking_state& state, engine::snapshot_guard& guard,
                                       load_driver& driver, std::uint64_t commands_per_piece) {
    const engine::state_parts parts = engine::describe_state(state);
    guard.start(parts.tables);
    state.set_snapshot_guard(&guard);
    std::vector<std::byte> payload(parts.header.begin(), parts.header.end());
    const bool ok = guard.copy_out([&](std::span<const std::byte> piece) {
        payload.insert(payload.end(), piece.begin(), piece.end());
        driver.run(commands_per_piece);  // the sequencer goes on between the writer's pieces
        return true;
    });
    state.set_snapshot_guard(nullptr);
    REQUIRE(ok);
    return payload;
}

}  // namespace

TEST_CASE("a snapshot streamed while the state changes holds the state of its instant",
          "[snapshot]") {
    auto state = std::make_unique<engine::booking_state>(tables);
    load_driver driver(*state);
    driver.run(300'000);
    // Several pieces, so writes land between them (only live reservations keep a record
    // now: the arena is what the live set needs, the finished ids are pages beside it).
    REQUIRE(engine::describe_state(*state).bytes() > engine::snapshot_guard::piece_bytes);
    engine::snapshot_guard guard(engine::booking_state::snapshot_table_capacity_bytes(tables));
    // Twice over the same guard: the second snapshot must copy chunks the first settled.
    for (int round = 0; round < 2; round++) {
        const std::vector<std::byte> expected = engine::encode_state(*state);
        const std::vector<std::byte> streamed = stream_snapshot(*state, guard, driver, 5'000);
        // (Compared as bools: Catch would print megabytes of bytes on a mismatch.)
        const bool moved_on = engine::encode_state(*state) != expected;
        REQUIRE(moved_on);                      // the state did move on
        REQUIRE(guard.sequencer_chunks() > 0);  // and copies were made for it
        REQUIRE(streamed.size() == expected.size());
        const bool same = streamed == expected;
        REQUIRE(same);
        // It decodes into the state it was taken from.
        engine::booking_state decoded(tables);
        REQUIRE(engine::decode_state(streamed, decoded).has_value());
        const bool decoded_same = engine::encode_state(decoded) == expected;
        REQUIRE(decoded_same);
    }
}

TEST_CASE("a snapshot stream that stops settles every chunk", "[snapshot]") {
    auto state = std::make_unique<engine::booking_state>(tables);
    load_driver driver(*state);
    driver.run(200'000);
    engine::snapshot_guard guard(engine::booking_state::snapshot_table_capacity_bytes(tables));
    guard.start(engine::describe_state(*state).tables);
    state->set_snapshot_guard(&guard);
    int pieces = 0;
    const bool ok = guard.copy_out([&](std::span<const std::byte>) { return ++pieces < 2; });
    REQUIRE_FALSE(ok);
    REQUIRE(pieces == 2);
    const std::uint64_t copied = guard.sequencer_chunks();
    driver.run(50'000);  // writes everywhere: nothing is left to copy aside
    REQUIRE(guard.sequencer_chunks() == copied);
    state->set_snapshot_guard(nullptr);
}

TEST_CASE("every snapshot a running engine writes equals the journal replayed to its position",
          "[snapshot][stress]") {
    const fs::path dir =
        fs::temp_directory_path() / ("ordo_snapshotter_" + std::to_string(getpid()));
    fs::remove_all(dir);
    const engine::state_options run_tables{.conferences_max = 64, .reservations_max = 1u << 20};
    auto state = std::make_unique<engine::booking_state>(run_tables);
    std::uint64_t taken = 0;
    {
        auto writer = journal::writer::open(
            journal::writer_options{.dir = engine::journal_dir(dir),
                                    .sync = journal::sync_mode::buffered,
                                    .segment_bytes = 64u << 20, .direct_io = false},
            journal::journal_position{});
        REQUIRE(writer.has_value());
        engine::journal_sink sink(std::move(*writer));
        // keep 1024: every snapshot stays to be checked.
        engine::snapshotter snapshots(
            engine::snapshot_options{.data_dir = dir, .every_commands = 100'000, .keep = 1024},
            run_tables);
        tools::simulate_options options;
        options.commands = 1'500'000;
        options.state = run_tables;
        options.load = tools::load_options{.conferences = 20, .hot_conferences = 4};
        options.snapshots = &snapshots;
        const tools::simulate_result result = tools::run_simulation(options, *state, sink);
        REQUIRE(result.failure.empty());
        // A snapshot due while the last is still being written waits for it, so how many
        // the run takes depends on the machine's load (15 due; one or two on a busy host).
        taken = snapshots.taken();
        REQUIRE(taken >= 1);
        REQUIRE_FALSE(state->snapshot_guarded());  // stop() detached it
    }
    const auto listed = journal::list_snapshots(dir);
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == taken);  // keep 1024: each one it took is there
    // Replays the journal once, front to back, comparing at each snapshot's position.
    std::vector<journal::snapshot_info> oldest_first(listed->rbegin(), listed->rend());
    auto replayed = std::make_unique<engine::booking_state>(run_tables);
    auto reader = journal::reader::open(engine::journal_dir(dir));
    REQUIRE(reader.has_value());
    for (const journal::snapshot_info& info : oldest_first) {
        while (reader->position().next_batch_number < info.position.next_batch_number) {
            auto batch = reader->next();
            REQUIRE(batch.has_value());
            REQUIRE(batch->has_value());
            const auto applied =
                engine::replay_records(*replayed, (*batch)->body, (*batch)->record_count);
            REQUIRE(applied.applied == (*batch)->record_count);
        }
        REQUIRE(reader->position().next_sequence == info.position.next_sequence);
        const auto payload = journal::read_snapshot(info);
        REQUIRE(payload.has_value());
        const bool same = *payload == engine::encode_state(*replayed);
        CHECK(same);
    }
    fs::remove_all(dir);
}
