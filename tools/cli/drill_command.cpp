#include "tools/cli/drill_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "tools/cli/exit_codes.h"
#include "tools/cli/report_error.h"
#include "tools/cli/whole_number.h"
#include "tools/drill/drill_report.h"
#include "tools/drill/process_drills.h"
#include "tools/drill/sim_drills.h"

namespace ordo::tools {
namespace {

struct drill_flags {
    std::uint64_t seed = 1;
    std::uint64_t rounds = 0;
    std::uint32_t jobs = 1;
    std::string data;
    bool json = false;
};

struct drill_kind {
    const char* name;
    const char* help;
    std::function<drill::drill_report(const drill::drill_options&)> run;
};

// --data DIR, or a new temp directory; kept on failure (its path printed), removed after
// a passing drill that made it.
std::expected<std::filesystem::path, std::string> work_dir_of(const drill_flags& flags,
                                                              std::string_view kind) {
    if (!flags.data.empty()) {
        std::error_code error;
        std::filesystem::create_directories(flags.data, error);
        if (error)
            return std::unexpected("cannot create --data " + flags.data + ": " + error.message());
        return std::filesystem::path(flags.data);
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / fmt::format("ordo-drill-{}-XXXXXX", kind))
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return std::unexpected("cannot make a temp directory (set TMPDIR or give --data DIR)");
    }
    return std::filesystem::path(pattern);
}

int execute(const drill_kind& kind, const drill_flags& flags) {
    const std::string command = fmt::format("drill {}", kind.name);
    auto work_dir = work_dir_of(flags, kind.name);
    if (!work_dir) return report_error(command, work_dir.error(), exit_failure);
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        return report_error(command, "cannot find the ordo binary (/proc/self/exe)", exit_failure);
    const drill::drill_options options{
        .seed = flags.seed,
        .rounds = flags.rounds,
        .jobs = flags.jobs,
        .work_dir = *work_dir,
        .ordo_binary = self,
        .on_progress = [&command](std::uint64_t done, std::uint64_t rounds) {
            fmt::print(stderr, "ordo {}: {} of {} rounds\n", command, done, rounds);
        }};
    const drill::drill_report report = kind.run(options);
    if (flags.json) {
        fmt::print("{}\n", drill::report_json(report));
    } else {
        fmt::print("{}", drill::report_table(report));
    }
    if (!report.ok()) {
        fmt::print(stderr,
                   "ordo {}: FAILED with seed {} at round {}: {}; reproduce: {}; its "
                   "files are kept in {}\n",
                   command, report.seed, report.failing_round.value_or(0),
                   report.failure.value_or("a fault was missed or acknowledged commands lost"),
                   report.reproduce, work_dir->string());
        return exit_failure;
    }
    if (flags.data.empty()) std::filesystem::remove_all(*work_dir, error);
    return exit_ok;
}

const std::vector<drill_kind>& drill_kinds() {
    using drill::drill_options;
    static const std::vector<drill_kind> kinds = {
        {"crash",
         "kill -9 `ordo run` at a random instant of its run (paced in stopped slices so that "
         "most kills land mid-stream); every acknowledged command recovered, the state equal "
         "to an independent replay (default 100 rounds)",
         [](const drill_options& o) { return drill::run_crash_drill(o); }},
        {"torn",
         "cut the last segment at random byte offsets after a clean run: a cut into "
         "acknowledged batches is damage (exit 1), a cut after them a torn tail (default 200)",
         [](const drill_options& o) { return drill::run_torn_drill(o); }},
        {"rot",
         "flip random bits in journal segments, snapshots and the manifest: every flip "
         "detected or proven harmless, none applied (default 300 rounds)",
         [](const drill_options& o) { return drill::run_rot_drill(o); }},
        {"full",
         "ENOSPC on journal writes and fdatasyncs (simulated disk): the engine stops "
         "acknowledging, nothing acknowledged is lost, a restart continues (default 40 seeds)",
         [](const drill_options& o) {
             return drill::run_sim_drill(drill::sim_drill_kind::full, o);
         }},
        {"io-error",
         "EIO on journal writes and fdatasyncs, short writes (simulated disk): as full "
         "(default 40 seeds)",
         [](const drill_options& o) {
             return drill::run_sim_drill(drill::sim_drill_kind::io_error, o);
         }},
        {"misuse",
         "a second writer, a workload changed or truncated while read, files deleted or "
         "copied in from another directory: each refused or reported",
         [](const drill_options& o) { return drill::run_misuse_drill(o); }},
        {"sim",
         "the deterministic simulation: seeds --seed .. --seed + rounds - 1, each crashing and "
         "faulting the engine on the simulated disk, checked against a reference model "
         "(default 100 seeds)",
         [](const drill_options& o) {
             return drill::run_sim_drill(drill::sim_drill_kind::sim, o);
         }},
    };
    return kinds;
}

}  // namespace

void add_drill_command(CLI::App& app, std::function<int()>& run) {
    CLI::App* drill = app.add_subcommand(
        "drill",
        "Recovery drills: crash, corrupt and fault a data directory on purpose and "
        "check that nothing acknowledged is lost and all damage is reported");
    drill->require_subcommand(1);
    for (const drill_kind& kind : drill_kinds()) {
        auto flags = std::make_shared<drill_flags>();
        CLI::App* sub = drill->add_subcommand(kind.name, kind.help);
        sub->add_option("--seed", flags->seed, "Seed of the drill's random choices (default 1)")
            ->transform(whole_number);
        sub->add_option("--rounds", flags->rounds, "Rounds to run (default: the drill's)")
            ->transform(whole_number_in(1, 100'000'000));
        if (std::string_view(kind.name) == "sim" || std::string_view(kind.name) == "full" ||
            std::string_view(kind.name) == "io-error") {
            sub->add_option("--jobs", flags->jobs,
                            "Seeds run at once on as many threads (1..64, default 1); each seed "
                            "gives the same result either way")
                ->transform(whole_number_in(1, 64));
        }
        sub->add_option("--data", flags->data,
                        "Work directory (default: a new temp directory, kept only on failure)");
        sub->add_flag("--json", flags->json, "Print the report as one JSON object");
        sub->callback(
            [flags, &kind, &run] { run = [flags, &kind] { return execute(kind, *flags); }; });
    }
}

}  // namespace ordo::tools
