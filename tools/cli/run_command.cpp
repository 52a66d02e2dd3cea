#include "tools/cli/run_command.h"

#include <fmt/core.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "base/ring/spsc_ring.h"
#include "base/clock.h"
#include "engine/sequencer.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/interrupt.h"
#include "tools/cli/open_engine.h"
#include "tools/cli/report_error.h"
#include "tools/cli/results_file.h"
#include "tools/state_json.h"
#include "tools/workload/parser.h"

namespace ordo::tools {
namespace {

struct run_flags {
    std::string workload;
    std::string results;
    engine_options engine;
    std::string durability;  // empty: resolve_durability decides
};

// Line numbers of the commands submitted and not yet answered, in order: replies come back
// in submission order, so the oldest one names the next reply's line.
class line_queue {
public:
    explicit line_queue(std::uint32_t capacity) : lines_(capacity) {}
    void push(std::uint32_t line) noexcept {
        ORDO_ASSERT(count_ < lines_.size());
        lines_[(head_ + count_++) % lines_.size()] = line;
    }
    std::uint32_t pop() noexcept {
        ORDO_ASSERT(count_ > 0);
        const std::uint32_t line = lines_[head_];
        head_ = (head_ + 1) % lines_.size();
        count_--;
        return line;
    }

private:
    std::vector<std::uint32_t> lines_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

struct run_totals {
    std::uint64_t answered = 0;
    int interrupted_by = 0;   // a signal stopped the run before the workload's end
    std::string spool_error;  // the checked copy could not be read back
};

// Streams the checked copy of the workload through one producer, writing each result
// line as its reply arrives, with a progress line every second on long runs. Stops
// submitting (and finishes what was sent) on a signal, a failed engine or a results file
// that can no longer be written.
template <class Sequencer>
bool sequence_workload(Sequencer& seq, workload::command_spool& spool, results_file* results,
                       run_totals& totals) {
    const engine::sequencer_options defaults{};
    auto& producer = seq.producer_at(0);
    line_queue lines(defaults.reply_ring_slots);
    auto on_reply = [&](engine::reply r) {
        const std::uint32_t line = lines.pop();
        if (results != nullptr) results->write(line, r.result());
        totals.answered++;
    };
    const std::uint64_t total = spool.command_count();
    const std::uint64_t start_ns = base::monotonic_ns();
    std::uint64_t next_report_ns = start_ns + 1'000'000'000ull;
    std::uint64_t submitted = 0;
    bool ok = true;
    workload::workload_command c{};
    while (ok) {
        totals.interrupted_by = interrupt_watch::signal().load(std::memory_order_relaxed);
        if (totals.interrupted_by != 0) break;  // those before it still finish
        if (results != nullptr && results->failed()) break;
        const auto got = spool.next(c);
        if (!got) {
            totals.spool_error = got.error();
            break;
        }
        if (!*got) break;
        ok = producer.submit(c.command, on_reply);
        // Queued after the submit: while it waits for room, the window (and so the queue)
        // is full, and its reply cannot come before the submit returns.
        if (ok) lines.push(c.line);
        // submit takes replies only when it has to wait for room: without this, a
        // workload smaller than the reply ring would report nothing until its end.
        if ((++submitted & 63) == 0) producer.poll_replies(on_reply);
        if ((submitted & 4095) == 0 && base::monotonic_ns() >= next_report_ns) {
            fmt::print(stderr, "ordo run: {} of {} commands sequenced\n", totals.answered, total);
            next_report_ns += 1'000'000'000ull;
        }
    }
    ok = producer.drain(on_reply) && ok;
    return seq.stop() && ok;
}

// The spool goes where temporary files go ($TMPDIR, else /tmp): it is as large as the
// workload's commands (72 bytes each for most), so that must be a disk with room.
std::filesystem::path spool_dir() {
    const char* const tmpdir = std::getenv("TMPDIR");
    return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

// Whether two stats name one file that writing would clobber: a regular file or a FIFO
// (a terminal or /dev/null may well be both the input and the output).
bool same_file(const struct stat& a, const struct stat& b) {
    if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) return false;
    return S_ISREG(a.st_mode) || S_ISFIFO(a.st_mode);
}

// A --results that would overwrite what this run reads is refused before anything is
// opened for writing: the workload itself (by device and inode after following links,
// so a hard link or a symlink to it is caught too), or anything in the data directory.
std::optional<std::string> results_conflict(const run_flags& flags,
                                            const std::filesystem::path& data_dir) {
    if (flags.results.empty()) return std::nullopt;
    struct stat results_stat {};
    const bool results_exist = ::stat(flags.results.c_str(), &results_stat) == 0;
    struct stat workload_stat {};
    if (results_exist && ::stat(flags.workload.c_str(), &workload_stat) == 0 &&
        same_file(results_stat, workload_stat)) {
        return fmt::format("--results {} is the workload file {}: name another file",
                           flags.results, flags.workload);
    }
    if (data_dir.empty()) return std::nullopt;
    std::error_code dir_error;
    std::error_code file_error;
    auto dir = std::filesystem::weakly_canonical(data_dir, dir_error);
    if (dir.filename().empty()) dir = dir.parent_path();  // "DIR/" names DIR
    const auto file = std::filesystem::weakly_canonical(flags.results, file_error);
    const bool inside = !dir_error && !file_error &&
                        std::mismatch(dir.begin(), dir.end(), file.begin(), file.end()).first ==
                            dir.end();
    bool linked = false;  // a hard link to one of the directory's files, from outside it
    std::error_code list_error;
    std::filesystem::recursive_directory_iterator entry(data_dir, list_error);
    for (; results_exist && !list_error && entry != std::filesystem::recursive_directory_iterator();
         entry.increment(list_error)) {
        struct stat held {};
        const bool held_ok = ::stat(entry->path().c_str(), &held) == 0;
        linked = linked || (held_ok && same_file(results_stat, held));
    }
    if (inside || linked) {
        return fmt::format("--results {} is inside the data directory {} (ordo owns its files): "
                           "name a file outside it", flags.results, data_dir.string());
    }
    return std::nullopt;
}

// The one pass over the workload; on failure the line to print and the exit status.
std::expected<workload::command_spool, int> check(const run_flags& flags) {
    const std::uint64_t start_ns = base::monotonic_ns();
    std::uint64_t next_report_ns = start_ns + 1'000'000'000ull;
    auto checked = workload::check_workload(
        flags.workload,
        workload::check_options{
            .spool_dir = spool_dir(),
            .interrupted = &interrupt_watch::signal(),
            .on_progress = [&](std::uint64_t lines) {
                if (base::monotonic_ns() < next_report_ns) return;
                fmt::print(stderr, "ordo run: checking the workload: {} lines read\n", lines);
                next_report_ns += 1'000'000'000ull;
            }});
    if (checked) return std::move(*checked);
    const workload::check_error& error = checked.error();
    switch (error.what) {
        case workload::check_error::kind::input:
            fmt::print(stderr, "{}\n", error.message);
            return std::unexpected(exit_usage);
        case workload::check_error::kind::spool:
            return std::unexpected(report_error(
                "run", error.message + " (set TMPDIR to a directory with room)", exit_failure));
        case workload::check_error::kind::interrupted: {
            const int signal_number = interrupt_watch::signal().load(std::memory_order_relaxed);
            return std::unexpected(report_error(
                "run", fmt::format("interrupted by {} while checking the workload: nothing was "
                                   "sequenced", watched_signal_name(signal_number)),
                exit_status_after(signal_number)));
        }
    }
    ORDO_ASSERT(false);
    return std::unexpected(exit_failure);
}

// What went wrong, or the interruption, after the sequencer stopped; exit_ok if nothing.
int run_ending(const run_totals& totals, std::uint64_t checked, results_file* results) {
    if (results != nullptr && results->failed()) {
        return report_error("run", fmt::format("{}; stopped after {} of {} commands, all durable "
                                               "in the journal; the file holds the results of "
                                               "the first {}",
                                               results->error(), totals.answered, checked,
                                               results->lines_written()),
                            exit_failure);
    }
    if (!totals.spool_error.empty()) {
        return report_error("run", fmt::format("{}; stopped after {} of {} commands",
                                               totals.spool_error, totals.answered, checked),
                            exit_failure);
    }
    return exit_ok;
}

int execute(const run_flags& flags) {
    const interrupt_watch watch;  // Ctrl-C: the commands sent so far finish, the rest wait
    engine_options options = flags.engine;
    const auto mode = resolve_durability(flags.durability, options.data_dir, durability::fdatasync);
    if (!mode) return report_error("run", mode.error(), exit_usage);
    options.mode = *mode;
    if (auto conflict = results_conflict(flags, options.data_dir)) {
        return report_error("run", *conflict, exit_usage);
    }
    // The whole input is read and checked once, before anything is written: a bad file
    // changes nothing, and what runs is the checked copy.
    auto spool = check(flags);
    if (!spool) return spool.error();
    std::optional<results_file> results;
    if (!flags.results.empty()) {
        auto opened = results_file::open(flags.results);
        if (!opened) return report_error("run", opened.error(), exit_failure);
        results.emplace(std::move(*opened));
    }
    auto opened = open_engine("run", options);
    if (!opened) return report_error("run", opened.error().message, opened.error().exit_status);
    engine::booking_state& state = *opened->state;
    const std::uint64_t commands_before = state.commands;
    engine::sequencer<base::spsc_ring> seq(
        state, *opened->sink, engine::sequencer_options{.flush_delay_us = options.flush_delay_us},
        opened->snapshots.get());
    seq.start();
    run_totals totals;
    results_file* const out = results ? &*results : nullptr;
    const bool ok = sequence_workload(seq, *spool, out, totals);
    if (out != nullptr) out->finish();
    if (!ok) return report_error("run", seq.failure(), exit_failure);
    if (opened->snapshots) {
        if (const std::string error = opened->snapshots->stop(); !error.empty()) {
            return report_error("run", "snapshot not written: " + error, exit_failure);
        }
    }
    if (auto closed = close_engine(*opened); !closed) {
        return report_error("run", closed.error(), exit_failure);
    }
    ORDO_ASSERT(state.commands - commands_before == totals.answered);
    if (const int ending = run_ending(totals, spool->command_count(), out); ending != exit_ok) {
        return ending;
    }
    // Quiet on success, like any Unix tool; the state is printed only when nothing else
    // keeps it.
    if (options.mode == durability::none) fmt::print("{}\n", state_json(state));
    if (totals.interrupted_by != 0) {
        return report_error("run", fmt::format("interrupted by {}: the first {} of {} commands "
                                               "were sequenced; their results are written",
                                               watched_signal_name(totals.interrupted_by),
                                               totals.answered, spool->command_count()),
                            exit_status_after(totals.interrupted_by));
    }
    return exit_ok;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<run_flags>();
    CLI::App* sub = app.add_subcommand(
        "run", "Sequence a workload file (JSON Lines) through the engine, in order");
    sub->add_option("--workload", flags->workload,
                    "Workload file, one command per line; read once, so a pipe, a FIFO or "
                    "/dev/stdin works (checked whole before anything runs)")
        ->required();
    add_engine_flags(*sub, flags->engine, flags->durability, durability::fdatasync);
    sub->add_option("--results", flags->results,
                    "Write one JSON line per command here, each after it is durable (created "
                    "once the workload checked; not the workload, not inside --data)");
    add_table_flags(*sub, flags->engine.tables);
    sub->callback([flags, &run] { run = [flags] { return execute(*flags); }; });
}

}  // namespace ordo::tools
