// ordo: the command line of the engine. Each subcommand lives in tools/cli/ and registers
// its flags here; errors are one line on stderr and a non-zero exit (tools/cli/exit_codes.h).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <functional>

#include "tools/cli/drill_command.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/follow_command.h"
#include "tools/cli/journal_command.h"
#include "tools/cli/parse_error.h"
#include "tools/cli/query_command.h"
#include "tools/cli/run_command.h"
#include "tools/cli/simulate_command.h"
#include "tools/cli/state_command.h"

int main(int argc, char** argv) {
    CLI::App app{"ordo: a single-writer event-sourcing engine for conference seat booking",
                 "ordo"};
    app.require_subcommand(1);
    std::function<int()> run;
    ordo::tools::add_simulate_command(app, run);
    ordo::tools::add_run_command(app, run);
    ordo::tools::add_state_command(app, run);
    ordo::tools::add_journal_command(app, run);
    ordo::tools::add_query_command(app, run);
    ordo::tools::add_follow_command(app, run);
    ordo::tools::add_drill_command(app, run);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        fmt::print(stderr, "{}\n", ordo::tools::parse_error_line(app, error, argc, argv));
        return ordo::tools::exit_usage;
    }
    return run ? run() : ordo::tools::exit_usage;
}
