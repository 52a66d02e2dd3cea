#include "tools/cli/simulate_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>
#include <nlohmann/json.hpp>

#include "journal/limits.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/interrupt.h"
#include "tools/cli/open_engine.h"
#include "tools/cli/report_error.h"
#include "tools/cli/whole_number.h"
#include "tools/simulate/readers.h"
#include "tools/simulate/simulation.h"

namespace ordo::tools {
namespace {

struct simulate_flags {
    std::uint32_t producers = 1;
    std::uint64_t commands = 0;
    double seconds = 0;
    std::string ring = "own";
    std::uint64_t seed = 1;
    bool json = false;
    bool no_pin = false;
    std::uint32_t reservations_max = 0;  // 0: sized from the market (reservations_for)
    std::uint32_t readers = 0;  // in-process projections fed the durable batches
    std::uint64_t rate_per_s = 0;
    load_options load;
    engine_options engine;
    std::string durability;  // empty: resolve_durability decides
};

constexpr std::uint64_t commands_default = 10'000'000;
// A timed run: a millisecond at least (a shorter one measures nothing), a day at most.
constexpr double seconds_min = 0.001;
constexpr double seconds_max = 86'400;
// --conferences and --hot-conferences: the load's conference ids are 1..N.
constexpr std::uint64_t conferences_load_max = 1u << 22;
// A run this long takes half a day at 25 M/s: a larger count is a typo.
constexpr std::uint64_t commands_max = 1'000'000'000'000;
constexpr std::uint32_t reservations_max_default_cap = 1u << 25;
// A generous guess of the commands/s one run does, to size tables for timed runs.
constexpr std::uint64_t commands_per_s_guess = 30'000'000;

// The commands a run is sized for: --commands, or --seconds at a generous guess of the rate.
std::uint64_t commands_for(const simulate_flags& flags) {
    return flags.commands > 0 ? flags.commands
                              : static_cast<std::uint64_t>(flags.seconds * commands_per_s_guess);
}

std::uint32_t reservations_for(const simulate_flags& flags) {
    if (flags.reservations_max != 0) return flags.reservations_max;
    // Only live reservations keep a record (held, or confirmed in a sale still open), so
    // the market's shape bounds the table, not the run's length: each producer has at most
    // `conferences` sales open of `seat_types` x capacity_max seats (twice that for the
    // seats organisers add), and a reservation takes at least one seat. A short run needs
    // no more than one booking a command.
    const std::uint64_t live_max = std::uint64_t{flags.producers} * flags.load.conferences *
                                       flags.load.seat_types * flags.load.capacity_max * 2 +
                                   65'536;
    const std::uint64_t wanted = std::min(commands_for(flags) / 2 + 65'536, live_max);
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(wanted, reservations_max_default_cap));
}

// Every sale the producers' markets may open over the run (closed ones keep their record).
std::uint32_t conferences_for(const simulate_flags& flags) {
    const std::uint64_t per_producer = commands_for(flags) / flags.producers + 1;
    const std::uint64_t wanted =
        conferences_created_max(flags.load, per_producer) * flags.producers;
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(wanted, engine::conferences_max_limit));
}

// The first, median and last whole second's rate, so a run that slows down shows it.
void print_per_second(const simulate_result& r) {
    if (r.per_second.empty()) return;
    std::vector<std::uint64_t> sorted = r.per_second;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    fmt::print("per second    first {:.2f}, median {:.2f}, last {:.2f} M commands/s ({} s)\n",
               r.per_second.front() / 1e6, sorted[sorted.size() / 2] / 1e6,
               r.per_second.back() / 1e6, r.per_second.size());
}

// Per reader: what it applied and how far behind the durable end it was after each batch.
nlohmann::ordered_json readers_json(const std::vector<reader_report>& readers) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const reader_report& r : readers) {
        list.push_back({{"projection", r.projection},
                        {"batches", r.batches},
                        {"records", r.records},
                        {"commands", r.commands},
                        {"lag_us_p50", r.lag.us.quantile(0.5)},
                        {"lag_us_p99", r.lag.us.quantile(0.99)},
                        {"lag_us_max", r.lag.us.max()},
                        {"lag_records_p50", r.lag.records.quantile(0.5)},
                        {"lag_records_p99", r.lag.records.quantile(0.99)},
                        {"lag_records_max", r.lag.records.max()}});
    }
    return list;
}

void print_readers(const std::vector<reader_report>& readers) {
    for (const reader_report& r : readers) {
        fmt::print("reader        {:<12} {} records, lag p50/p99/max {}/{}/{} us, "
                   "{}/{}/{} records\n",
                   r.projection, r.records, r.lag.us.quantile(0.5), r.lag.us.quantile(0.99),
                   r.lag.us.max(), r.lag.records.quantile(0.5), r.lag.records.quantile(0.99),
                   r.lag.records.max());
    }
}

void print_summary(const simulate_flags& flags, const simulate_result& r,
                   std::uint32_t reservations_max, const std::vector<reader_report>& readers) {
    const double rate = r.seconds > 0 ? r.commands / r.seconds : 0;
    if (flags.json) {
        nlohmann::ordered_json outcomes = nlohmann::ordered_json::object();
        for (std::uint32_t o = 0; o < engine::outcome_count; o++) {
            const auto name = engine::outcome_name(static_cast<engine::outcome>(o));
            outcomes[std::string(name)] = r.outcomes[o];
        }
        const nlohmann::ordered_json summary = {
            {"commands", r.commands},       {"seconds", r.seconds},
            {"commands_per_s", rate},       {"producers", flags.producers},
            {"ring", flags.ring},           {"durability", flags.durability},
            {"seed", flags.seed},           {"outcomes", outcomes},
            {"setup_commands", r.setup_commands},
            {"live_reservations", r.live_reservations},
            {"reservation_records", r.reservation_records},
            {"reservations_max", reservations_max},
            {"batches", r.batches},         {"record_bytes", r.record_bytes},
            {"sink_publish_seconds", r.sink_publish_seconds},
            {"sink_claim_wait_seconds", r.sink_claim_wait_seconds},
            {"snapshots", r.snapshots},
            {"snapshot_pause_ms_max", r.snapshot_pause_ns_max / 1e6},
            {"snapshot_pause_ms_p50", r.snapshot_pause_ns_p50 / 1e6},
            {"snapshot_copied_chunks", r.snapshot_chunks},
            {"sequencer_stall_ms_max", r.sequencer_round_ns_max / 1e6},
            {"max_rss_bytes", r.max_rss_bytes},
            {"per_second", r.per_second},
            {"rss_bytes_per_second", r.rss_bytes_per_second},
            {"interrupted", r.interrupted_by != 0},
            {"readers", readers_json(readers)}};
        fmt::print("{}\n", summary.dump());
        return;
    }
    if (r.interrupted_by != 0) {
        fmt::print("interrupted   by {}: the load stopped, every command sent was answered\n",
                   watched_signal_name(r.interrupted_by));
    }
    fmt::print("commands      {} in {:.3f} s\n", r.commands, r.seconds);
    fmt::print("throughput    {:.2f} M commands/s\n", rate / 1e6);
    fmt::print("producers     {} (ring: {}, durability: {})\n", flags.producers, flags.ring,
               flags.durability);
    fmt::print("outcomes\n");
    for (std::uint32_t o = 0; o < engine::outcome_count; o++) {
        if (r.outcomes[o] == 0) continue;
        const auto result = static_cast<engine::outcome>(o);
        fmt::print("  {:<20} {:>12}  {:5.1f}%\n", engine::outcome_name(result), r.outcomes[o],
                   100.0 * r.outcomes[o] / std::max<std::uint64_t>(r.commands, 1));
    }
    fmt::print("live reservations {} at the end, {} at most (table limit {})\n",
               r.live_reservations, r.reservation_records, reservations_max);
    fmt::print("batches       {} ({:.1f} MB of records)\n", r.batches, r.record_bytes / 1e6);
    print_per_second(r);
    print_readers(readers);
    fmt::print("memory        {:.1f} MB peak resident\n", r.max_rss_bytes / 1e6);
    fmt::print("longest pause {:.3f} ms (the sequencer's slowest round, any cause)\n",
               r.sequencer_round_ns_max / 1e6);
    if (r.snapshots > 0) {
        fmt::print("snapshots     {} (starting one paused the sequencer {:.3f} ms at most, "
                   "{:.3f} ms p50)\n",
                   r.snapshots, r.snapshot_pause_ns_max / 1e6, r.snapshot_pause_ns_p50 / 1e6);
    }
}

int execute(simulate_flags flags) {
    // From here on Ctrl-C ends the run with its summary (one during start-up: right after
    // the conferences are set up).
    const interrupt_watch watch;
    if (flags.commands > 0 && flags.seconds > 0) {
        return report_error("simulate", "give --commands or --seconds, not both", exit_usage);
    }
    if (flags.commands == 0 && flags.seconds == 0) flags.commands = commands_default;
    const auto ring = base::ring_kind_from_name(flags.ring);
    if (!ring) return report_error("simulate", "--ring must be own or boost", exit_usage);
    if (auto bad = validate(flags.load)) return report_error("simulate", *bad, exit_usage);
    simulate_options options;
    options.commands = flags.commands;
    options.seconds = flags.seconds;
    options.rate_per_s = flags.rate_per_s;
    options.ring = *ring;
    options.load = flags.load;
    options.interrupted = &interrupt_watch::signal();
    options.load.seed = flags.seed;
    options.state = engine::state_options{.conferences_max = conferences_for(flags),
                                          .reservations_max = reservations_for(flags)};
    options.sequencer.producers = flags.producers;
    options.sequencer.flush_delay_us = flags.engine.flush_delay_us;
    if (auto bad = engine::validate(options.state)) {
        return report_error("simulate", *bad, exit_usage);
    }
    if (auto bad = engine::validate(options.sequencer)) {
        return report_error("simulate", *bad, exit_usage);
    }
    const bool show_progress = !flags.json || isatty(STDERR_FILENO);
    options.on_progress = [&](const simulate_progress& p) {
        if (!show_progress) return;
        fmt::print(stderr, "ordo simulate: {:.1f} s, {} commands, {:.2f} M/s\n", p.seconds,
                   p.commands, p.commands / p.seconds / 1e6);
    };
    engine_options engine = flags.engine;
    const auto mode = resolve_durability(flags.durability, engine.data_dir, durability::none);
    if (!mode) return report_error("simulate", mode.error(), exit_usage);
    engine.mode = *mode;
    flags.durability = durability_name(*mode);  // the summary names the mode that ran
    if (!flags.no_pin) options.sequencer.pin_cpu = pinned_sequencer_cpu(flags.producers);
    engine.sequencer_cpu = options.sequencer.pin_cpu;
    engine.state = options.state;
    // In-process readers take batches from the writer's buffers: all it may keep, so that a
    // reader descheduled for a few ms does not hold the writer back.
    if (flags.readers > 0) engine.batch_buffers = journal::batch_buffers_max;
    auto opened = open_engine("simulate", engine);
    if (!opened) {
        return report_error("simulate", opened.error().message, opened.error().exit_status);
    }
    if (opened->state->commands > 0) {
        return report_error("simulate",
                            "--data holds a history already: simulate needs a new directory "
                            "(its market opens its own conferences from id 1)",
                            exit_usage);
    }
    if (flags.readers > 0 && opened->writer == nullptr) {
        return report_error("simulate",
                            "--readers needs a journal (--data DIR): readers see durable batches",
                            exit_usage);
    }
    opened->state->prefault();  // page faults belong to start-up, not to the measured run
    options.snapshots = opened->snapshots.get();
    // After `opened`: the readers stop before the writer whose buffers they read goes.
    std::optional<in_process_readers> readers;
    if (flags.readers > 0) {
        readers.emplace(*opened->writer, flags.readers, 1, options.sequencer.pin_cpu);
    }
    const simulate_result result = run_simulation(options, *opened->state, *opened->sink);
    if (!result.failure.empty()) return report_error("simulate", result.failure, exit_failure);
    if (auto closed = close_engine(*opened); !closed) {
        return report_error("simulate", closed.error(), exit_failure);
    }
    std::vector<reader_report> reports;
    if (readers.has_value()) reports = readers->finish();
    for (const reader_report& r : reports) {
        if (!r.failure.empty()) {
            return report_error("simulate", "reader " + r.projection + ": " + r.failure,
                                exit_failure);
        }
    }
    print_summary(flags, result, options.state.reservations_max, reports);
    return result.interrupted_by != 0 ? exit_status_after(result.interrupted_by) : exit_ok;
}

// The market's shape (tools/simulate/load_generator.h); validate() checks how they relate.
void add_market_flags(CLI::App& sub, load_options& load) {
    sub.add_option("--conferences", load.conferences,
                   "Conferences on sale at once, at most, per producer (1..4096, default 32): a "
                   "new one opens when a hot one sells out")
        ->transform(whole_number_in(1, 4096));
    sub.add_option("--hot-conferences", load.hot_conferences,
                   "The newest conferences on sale, taking 90% of new bookings (default 4)")
        ->transform(whole_number_in(1, 4096));
    sub.add_option("--seat-types", load.seat_types, "Seat types per conference (1..3, default 3)")
        ->transform(whole_number_in(1, engine::header_items));
    sub.add_option("--capacity-min", load.capacity_min,
                   "Fewest seats of a type in a new conference (default 100)")
        ->transform(whole_number_in(1, engine::capacity_max));
    sub.add_option("--capacity-max", load.capacity_max,
                   "Most seats of a type in a new conference (default 10000; drawn log-uniformly "
                   "between the two)")
        ->transform(whole_number_in(1, engine::capacity_max));
    sub.add_option("--hold-ttl-ms", load.hold_ttl_ms,
                   "Hold time in simulated ms (1000..86400000, default 300000: 5 minutes at 64 "
                   "commands a ms)")
        ->transform(whole_number_in(engine::hold_ttl_ms_min, engine::hold_ttl_ms_max));
    sub.add_option("--pay-ms", load.pay_ms,
                   "Simulated ms from a hold to its payment (confirm) or drop (cancel) "
                   "(default 5000)")
        ->transform(whole_number_in(1, engine::hold_ttl_ms_max));
    sub.add_option("--sale-ms", load.sale_ms,
                   "A sale closes (close_conference) 0.5-1.5x this many simulated ms after it "
                   "opened (default 7200000: 2 hours; 0: never)")
        ->transform(whole_number);
}

}  // namespace

void add_simulate_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<simulate_flags>();
    CLI::App* sub = app.add_subcommand(
        "simulate", "Drive a generated ticket-sale booking load through the engine and measure it");
    sub->add_option("--producers", flags->producers, "Producer threads, one ring each (1..16)")
        ->transform(whole_number_in(1, engine::producers_max));
    sub->add_option("--commands", flags->commands,
                    "Commands to run over all producers (1..1000000000000, default 10000000)")
        ->transform(whole_number_in(1, commands_max));
    sub->add_option("--seconds", flags->seconds,
                    "Run for this long instead of a count (0.001..86400)")
        ->check(finite_number_in(seconds_min, seconds_max));
    sub->add_option("--ring", flags->ring, "Ring implementation: own or boost")
        ->check(CLI::IsMember({"own", "boost"}));
    sub->add_option("--seed", flags->seed, "Seed of the load (same seed, same commands)")
        ->transform(whole_number);
    sub->add_flag("--json", flags->json, "Print the summary as one JSON object");
    sub->add_flag("--no-pin", flags->no_pin, "Do not pin threads to CPUs");
    add_market_flags(*sub, flags->load);
    sub->add_option("--reservations-max", flags->reservations_max,
                    "Live reservations the table holds (default: sized from the market's "
                    "shape and the run)")
        ->transform(whole_number_in(1, engine::reservations_max_limit));
    sub->add_option("--readers", flags->readers,
                    "In-process projections fed the durable batches (0..4, default 0: "
                    "availability, customers, sales, history in that order); each one's lag "
                    "behind the durable end is printed. Needs --data")
        ->transform(whole_number_in(0, in_process_readers::readers_max));
    sub->add_option("--rate", flags->rate_per_s,
                    "Commands per second over all producers, sent at even intervals (open "
                    "loop; default 0: as fast as the engine answers)")
        ->transform(whole_number_in(0, commands_per_s_guess));
    add_engine_flags(*sub, flags->engine, flags->durability, durability::none);
    sub->callback([flags, &run] { run = [flags] { return execute(*flags); }; });
}

}  // namespace ordo::tools
