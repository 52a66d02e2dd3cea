#include "tools/cli/state_command.h"

#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "engine/recovery.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/open_engine.h"
#include "tools/cli/report_error.h"
#include "tools/cli/table_options.h"
#include "tools/cli/until_flags.h"
#include "tools/state_json.h"

namespace ordo::tools {
namespace {

struct state_flags {
    std::string data;
    bool no_snapshots = false;
    table_flags tables;
    until_flags until;
};

std::optional<engine::replay_stop> stop_of(const until_flags& until) {
    if (until.command) {
        return engine::replay_stop{.by = engine::replay_stop::kind::commands,
                                   .value = *until.command};
    }
    if (until.time_ms) {
        return engine::replay_stop{.by = engine::replay_stop::kind::time_ms,
                                   .value = *until.time_ms};
    }
    return std::nullopt;
}

int execute(const state_flags& flags) {
    if (!std::filesystem::is_directory(flags.data)) {
        return report_error("state", "--data " + flags.data + " is not a directory", exit_usage);
    }
    // No lock: a writer may be running; what it made durable is what is read.
    const auto contents = inspect_data_dir(flags.data);
    if (!contents) return report_error("state", contents.error().message, contents.error().exit_status);
    const auto options = resolve_tables(flags.data, *contents, flags.tables, engine::state_options{});
    if (!options) return report_error("state", options.error().message, options.error().exit_status);
    if (auto too_big = tables_do_not_fit(*options, false)) {
        return report_error("state", *too_big, exit_usage);
    }
    auto recovered = engine::recover(
        flags.data, *options,
        engine::recovery_options{.use_snapshots = !flags.no_snapshots,
                                 .on_progress = replay_progress_line("state"),
                                 .on_verify = verify_progress_line("state"),
                                 .until = stop_of(flags.until)});
    if (!recovered) return report_error("state", recovered.error(), exit_failure);
    if (flags.until.command && recovered->state->commands < *flags.until.command) {
        return report_error("state",
                            past_the_end_message(*flags.until.command,
                                                 recovered->state->commands),
                            exit_usage);
    }
    // A directory nothing ever ran in recovers to the empty state, as it should; but a
    // mistyped --data does too, so say so (stderr: stdout stays the state alone).
    if (!recovered->snapshot && recovered->records_replayed == 0 &&
        !std::filesystem::exists(engine::journal_dir(flags.data))) {
        fmt::print(stderr, "ordo state: --data {} holds no journal: the state is the empty one "
                           "(is this the directory ordo run or simulate wrote?)\n", flags.data);
    }
    for (const std::string& note : recovered->notes) fmt::print(stderr, "ordo state: {}\n", note);
    if (recovered->torn_tail) {
        fmt::print(stderr, "ordo state: cut a torn last batch: {}\n", *recovered->torn_tail);
    }
    fmt::print("{}\n", state_json(*recovered->state));
    return exit_ok;
}

}  // namespace

void add_state_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<state_flags>();
    CLI::App* sub = app.add_subcommand(
        "state", "Recover the state from a data directory (snapshot + journal) and print it as JSON");
    sub->add_option("--data", flags->data, "Data directory written by ordo run or simulate")
        ->required();
    sub->add_flag("--no-snapshots", flags->no_snapshots, "Replay the whole journal");
    add_table_flags(*sub, flags->tables);
    add_until_flags(*sub, flags->until);
    sub->callback([flags, &run] { run = [flags] { return execute(*flags); }; });
}

}  // namespace ordo::tools
