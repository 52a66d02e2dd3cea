// journal/reader_gate.h and journal/gated_reader.h: in-process readers attached to the
// writer see a batch only once it is durable, in order, each record exactly once, checked;
// a slow reader holds the writer back instead of being overrun (stress, run under TSan).

#include "journal/reader_gate.h"

#include <cerrno>
#include <thread>

#include "journal/gated_reader.h"
#include "journal/io/simulated_backend.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

writer_options simulated_options(io::simulated_disk& disk) {
    writer_options options = small_options("/sim/journal", io_backend_kind::simulated);
    options.simulated_disk = &disk;
    return options;
}

// Publishes batch `batch` with `records` records (payloads from payload_byte()).
void publish_one(writer& w, std::uint64_t batch, std::uint32_t records) {
    auto area = w.claim();
    REQUIRE(area.has_value());
    REQUIRE(w.position().next_batch_number == batch);
    const std::uint32_t bytes = fill_records(*area, batch, records, 24);
    REQUIRE(w.publish(bytes, records, batch).value() == batch);
}

// True when every record of the batch holds the payload the writer gave batch `number`.
bool payloads_of(const durable_batch& batch, std::uint64_t number) {
    std::uint32_t r = 0;
    for (const record_view record : record_range(batch.body, batch.record_count)) {
        for (std::uint32_t i = 0; i < 24; ++i) {
            if (record.payload[i] != payload_byte(number, r, i)) return false;
        }
        ++r;
    }
    return r == batch.record_count;
}

}  // namespace

TEST_CASE("a gated reader sees a batch only once the writer's watermark passed it") {
    // Proves: published is not enough (nothing before poll() reaps the completion); after
    // it, the batch comes with its records, its durable time and the writer's position.
    io::simulated_disk disk;
    auto w = writer::open(simulated_options(disk), {});
    REQUIRE(w.has_value());
    reader_gate gate(1, (*w)->position());
    (*w)->attach_readers(gate);
    gated_reader reader(gate, 0);
    publish_one(**w, 0, 3);
    auto none = reader.next();
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());  // written, not yet known durable
    REQUIRE((*w)->poll().value() == 1);
    auto got = reader.next();
    REQUIRE(got.has_value());
    REQUIRE(got->has_value());
    const gated_batch& b = **got;
    CHECK(b.batch.batch_number == 0);
    CHECK(b.batch.record_count == 3);
    CHECK(b.durable_ns != 0);
    CHECK(payloads_of(b.batch, 0));
    CHECK(b.batch.end == (*w)->position());
    reader.release();
    CHECK(gate.released_min() == 1);
    CHECK_FALSE(reader.at_end());
    gate.close();
    CHECK(reader.at_end());
}

TEST_CASE("a reader falls behind by the writer's spare buffers before it holds the writer") {
    // Proves: with batch_buffers_max buffers, the writer publishes that many batches, all
    // durable, while the reader takes none (a writer that waited for the reader here would
    // never return); the reader then gets each one, in order, with its own payload.
    io::simulated_disk disk;
    writer_options options = simulated_options(disk);
    options.batch_buffers = batch_buffers_max;
    auto w = writer::open(options, {});
    REQUIRE(w.has_value());
    reader_gate gate(1, (*w)->position());
    (*w)->attach_readers(gate);
    gated_reader reader(gate, 0);
    for (std::uint64_t b = 0; b < batch_buffers_max; ++b) {
        publish_one(**w, b, 2);
        REQUIRE((*w)->poll().has_value());
    }
    REQUIRE((*w)->wait_durable(batch_buffers_max).value() == batch_buffers_max);
    CHECK(gate.released_min() == 0);
    for (std::uint64_t b = 0; b < batch_buffers_max; ++b) {
        auto got = reader.next();
        REQUIRE(got.has_value());
        REQUIRE(got->has_value());
        CHECK((**got).batch.batch_number == b);
        CHECK(payloads_of((**got).batch, b));
        reader.release();
    }
    CHECK(gate.released_min() == batch_buffers_max);
    gate.close();
    CHECK(reader.at_end());
}

TEST_CASE("a gated reader never sees a batch whose sync failed, nor any after it") {
    // Proves: the third batch's fdatasync fails (EIO): the writer is poisoned and the reader
    // gets exactly the two batches made durable before it, then the end once the gate
    // closes.
    io::simulated_disk disk;
    auto w = writer::open(simulated_options(disk), {});
    REQUIRE(w.has_value());
    reader_gate gate(1, (*w)->position());
    (*w)->attach_readers(gate);
    gated_reader reader(gate, 0);
    disk.set_faults(io::simulated_faults{.fail_sync_at = 3, .sync_errno = EIO});
    for (std::uint64_t b = 0; b < 2; ++b) {
        publish_one(**w, b, 2);
        REQUIRE((*w)->poll().value() == b + 1);
    }
    publish_one(**w, 2, 2);
    REQUIRE_FALSE((*w)->poll().has_value());  // poisoned: nothing more is durable
    CHECK_FALSE((*w)->claim().has_value());
    std::uint64_t seen = 0;
    for (;;) {
        auto got = reader.next();
        REQUIRE(got.has_value());
        if (!got->has_value()) break;
        CHECK((**got).batch.batch_number == seen);
        CHECK(payloads_of((**got).batch, seen));
        reader.release();
        ++seen;
    }
    CHECK(seen == 2);
    gate.close();
    CHECK(reader.at_end());
}

TEST_CASE("slow readers are never overrun and never skip; a detached one holds nothing",
          "[stress]") {
    // Proves: with four buffers (as many as in flight) or the most a writer keeps, and
    // readers far slower than the writer, every reader gets every batch in order (numbers,
    // chain and checksums checked by the gated reader), every record exactly once with the
    // payload written for it (a buffer reused under a reader would show another batch's
    // bytes), and a reader that detaches midway does not stop the writer.
    const std::uint32_t buffers = GENERATE(0u, batch_buffers_max);
    INFO("batch_buffers " << buffers);
    io::simulated_disk disk;
    writer_options options = simulated_options(disk);
    options.batch_buffers = buffers;
    auto w = writer::open(options, {});
    REQUIRE(w.has_value());
    constexpr std::uint64_t batches = 3000;
    constexpr std::uint32_t readers = 3;
    reader_gate gate(readers, (*w)->position());
    (*w)->attach_readers(gate);
    struct tally {
        std::uint64_t batches = 0;
        std::uint64_t records = 0;
        bool in_order = true;
        bool payloads = true;
        bool ended = false;
    };
    std::array<tally, readers> tallies{};
    auto read = [&](std::uint32_t index, std::uint64_t stop_after) {
        gated_reader reader(gate, index);
        tally& t = tallies[index];
        while (!reader.at_end()) {
            auto got = reader.next();
            if (!got.has_value()) return;  // t.ended stays false: the check below fails
            if (!got->has_value()) {
                reader.wait();  // parked until the writer publishes (or closes)
                continue;
            }
            const durable_batch& b = (**got).batch;
            t.in_order = t.in_order && b.batch_number == t.batches;
            t.payloads = t.payloads && payloads_of(b, b.batch_number);
            // Reader 0 is slow: it yields the CPU a few times per batch.
            if (index == 0) for (int i = 0; i < 3; ++i) std::this_thread::yield();
            t.batches++;
            t.records += b.record_count;
            reader.release();
            if (t.batches == stop_after) {
                reader.detach();
                break;
            }
        }
        t.ended = true;
    };
    std::vector<std::thread> threads;
    threads.emplace_back(read, 0, UINT64_MAX);
    threads.emplace_back(read, 1, UINT64_MAX);
    threads.emplace_back(read, 2, 100);  // stops early: the writer must not wait for it
    std::uint64_t records = 0;
    for (std::uint64_t b = 0; b < batches; ++b) {
        const auto count = static_cast<std::uint32_t>(1 + b % 17);
        publish_one(**w, b, count);
        records += count;
        REQUIRE((*w)->poll().has_value());
    }
    REQUIRE((*w)->close().has_value());
    gate.close();
    for (auto& t : threads) t.join();
    for (std::uint32_t r = 0; r < 2; ++r) {
        INFO("reader " << r);
        CHECK(tallies[r].ended);
        CHECK(tallies[r].in_order);
        CHECK(tallies[r].payloads);
        CHECK(tallies[r].batches == batches);
        CHECK(tallies[r].records == records);
    }
    CHECK(tallies[2].batches == 100);
    CHECK(tallies[2].in_order);
    CHECK(tallies[2].payloads);
}
