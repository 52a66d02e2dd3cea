#include "tools/drill/deterministic_sim.h"

#include <fmt/core.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "base/assert.h"
#include "base/clock.h"
#include "base/ring/spsc_ring.h"
#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "engine/sequencer.h"
#include "engine/snapshotter.h"
#include "journal/data_dir.h"
#include "journal/io/simulated_backend.h"
#include "journal/manifest.h"
#include "tools/drill/command_generator.h"
#include "tools/drill/reference_model.h"
#include "tools/state_json.h"

namespace ordo::tools::drill {

const char* epoch_end_name(epoch_end end) noexcept {
    switch (end) {
        case epoch_end::close:
            return "close";
        case epoch_end::kill:
            return "kill";
        case epoch_end::write_eio:
            return "write EIO";
        case epoch_end::write_enospc:
            return "write ENOSPC";
        case epoch_end::sync_eio:
            return "fdatasync EIO";
        case epoch_end::sync_enospc:
            return "fdatasync ENOSPC";
        case epoch_end::short_write:
            return "short write";
    }
    return "?";
}

namespace {

const std::filesystem::path sim_data_dir = "/sim/data";
constexpr std::uint64_t sim_segment_bytes = 1ull << 20;  // small: rollovers happen
constexpr std::uint32_t epochs_max = 10'000;
// Well above what the generator can use (generator_limits): table_full never happens.
const engine::state_options sim_tables{.conferences_max = 16, .reservations_max = 4096};
static_assert(generator_limits::reservations_max < 4096);

struct epoch_plan {
    epoch_end end = epoch_end::close;
    std::uint32_t commands = 0;
    std::uint64_t fault_at = 0;  // 1-based batch write or sync of this epoch
    std::optional<std::uint32_t> tear_bytes;
    std::uint64_t snapshot_every = 0;
};

epoch_plan plan_epoch(seeded_random& random, std::uint32_t ends_allowed) {
    ORDO_ASSERT(ends_allowed != 0);
    epoch_plan plan;
    do {
        plan.end = static_cast<epoch_end>(random.below(epoch_end_count));
    } while ((ends_allowed & (1u << static_cast<std::uint32_t>(plan.end))) == 0);
    plan.commands = static_cast<std::uint32_t>(random.between(1, 90));
    plan.fault_at = random.between(1, plan.commands);
    if (random.chance(50)) plan.tear_bytes = static_cast<std::uint32_t>(random.between(1, 8192));
    plan.snapshot_every = random.chance(50) ? random.between(10, 60) : 0;
    return plan;
}

journal::io::simulated_faults faults_of(const epoch_plan& plan, journal::io::simulated_disk& disk,
                                        seeded_random& random) {
    journal::io::simulated_faults faults{};
    const std::uint64_t write_at = disk.writes() + plan.fault_at;
    const std::uint64_t sync_at = disk.syncs() + plan.fault_at;
    switch (plan.end) {
        case epoch_end::close:
        case epoch_end::kill:
            break;
        case epoch_end::write_eio:
            faults = {.fail_write_at = write_at, .write_errno = EIO};
            break;
        case epoch_end::write_enospc:
            faults = {.fail_write_at = write_at, .write_errno = ENOSPC};
            break;
        case epoch_end::sync_eio:
            faults = {.fail_sync_at = sync_at, .sync_errno = EIO};
            break;
        case epoch_end::sync_enospc:
            faults = {.fail_sync_at = sync_at, .sync_errno = ENOSPC};
            break;
        case epoch_end::short_write:
            faults = {.short_write_at = write_at,
                      .short_write_bytes = static_cast<std::uint32_t>(random.between(1, 4095))};
            break;
    }
    return faults;
}

class simulation {
  public:
    explicit simulation(const sim_options& options)
        : options_(options), random_(options.seed), commands_(options.seed ^ 0x5eed) {}

    sim_result run() {
        if (!start_directory()) return result_;
        while (result_.ok && result_.commands_submitted < options_.commands &&
               result_.epochs < epochs_max) {
            if (!recover_and_check()) break;
            run_epoch(plan_epoch(random_, options_.ends_allowed));
        }
        if (result_.ok) recover_and_check();  // the last epoch's crash, checked too
        return result_;
    }

  private:
    bool fail(const std::string& why) {
        result_.ok = false;
        result_.failure = fmt::format("seed {} epoch {}: {}", options_.seed, result_.epochs, why);
        return false;
    }

    // DIR and its manifest, as `ordo run` makes a new directory.
    bool start_directory() {
        if (auto made = journal::io::make_dirs_durable(disk_, sim_data_dir); !made) {
            return fail(made.error().message());
        }
        const journal::manifest fresh = engine::new_manifest(sim_tables, sim_segment_bytes);
        if (auto written = journal::write_manifest(sim_data_dir, fresh, disk_); !written) {
            return fail(written.error().message());
        }
        return true;
    }

    // The durable image recovered by the real recovery code, held against the reference
    // model; the history continues from what was recovered.
    bool recover_and_check() {
        std::error_code ignored;
        std::filesystem::remove_all(options_.scratch_dir, ignored);
        disk_.materialize(sim_data_dir, options_.scratch_dir);
        const std::uint64_t start_ns = base::monotonic_ns();
        auto recovered = engine::recover(options_.scratch_dir, sim_tables);
        result_.recovery_ns.push_back(base::monotonic_ns() - start_ns);
        if (!recovered) return fail("recovery refused the durable image: " + recovered.error());
        if (recovered->snapshot) result_.snapshots_used++;
        const std::uint64_t count = recovered->state->commands;
        if (count < acknowledged_) {
            result_.acknowledged_lost += acknowledged_ - count;
            return fail(fmt::format("{} acknowledged commands lost: recovered {}, acknowledged {}",
                                    acknowledged_ - count, count, acknowledged_));
        }
        if (count > history_.size()) {
            return fail(fmt::format("recovered {} commands, only {} were submitted", count,
                                    history_.size()));
        }
        reference_model reference;
        for (std::uint64_t i = 0; i < count; i++) reference.execute(history_[i]);
        const std::string expected = reference.state_json();
        const std::string actual = state_json(*recovered->state);
        if (actual != expected) {
            return fail(
                fmt::format("recovered state differs from the reference model after {} "
                            "commands:\n  recovered: {}\n  reference: {}",
                            count, actual, expected));
        }
        result_.unacknowledged_dropped += history_.size() - count;
        history_.resize(count);
        outcomes_.resize(count);
        acknowledged_ = count;  // what is recovered stays: the next epoch continues it
        live_ = std::move(reference);
        recovered_ = std::move(*recovered);
        return true;
    }

    void run_epoch(const epoch_plan& plan) {
        result_.epochs++;
        run_engine(plan);
        // The process is gone (its objects destroyed above); then the power goes.
        disk_.crash(plan.tear_bytes);
    }
    void run_engine(const epoch_plan& plan);

    const sim_options options_;
    seeded_random random_;
    command_generator commands_;
    journal::io::simulated_disk disk_;
    sim_result result_;
    std::vector<engine::command> history_;   // the journal's commands, in order
    std::vector<engine::outcome> outcomes_;  // the reference model's outcome of each
    std::uint64_t acknowledged_ = 0;         // history_[0, acknowledged_) must survive
    reference_model live_;                   // the reference after history_
    engine::recovery_result recovered_;
};

void simulation::run_engine(const epoch_plan& plan) {
    auto lock = disk_.lock_file(journal::data_dir_layout::lock(sim_data_dir), "pid 1 (drill sim)");
    if (!lock) {
        fail("cannot lock the directory after a crash: " + lock.error().message());
        return;
    }
    const journal::writer_options writer_options = engine::continuing_writer(
        {.segment_bytes = sim_segment_bytes,
         .batch_bytes_max = journal::batch_bytes_min,
         .backend = journal::io_backend_kind::simulated,
         .simulated_disk = &disk_},
        sim_data_dir, recovered_, *lock, journal::manifest_keeper::interval_ms_max);
    auto writer = journal::writer::open(writer_options, recovered_.position);
    if (!writer) {
        fail("cannot continue the recovered journal: " + writer.error().message());
        return;
    }
    engine::journal_sink sink(std::move(*writer));
    engine::snapshotter snapshots(
        engine::snapshot_options{
            .data_dir = sim_data_dir, .every_commands = plan.snapshot_every, .files = &disk_},
        sim_tables);
    engine::sequencer<base::spsc_ring> sequencer(
        *recovered_.state, sink,
        engine::sequencer_options{
            .command_ring_slots = 1024, .reply_ring_slots = 1024, .flush_delay_us = 0},
        &snapshots);
    const journal::io::simulated_faults faults = faults_of(plan, disk_, random_);
    disk_.set_faults(faults);
    sequencer.start();
    auto& producer = sequencer.producer_at(0);
    bool running = true;
    auto on_reply = [&](engine::reply r) {
        if (!result_.ok) return;
        if (r.command_sequence() != acknowledged_) {
            fail(fmt::format("reply for command {} when {} was next", r.command_sequence(),
                             acknowledged_));
        } else if (r.result() != outcomes_[acknowledged_]) {
            fail(fmt::format("command {} ({}): the engine said {}, the reference model {}",
                             acknowledged_, static_cast<int>(history_[acknowledged_].kind),
                             engine::outcome_name(r.result()),
                             engine::outcome_name(outcomes_[acknowledged_])));
        }
        acknowledged_++;
        result_.commands_acknowledged++;
    };
    for (std::uint32_t i = 0; i < plan.commands && running && result_.ok; i++) {
        if (result_.commands_submitted >= options_.commands) break;
        const engine::command c = commands_.next();
        history_.push_back(c);
        outcomes_.push_back(live_.execute(c));
        result_.commands_submitted++;
        // One command at a time: each batch holds one command, so a seed is exact.
        running = producer.submit(c, on_reply) && producer.drain(on_reply);
    }
    const bool clean = sequencer.stop();
    snapshots.stop();
    // Whether the disk reached the faulty write or sync: counted whether or not the engine
    // noticed, so a fault it missed is a failure, not a fault that never happened.
    const bool reached = (faults.fail_write_at != 0 && disk_.writes() >= faults.fail_write_at) ||
                         (faults.short_write_at != 0 && disk_.writes() >= faults.short_write_at) ||
                         (faults.fail_sync_at != 0 && disk_.syncs() >= faults.fail_sync_at);
    if (!clean && !reached) {
        fail("the engine failed with no fault injected: " + sequencer.failure());
    } else if (reached) {
        result_.faults_injected++;
        result_.ends[static_cast<std::uint32_t>(plan.end)]++;
        if (!clean && !sequencer.failure().empty()) {
            result_.faults_detected++;
        } else {
            fail(
                fmt::format("{} at batch {} of the epoch was not reported: the engine went on "
                            "acknowledging",
                            epoch_end_name(plan.end), plan.fault_at));
        }
    } else if (plan.end == epoch_end::close) {
        if (auto closed = sink.writer().close(); !closed) {
            fail("close failed with no fault injected: " + closed.error().message());
        }
        result_.ends[static_cast<std::uint32_t>(epoch_end::close)]++;
    } else {
        result_.ends[static_cast<std::uint32_t>(epoch_end::kill)]++;  // a fault that never came
    }
    const bool fired = reached;
    disk_.set_faults({});
    if (plan.tear_bytes && fired) result_.torn_writes++;
}

}  // namespace

sim_result run_sim(const sim_options& options) {
    ORDO_ASSERT(!options.scratch_dir.empty());
    ORDO_ASSERT(options.ends_allowed != 0);
    simulation sim(options);
    return sim.run();
}

}  // namespace ordo::tools::drill
