#pragma once
// The in-process readers of `ordo simulate --readers N`: N projections (availability,
// customers, sales, history, in that order) fed the durable batches of the run's journal
// writer through a reader_gate (journal/reader_gate.h), and what each measured: batches,
// records, lag (projections/lag.h). The projections share T reader threads (projection i on
// thread i mod T), and those of one thread one walk over each batch
// (projection::apply_together): on this 2-CPU host one thread for all of them costs the
// writer less than a thread each (bench/RESULTS.md), since every reader thread takes CPU
// from the writer's own two threads and is woken at each durable advance.
//
// Thread: built and finished on the main thread; T reader threads meanwhile.
// Lifecycle: construct with the writer (before its first batch: the readers attach and
// start), run the load, finish() once the writer closed (or failed): the gate closes, the
// readers apply what is durable and stop. The destructor finishes too, so the readers
// never outlive the writer whose buffers they read: declare this after the writer's owner.

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "journal/reader_gate.h"
#include "journal/writer.h"
#include "projections/inprocess_source.h"
#include "projections/projection.h"

namespace ordo::tools {

struct reader_report {
    std::string projection;
    std::uint64_t batches = 0;
    std::uint64_t records = 0;
    std::uint64_t commands = 0;  // the commands the projection holds at the end
    projections::reader_lag lag;
    std::string failure;  // empty when it read to the end
};

class in_process_readers {
public:
    static constexpr std::uint32_t readers_max = journal::reader_gate::readers_max;

    // `count` projections on `threads` reader threads (1..count). `keep_off_cpu` >= 0: the
    // readers run on the other CPUs (the sequencer's is pinned there, and a reader sharing
    // it would slow the writer it follows).
    in_process_readers(journal::writer& writer, std::uint32_t count, std::uint32_t threads = 1,
                       int keep_off_cpu = -1);
    ~in_process_readers();
    in_process_readers(const in_process_readers&) = delete;
    in_process_readers& operator=(const in_process_readers&) = delete;

    // Closes the gate and joins the readers; returns what each measured.
    const std::vector<reader_report>& finish();

private:
    // One reader thread: its gate slot and the projections it applies together.
    struct reader {
        std::vector<std::unique_ptr<projections::projection>> views;
        std::unique_ptr<projections::inprocess_source> source;
        std::string failure;
        std::thread thread;
    };
    static void run(reader& r, int keep_off_cpu) noexcept;

    journal::reader_gate gate_;
    std::vector<std::unique_ptr<reader>> readers_;
    std::vector<reader_report> reports_;
    bool finished_ = false;
};

}  // namespace ordo::tools
