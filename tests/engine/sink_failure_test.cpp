// A failed fdatasync or write under the running sequencer: nothing after the failure is
// acknowledged, every acknowledged command is in the journal that survives a crash, the
// producer learns of the failure instead of hanging, and the error names the file.
#include <catch2/catch.hpp>

#include <cerrno>
#include <vector>

#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "base/ring/spsc_ring.h"
#include "engine/sequencer.h"
#include "journal/io/simulated_backend.h"
#include "journal/reader.h"

using namespace ordo;

namespace {

struct failure_case {
    const char* name;
    journal::io::simulated_faults faults;
};

// Runs commands until the sink fails; returns how many replies the producer got.
std::uint64_t run_until_failure(journal::io::simulated_disk& disk, std::string& failure) {
    engine::booking_state state(engine::state_options{.conferences_max = 16,
                                                      .reservations_max = 1 << 16});
    auto writer = journal::writer::open(
        journal::writer_options{.dir = "/sim/journal", .segment_bytes = 1 << 20,
                                .batch_bytes_max = 128 << 10,
                                .backend = journal::io_backend_kind::simulated,
                                .simulated_disk = &disk},
        journal::journal_position{});
    REQUIRE(writer.has_value());
    engine::journal_sink sink(std::move(*writer));
    engine::sequencer_options options{.command_ring_slots = 1024, .reply_ring_slots = 1024,
                                      .flush_delay_us = 0};
    engine::sequencer<base::spsc_ring> seq(state, sink, options);
    seq.start();
    auto& producer = seq.producer_at(0);
    std::uint64_t replies = 0;
    auto count = [&](engine::reply) { replies++; };
    const engine::seat_item seats[] = {{.quantity = 1000, .seat_type = 1, .reserved_zero = 0}};
    bool accepted = producer.submit(engine::make_create_conference(0, 1, seats), count);
    for (std::uint64_t r = 1; accepted && r <= 50'000; r++) {
        accepted = producer.submit(engine::make_reservation_op(engine::op::confirm, r, r), count);
    }
    const bool drained = producer.drain(count);
    CHECK_FALSE((accepted && drained));  // the failure reached the producer
    CHECK_FALSE(seq.stop());
    failure = seq.failure();
    return replies;
}

}  // namespace

TEST_CASE("a failed sync or write stops acknowledgements; acknowledged commands survive",
          "[durability][faults]") {
    const failure_case cases[] = {
        {"EIO on fdatasync", {.fail_sync_at = 5, .sync_errno = EIO}},
        {"ENOSPC on write", {.fail_write_at = 5, .write_errno = ENOSPC}},
        {"short write", {.short_write_at = 5, .short_write_bytes = 100}},
    };
    for (const failure_case& c : cases) {
        SECTION(c.name) {
            journal::io::simulated_disk disk;
            disk.set_faults(c.faults);
            std::string failure;
            const std::uint64_t acknowledged = run_until_failure(disk, failure);
            INFO(failure);
            REQUIRE(failure.find("/sim/journal/segment-") != std::string::npos);
            REQUIRE(acknowledged > 0);  // batches before the fault were acknowledged
            // A power cut now: what was synced is all that exists.
            disk.crash();
            const auto dir = std::filesystem::temp_directory_path() / "ordo_sink_failure_test";
            std::filesystem::remove_all(dir);
            disk.materialize("/sim/journal", dir / "journal");
            auto recovered = engine::recover(dir, engine::state_options{.conferences_max = 16,
                                                                        .reservations_max = 1 << 16});
            REQUIRE(recovered.has_value());
            // Every acknowledged command is in the recovered history; nothing invented.
            REQUIRE(recovered->state->commands >= acknowledged);
            REQUIRE(recovered->state->commands < 50'001);
            std::filesystem::remove_all(dir);
        }
    }
}
