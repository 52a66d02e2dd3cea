#include "tools/cli/run_command.h"

#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "engine/ring/spsc_ring.h"
#include "engine/sequencer.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/open_engine.h"
#include "tools/cli/report_error.h"
#include "tools/state_json.h"
#include "tools/workload/parser.h"

namespace ordo::tools {
namespace {

struct run_flags {
    std::string workload;
    std::string results;
    engine_options engine;
    std::string durability = "fdatasync";
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
    engine_options options = flags.engine;
    options.mode = durability_from_name(flags.durability).value_or(durability::fdatasync);
    if (options.mode != durability::none && options.data_dir.empty()) {
        return report_error("run", "--data DIR is required (or --durability none)", exit_usage);
    }
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
    auto opened = open_engine("run", options);
    if (!opened) {
        if (results != nullptr) std::fclose(results);
        return report_error("run", opened.error(), exit_failure);
    }
    engine::booking_state& state = *opened->state;
    const std::uint64_t commands_before = state.commands;
    engine::sequencer<engine::spsc_ring> seq(state, *opened->sink, engine::sequencer_options{},
                                             opened->snapshots.get());
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
    if (opened->snapshots) {
        if (const std::string error = opened->snapshots->stop(); !error.empty()) {
            return report_error("run", "snapshot not written: " + error, exit_failure);
        }
    }
    // Quiet on success, like any Unix tool; the state is printed only when nothing else
    // keeps it.
    if (options.mode == durability::none) fmt::print("{}\n", state_json(state));
    ORDO_ASSERT(state.commands - commands_before == answered);
    return exit_ok;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<run_flags>();
    CLI::App* sub = app.add_subcommand(
        "run", "Sequence a workload file (JSON Lines) through the engine, in order");
    sub->add_option("--workload", flags->workload, "Workload file, one command per line")
        ->required();
    add_engine_flags(*sub, flags->engine, flags->durability);
    sub->add_option("--results", flags->results,
                    "Write one JSON line per command here, each after it is durable");
    add_table_flags(*sub, flags->engine.tables);
    sub->callback([flags, &run] { run = [flags] { return execute(*flags); }; });
}

}  // namespace ordo::tools
