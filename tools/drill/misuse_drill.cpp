// ordo drill misuse: what a careless user does to a data directory, each one a round
// (the scenarios in turn; --rounds repeats them with fresh directories):
// - a second writer while one runs: refused (exit 1), naming the first one's pid;
// - a workload cut mid-line while ordo reads it (a FIFO whose writer stops): refused
//   (exit 2) with nothing written;
// - a workload file truncated, or rewritten in place, while ordo reads it (workload_race.h):
//   refused with nothing written (detected), or exactly the commands it read run and
//   reported (proven harmless), as predicted from when the change came;
// - DIR/manifest, a journal segment or the newest snapshot deleted;
// - a segment, a snapshot or the manifest copied in from another directory;
// - the followers' durable-end hint deleted or overwritten (proven harmless: never read).
// Each must be refused or reported naming the file (detected) or, where nothing can be
// lost, recovered exactly: a foreign snapshot with a note naming it (detected; without the
// note it is a failure), a deleted snapshot without one (proven harmless: the journal alone
// gives the exact state). Never silently accepted: an exit 0 with another state is a failure.
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "journal/data_dir.h"
#include "tools/drill/child_process.h"
#include "tools/drill/clean_run.h"
#include "tools/drill/data_dir_files.h"
#include "tools/drill/process_drills.h"
#include "tools/drill/recovery_check.h"
#include "tools/drill/seeded_random.h"
#include "tools/drill/workload_file.h"
#include "tools/drill/workload_race.h"

namespace ordo::tools::drill {

namespace {

constexpr std::uint64_t misuse_commands = 30'000;  // a few 1 MiB segments
constexpr std::uint64_t misuse_snapshot_every = 7'000;

struct misuse_context {
    const drill_options& options;
    std::filesystem::path dir;
    clean_dir a;  // the directory misused (a pristine copy is restored for each scenario)
    clean_dir b;  // another directory, the source of foreign files
    std::filesystem::path work;  // a fresh copy of a.data for the scenario
    seeded_random random;
    std::map<std::string, std::uint64_t> landings;  // workload races: when the change came
};

struct verdict {
    enum kind_t { detected, harmless, failed } kind = failed;
    std::string why;
};

process_result ordo(const misuse_context& c, std::vector<std::string> args, const char* name) {
    return run_process(c.options.ordo_binary, std::move(args), c.dir / name);
}

// Whether an exact recovery (exit 0, the whole state) passes after the damage: never (the
// damage must be refused), only with a note naming the file, or also without one.
enum class exact_passes : std::uint8_t { never, with_note, silently };

// After damage to `path`: refused naming it (a deleted file: refused, the message says
// what is missing), or (for snapshots) exact, as `exact` allows.
verdict judge_state(const misuse_context& c, const std::filesystem::path& path,
                    exact_passes exact_ok, bool deleted = false,
                    const std::string& or_mention = "\x01") {
    const process_result state = ordo(c, {"state", "--data", c.work.string()}, "state");
    const bool exact = state.exit_status == 0 && state.out == c.a.expected.states.back() + "\n";
    if (state.exit_status != 0 && state.exit_status != -1 &&
        (names(state.err, path) || state.err.find(or_mention) != std::string::npos ||
         (deleted && state.err.find("missing") != std::string::npos))) {
        return {verdict::detected, ""};
    }
    if (exact && exact_ok != exact_passes::never && names(state.err, path)) {
        return {verdict::detected, ""};
    }
    if (exact && exact_ok == exact_passes::silently) return {verdict::harmless, ""};
    return {verdict::failed,
            fmt::format("ordo state exit {}{}: {}", state.exit_status,
                        state.exit_status == 0 && !exact ? " with ANOTHER state" : "", state.err)};
}

verdict second_writer(const misuse_context& c) {
    const std::filesystem::path busy = c.dir / "busy";
    std::filesystem::remove_all(busy);
    const pid_t first = start_process(c.options.ordo_binary,
                                      {"simulate", "--data", busy.string(), "--seconds", "20"},
                                      c.dir / "first.log");
    const std::filesystem::path lock = journal::data_dir_layout::lock(busy);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (read_text(lock).find("pid") == std::string::npos && !has_exited(first) &&
           std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::filesystem::path workload = c.dir / "small.jsonl";
    write_workload(workload, std::span(c.a.commands).first(10));
    const process_result second =
        ordo(c, {"run", "--data", busy.string(), "--workload", workload.string()}, "second");
    kill_process(first);
    if (second.exit_status == 1 &&
        second.err.find(fmt::format("pid {}", first)) != std::string::npos) {
        return {verdict::detected, ""};
    }
    return {verdict::failed,
            fmt::format("the second writer: exit {}: {}", second.exit_status, second.err)};
}

verdict workload_cut_mid_line(const misuse_context& c) {
    const std::filesystem::path fifo = c.dir / "workload.fifo";
    std::filesystem::remove(fifo);
    if (::mkfifo(fifo.c_str(), 0600) != 0) return {verdict::failed, "mkfifo failed"};
    const std::filesystem::path fresh = c.dir / "fresh";
    std::filesystem::remove_all(fresh);
    std::string text;
    for (std::size_t i = 0; i < 500; i++) text += command_json_line(c.a.commands[i]) + "\n";
    text.resize(text.size() / 2 + 7);  // stops mid-line (a line is far shorter than half)
    if (text.back() == '\n') text.pop_back();
    std::thread feeder([&] {
        const int fd = ::open(fifo.c_str(), O_WRONLY);
        if (fd < 0) return;
        std::size_t written = 0;
        while (written < text.size()) {
            const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
            if (n <= 0) break;
            written += static_cast<std::size_t>(n);
        }
        ::close(fd);
    });
    const process_result run =
        ordo(c, {"run", "--data", fresh.string(), "--workload", fifo.string()}, "cut");
    feeder.join();
    const bool nothing = !std::filesystem::exists(journal::data_dir_layout::journal(fresh)) ||
                         files_ending(journal::data_dir_layout::journal(fresh), ".journal").empty();
    if (run.exit_status == 2 && nothing) return {verdict::detected, ""};
    return {verdict::failed,
            fmt::format("a workload cut mid-line: exit {}, journal written: {}: {}",
                        run.exit_status, !nothing, run.err)};
}

// The misuse drill's workload race: a's commands, rewritten with some of b's.
verdict workload_race_round(misuse_context& c, workload_change change) {
    constexpr std::size_t rewrite_commands = 2000;
    const workload_race race{
        .ordo_binary = c.options.ordo_binary,
        .dir = c.dir,
        .commands = c.a.commands,
        .expected = &c.a.expected,
        .others = std::span(c.b.commands).first(std::min(rewrite_commands, c.b.commands.size()))};
    const race_verdict v = run_workload_race(race, change, c.random);
    c.landings[(change == workload_change::truncate ? "truncated " : "rewritten ") + v.landing +
               (v.refused ? ": refused" : ": ran what it read")]++;
    if (!v.passed) return {verdict::failed, v.why};
    return {v.refused ? verdict::detected : verdict::harmless, ""};
}

std::filesystem::path journal_file(const std::filesystem::path& data, std::size_t index) {
    auto segments = files_ending(journal::data_dir_layout::journal(data), ".journal");
    return segments.empty() ? std::filesystem::path{}
                            : segments[std::min(index, segments.size() - 1)];
}

std::filesystem::path newest_snapshot(const std::filesystem::path& data) {
    auto snapshots = files_ending(journal::data_dir_layout::snapshots(data), ".snap");
    return snapshots.empty() ? std::filesystem::path{} : snapshots.back();
}

struct scenario {
    const char* name;
    std::function<verdict(misuse_context&)> run;
};

std::vector<scenario> scenarios() {
    namespace layout = journal;
    return {
        {"second writer", second_writer},
        {"workload cut mid-line while read", workload_cut_mid_line},
        {"workload truncated while it is read",
         [](misuse_context& c) { return workload_race_round(c, workload_change::truncate); }},
        {"workload changed while it is read",
         [](misuse_context& c) { return workload_race_round(c, workload_change::rewrite); }},
        {"manifest deleted",
         [](misuse_context& c) {
             const auto path = layout::data_dir_layout::manifest(c.work);
             std::filesystem::remove(path);
             return judge_state(c, path, exact_passes::never, true);
         }},
        {"first segment deleted",
         [](misuse_context& c) {
             const auto path = journal_file(c.work, 0);
             std::filesystem::remove(path);
             return judge_state(c, path, exact_passes::never, true);
         }},
        {"last segment deleted",
         [](misuse_context& c) {
             const auto path = journal_file(c.work, 1'000'000);
             std::filesystem::remove(path);
             return judge_state(c, path, exact_passes::never, true);
         }},
        {"newest snapshot deleted",
         [](misuse_context& c) {
             const auto path = newest_snapshot(c.work);
             std::filesystem::remove(path);
             return judge_state(c, path, exact_passes::silently);
         }},
        {"segment copied in from another directory",
         [](misuse_context& c) {
             const auto path = journal_file(c.work, 0);
             std::filesystem::copy_file(journal_file(c.b.data, 0), path,
                                        std::filesystem::copy_options::overwrite_existing);
             // A foreign segment 0 is itself a well-formed start of a journal: the damage
             // shows where the next segment does not continue it.
             return judge_state(c, path, exact_passes::never, false, ".journal at byte");
         }},
        {"snapshot copied in from another directory",
         [](misuse_context& c) {
             const auto foreign = newest_snapshot(c.b.data);
             const auto path = journal::data_dir_layout::snapshots(c.work) / foreign.filename();
             std::filesystem::copy_file(foreign, path,
                                        std::filesystem::copy_options::overwrite_existing);
             // Older than DIR's own newest (so never loaded) or newer (tried first): the
             // note names it either way.
             return judge_state(c, path, exact_passes::with_note);
         }},
        {"manifest copied in from another directory",
         [](misuse_context& c) {
             const auto path = layout::data_dir_layout::manifest(c.work);
             std::filesystem::copy_file(layout::data_dir_layout::manifest(c.b.data), path,
                                        std::filesystem::copy_options::overwrite_existing);
             return judge_state(c, path, exact_passes::never);
         }},
        // The followers' hint is never an authority: recovery does not read it.
        {"durable-end hint deleted",
         [](misuse_context& c) {
             const auto path = layout::data_dir_layout::durable_hint(c.work);
             std::filesystem::remove(path);
             return judge_state(c, path, exact_passes::silently);
         }},
        {"durable-end hint overwritten with garbage",
         [](misuse_context& c) {
             const auto path = layout::data_dir_layout::durable_hint(c.work);
             std::string garbage(4096, '\0');
             for (std::size_t i = 0; i < garbage.size(); i++) {
                 garbage[i] = static_cast<char>(i * 131 + 7);
             }
             std::ofstream(path, std::ios::binary | std::ios::trunc) << garbage;
             return judge_state(c, path, exact_passes::silently);
         }},
    };
}

}  // namespace

drill_report run_misuse_drill(const drill_options& options) {
    drill_report report{.kind = "misuse", .seed = options.seed};
    report.notes.push_back(
        "detected = refused or reported naming the file (a foreign snapshot: "
        "recovered exactly with a note naming it); proven harmless = the newest "
        "snapshot deleted, or the durable-end hint deleted or garbage, the state exact "
        "without a note");
    report.notes.push_back(
        "workload truncated or changed while read: detected = refused (exit 2, "
        "nothing written) as predicted; proven harmless = ran exactly the commands "
        "of the bytes it read, as predicted (a cut at a line's start is a shorter "
        "workload: no reader can tell; bytes changed after ordo read them are "
        "never read again)");
    const std::vector<scenario> all = scenarios();
    const std::uint64_t rounds = options.rounds > 0 ? options.rounds : all.size();
    const auto reproduce =
        fmt::format("ordo drill misuse --seed {} --rounds {}", options.seed, rounds);
    const std::filesystem::path dir = options.work_dir / "misuse";
    auto a = make_clean_dir(options.ordo_binary, dir / "a", options.seed, misuse_commands,
                            misuse_snapshot_every);
    auto b = make_clean_dir(options.ordo_binary, dir / "b", options.seed + 1, misuse_commands,
                            misuse_snapshot_every);
    if (!a || !b) {
        report.fail(0, !a ? a.error() : b.error(), reproduce);
        return report;
    }
    misuse_context context{.options = options,
                           .dir = dir,
                           .a = std::move(*a),
                           .b = std::move(*b),
                           .work = dir / "work",
                           .random = seeded_random(options.seed)};
    progress_ticker progress(options);
    for (std::uint64_t round = 0; round < rounds && !report.failure; round++) {
        const scenario& s = all[round % all.size()];
        std::filesystem::remove_all(context.work);
        std::filesystem::copy(context.a.data, context.work,
                              std::filesystem::copy_options::recursive);
        std::filesystem::remove(journal::data_dir_layout::lock(context.work));
        const verdict v = s.run(context);
        report.rounds++;
        report.injected[s.name]++;
        if (v.kind == verdict::detected) report.detected++;
        if (v.kind == verdict::harmless) report.harmless++;
        if (v.kind == verdict::failed)
            report.fail(round, std::string(s.name) + ": " + v.why, reproduce);
        progress.tick(round + 1, rounds);
    }
    for (const auto& [landing, count] : context.landings) {
        report.notes.push_back(fmt::format("workload {}: {}", landing, count));
    }
    return report;
}

}  // namespace ordo::tools::drill
