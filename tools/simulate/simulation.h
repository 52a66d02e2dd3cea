#pragma once
// `ordo simulate`: producer threads drive the booking load through the rings into one
// sequencer, for a number of commands or a duration, and the run is measured.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/batch_sink.h"
#include "engine/booking_state.h"
#include "engine/schema/outcome.h"
#include "base/ring/ring_kind.h"
#include "engine/sequencer_options.h"
#include "engine/snapshotter.h"
#include "tools/simulate/load_generator.h"

namespace ordo::tools {

struct simulate_progress {
    std::uint64_t commands = 0;  // answered so far in the load phase
    double seconds = 0;
};

struct simulate_options {
    std::uint64_t commands = 0;  // total over all producers; 0: run for `seconds`
    double seconds = 0;
    // Commands per second over all producers, each sending its share at even intervals
    // (open loop: a stall is caught up afterwards); 0: as fast as the engine answers.
    std::uint64_t rate_per_s = 0;
    base::ring_kind ring = base::ring_kind::own;
    load_options load;
    engine::state_options state;
    // .producers is the producer count; .pin_cpu >= 0 pins the sequencer there and the
    // producers to the other CPUs (pinned_sequencer_cpu), -1 pins nothing.
    engine::sequencer_options sequencer;
    std::function<void(const simulate_progress&)> on_progress;  // about once a second
    engine::snapshotter* snapshots = nullptr;  // periodic snapshots of a durable run
    // Optional: once it holds a non-zero value (a signal number), the load stops as a timed
    // run's does at its deadline; the result says so (interrupted_by).
    const std::atomic<int>* interrupted = nullptr;
};

struct simulate_result {
    std::uint64_t setup_commands = 0;
    std::uint64_t commands = 0;  // load phase, all producers
    double seconds = 0;          // load phase: first submit to last reply
    std::array<std::uint64_t, engine::outcome_count> outcomes{};
    // Records in use at the end: held, or confirmed in a sale still open (a reservation
    // confirmed in a closed sale, cancelled or expired keeps only its finished id).
    std::uint64_t live_reservations = 0;
    std::uint64_t reservation_records = 0;  // the arena's high-water mark: most live at once
    std::uint64_t batches = 0;
    double sink_publish_seconds = 0;     // the sequencer sealing and submitting batches
    double sink_claim_wait_seconds = 0;  // ... and waiting for a free batch buffer
    std::uint64_t record_bytes = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t snapshot_pause_ns_max = 0;  // the sequencer starting a snapshot
    std::uint64_t snapshot_pause_ns_p50 = 0;
    std::uint64_t snapshot_chunks = 0;        // 4 KiB chunks the sequencer copied aside
    std::uint64_t sequencer_round_ns_max = 0;  // its longest pause of any cause
    // Commands answered in each whole second of the load phase (the last, partial second
    // is left out), and the process's resident memory at the end of each.
    std::vector<std::uint64_t> per_second;
    std::vector<std::uint64_t> rss_bytes_per_second;
    std::uint64_t max_rss_bytes = 0;  // the process's peak, start-up included
    int interrupted_by = 0;  // the `interrupted` value that stopped the load early, or 0
    std::string failure;  // empty when the run completed
};

// Where to pin the sequencer of a run with `producers` producers: the CPU that serves the
// fewest device interrupts (base::quietest_cpu), or -1 (no pinning) when the threads would
// not each have a CPU. A journal for the run keeps its threads off the same CPU.
int pinned_sequencer_cpu(std::uint32_t producers);

// Runs the load against `state` through `sink` (memory or journal). The state must already
// hold whatever the sink's journal holds (recovered).
simulate_result run_simulation(const simulate_options& options, engine::booking_state& state,
                               engine::batch_sink& sink);

}  // namespace ordo::tools
