#include "tools/cli/run_command.h"

#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "engine/memory_sink.h"
#include "engine/ring/spsc_ring.h"
#include "engine/sequencer.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/report_error.h"
#include "tools/state_json.h"
#include "tools/workload/parser.h"

namespace ordo::tools {
namespace {

struct run_flags {
    std::string workload;
    std::string results;
    std::uint32_t conferences_max = engine::state_options{}.conferences_max;
    std::uint32_t reservations_max = engine::state_options{}.reservations_max;
};

// One JSON line per command (CONTRACT.md section 3), written as its reply arrives, which
// is after the command's batch is durable.
void write_result(std::FILE* out, std::uint32_t line, engine::outcome result) {
    if (engine::is_rejection(result)) {
        fmt::print(out, "{{\"line\":{},\"outcome\":\"rejected\",\"reason\":\"{}\"}}\n", line,
                   engine::outcome_name(result));
    } else {
        fmt::print(out, "{{\"line\":{},\"outcome\":\"{}\"}}\n", line,
                   engine::outcome_status_name(result));
    }
}

int execute(const run_flags& flags) {
    engine::state_options state_options{.conferences_max = flags.conferences_max,
                                        .reservations_max = flags.reservations_max};
    if (auto bad = engine::validate(state_options)) return report_error("run", *bad, exit_usage);
    // The whole file is checked before anything is sequenced: a bad file changes nothing.
    auto parsed = workload::parse_file(flags.workload);
    if (!parsed) {
        fmt::print(stderr, "{}\n", parsed.error());
        return exit_usage;
    }
    std::FILE* results = nullptr;
    if (!flags.results.empty()) {
        results = std::fopen(flags.results.c_str(), "w");
        if (results == nullptr) {
            return report_error("run", fmt::format("cannot write --results {}: {}", flags.results,
                                                   std::strerror(errno)),
                                exit_failure);
        }
    }
    auto state = std::make_unique<engine::booking_state>(state_options);
    engine::memory_sink sink(1 << 20);
    engine::sequencer<engine::spsc_ring> seq(*state,
                                             sink, engine::sequencer_options{});
    seq.start();
    auto& producer = seq.producer_at(0);
    std::size_t answered = 0;
    const std::vector<workload::workload_command>& commands = *parsed;
    auto on_reply = [&](engine::reply r) {
        ORDO_ASSERT(answered < commands.size());
        if (results != nullptr) write_result(results, commands[answered].line, r.result());
        answered++;
    };
    bool ok = true;
    for (const workload::workload_command& c : commands) ok = ok && producer.submit(c.command, on_reply);
    ok = ok && producer.drain(on_reply);
    ok = seq.stop() && ok;
    if (results != nullptr && std::fclose(results) != 0) {
        return report_error("run", fmt::format("cannot write --results {}", flags.results),
                            exit_failure);
    }
    if (!ok) return report_error("run", seq.failure(), exit_failure);
    fmt::print("{}\n", state_json(*state));
    return exit_ok;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<run_flags>();
    CLI::App* sub = app.add_subcommand(
        "run", "Sequence a workload file (JSON Lines) through the engine, in order");
    sub->add_option("--workload", flags->workload, "Workload file, one command per line")
        ->required();
    sub->add_option("--results", flags->results,
                    "Write one JSON line per command here, each after it is durable");
    sub->add_option("--conferences-max", flags->conferences_max, "Conference table capacity")
        ->check(CLI::Range(1u, engine::conferences_max_limit));
    sub->add_option("--reservations-max", flags->reservations_max, "Reservation table capacity")
        ->check(CLI::Range(1u, engine::reservations_max_limit));
    sub->callback([flags, &run] { run = [flags] { return execute(*flags); }; });
}

}  // namespace ordo::tools
