// `ordo follow --data DIR`: keeps the four projections of DIR current while another process
// writes it (projections/follower.h): polls the durable end DIR/manifest and the writer's
// hint DIR/durable_end record, waiting on the hint's futex (or sleeping) a bounded time,
// applies what became durable, checkpoints now and then (below) and before leaving. No lock.
// With `--into sqlite:FILE` it keeps FILE's tables current instead (sqlite_export.h): the
// database holds its own position, so DIR/projections is neither read nor written.
#include "tools/cli/follow_command.h"

#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/clock.h"
#include "base/cpu.h"
#include "projections/background_checkpoint.h"
#include "projections/follower.h"
#include "projections/manifest_lag.h"
#include "projections/sqlite_export.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/interrupt.h"
#include "tools/cli/report_error.h"
#include "tools/cli/whole_number.h"

namespace ordo::tools {
namespace {

// What a failed checkpoint says, with the fix: the views already applied are lost with the
// process, but nothing else is (the journal holds them and the checkpoints saved before).
std::string checkpoint_not_saved(const std::string& why) {
    return "checkpoint not saved: " + why +
           "; make room (or fix the permissions) under DIR/projections and run ordo follow "
           "again: it resumes from the checkpoints saved before";
}

// Keeps this thread (and the threads and children it starts later) off the CPU the writer's
// sequencer spins on, as the writer's hint names it (journal/durable_hint.h), and on every
// CPU again when it names none. Behind a writer at 1 M commands/s on 2 vCPUs, a follower the
// scheduler put beside the spinning sequencer waited for it: lag p99 3.5-5 ms, against
// 1.3-1.4 ms off its CPU (bench/RESULTS.md). Best effort: a refusal (a cpuset) changes nothing.
void keep_off_writer_cpu(std::int32_t busy_cpu, std::int32_t& kept_off_cpu) {
    if (busy_cpu == kept_off_cpu) return;
    kept_off_cpu = busy_cpu;
    if (busy_cpu >= 0) {
        static_cast<void>(base::keep_current_thread_off(static_cast<std::uint32_t>(busy_cpu)));
    } else {
        static_cast<void>(base::let_current_thread_run_anywhere());
    }
}

// The longest a follower sleeps between two looks at an idle journal: its lag behind a
// writer that just went quiet is at most this (plus the writer's manifest interval).
constexpr std::uint64_t poll_wait_us_max = 2'000;
// A progress line this often while a long catch-up runs.
constexpr std::uint64_t progress_every_ns = 1'000'000'000;
// Checkpoints are written by a child process (background_checkpoint.h) at most every second,
// and the child writes at most a fifth of the time: the interval is at least 4x what the
// last one took (a large history's views take a while to write, on a CPU the writer may want).
constexpr std::uint64_t checkpoint_every_ns_min = 1'000'000'000;
constexpr std::uint64_t checkpoint_cost_ratio = 4;
// ... and during a catch-up (a poll that stopped short of the durable end) at most every
// 30 s: a child forked mid catch-up shares memory the views are still writing (copied on
// write) and writes a checkpoint the end writes again; at a second, a 30 M-command catch-up
// took 2.9-3.0 s instead of 1.9-2.0 s. A long catch-up killed still resumes from the last.
constexpr std::uint64_t catch_up_checkpoint_every_ns = 30'000'000'000;

struct follow_flags {
    std::string data;
    std::string into;  // "" or sqlite:FILE
    bool exit_at_end = false;
    bool json = false;
    projections::point_checkpoint_policy points{
        .every_commands = projections::point_checkpoint_every_default,
        .keep = projections::point_checkpoint_keep_default};
};

constexpr std::string_view sqlite_scheme = "sqlite:";

// After a poll: --exit-at-end stops once a poll reached the durable end (a catch-up takes
// several, follower.h), a signal at once.
bool stop_requested(const follow_flags& flags, bool more) {
    return (flags.exit_at_end && !more) ||
           interrupt_watch::signal().load(std::memory_order_relaxed) != 0;
}

int exit_status_of(const follow_flags& flags) {
    const int signal_number = interrupt_watch::signal().load(std::memory_order_relaxed);
    return signal_number != 0 && !flags.exit_at_end ? exit_status_after(signal_number) : exit_ok;
}

// `--into sqlite:FILE`: exports every durable batch into FILE, one bounded transaction per
// poll (sqlite_export_options), and waits for more as the projections' loop does. A stop
// request is seen between two transactions.
int follow_into_sqlite(const follow_flags& flags, const std::string& file) {
    auto opened = projections::sqlite_export::open(file);
    if (!opened) return report_error("follow", opened.error(), exit_failure);
    projections::sqlite_export& out = **opened;
    if (auto continues = out.check_continues(flags.data); !continues) {
        return report_error("follow", continues.error(), exit_failure);
    }
    const interrupt_watch interrupts;
    const std::uint64_t start_ns = base::monotonic_ns();
    projections::sqlite_poll_result total{};
    std::uint64_t wait_us = 50;
    for (;;) {
        auto polled = out.poll(flags.data);
        if (!polled) {
            // FILE holds every transaction committed before this one (poll's promise), so
            // the same command resumes once the cause is fixed.
            return report_error("follow",
                                polled.error() + "; " + file +
                                    " keeps every transaction committed before: once that "
                                    "is fixed, the same ordo follow --into resumes from there",
                                exit_failure);
        }
        total.batches += polled->batches;
        total.records += polled->records;
        total.bytes += polled->bytes;
        total.transactions += polled->transactions;
        total.durable_batches = polled->durable_batches;
        if (interrupt_watch::signal().load(std::memory_order_relaxed) != 0) break;
        if (flags.exit_at_end && !polled->more) break;
        if (polled->batches == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
            wait_us = std::min(wait_us * 2, poll_wait_us_max);
        } else {
            wait_us = 50;
        }
    }
    const double seconds = static_cast<double>(base::monotonic_ns() - start_ns) / 1e9;
    const std::uint64_t next_batch = out.position().next_batch_number;
    const std::uint64_t lag_batches =
        total.durable_batches - std::min(total.durable_batches, next_batch);
    if (flags.json) {
        const nlohmann::ordered_json summary = {
            {"records", total.records},
            {"bytes", total.bytes},
            {"row_writes", out.row_writes()},
            {"transactions", total.transactions},
            {"seconds", seconds},
            {"records_per_s", seconds > 0 ? static_cast<double>(total.records) / seconds : 0.0},
            {"bytes_per_s", seconds > 0 ? static_cast<double>(total.bytes) / seconds : 0.0},
            {"commands", out.commands()},
            {"next_batch", next_batch},
            {"lag_batches", lag_batches}};
        fmt::print("{}\n", summary.dump());
    } else {
        fmt::print(stderr,
                   "ordo follow: {} records into {} in {:.3f} s, its tables at command {} "
                   "(batch {}), {} batches behind the durable end\n",
                   total.records, file, seconds, out.commands(), next_batch, lag_batches);
    }
    return exit_status_of(flags);
}

int follow(const follow_flags& flags) {
    if (!std::filesystem::is_directory(flags.data)) {
        return report_error("follow", "--data " + flags.data + " is not a directory", exit_usage);
    }
    if (!flags.into.empty()) {
        if (!flags.into.starts_with(sqlite_scheme) || flags.into.size() == sqlite_scheme.size()) {
            return report_error("follow",
                                "--into " + flags.into +
                                    ": the one target is sqlite:FILE (e.g. --into sqlite:views.db)",
                                exit_usage);
        }
        return follow_into_sqlite(flags, flags.into.substr(sqlite_scheme.size()));
    }
    const interrupt_watch interrupts;
    auto opened = projections::follower::open(flags.data);
    if (!opened) return report_error("follow", opened.error(), exit_failure);
    projections::follower& f = *opened;
    f.keep_point_checkpoints(flags.points, /*in_child=*/true);
    const std::uint64_t start_ns = base::monotonic_ns();
    std::uint64_t last_checkpoint_ns = start_ns;
    std::uint64_t checkpoint_every_ns = checkpoint_every_ns_min;
    std::uint64_t records = 0;
    std::uint64_t records_at_checkpoint = 0;  // `records` when the last checkpoint started
    std::uint64_t bytes = 0;
    std::uint64_t wait_us = 50;
    std::uint64_t lag_batches = 0;
    std::uint64_t hint_polls = 0;  // polls that read up to the writer's DIR/durable_end
    std::int32_t kept_off_cpu = -1;  // the writer's sequencer's CPU this thread keeps off
    // A line a second while a long catch-up runs (as ordo simulate: on a terminal, or
    // without --json).
    const bool show_progress = !flags.json || ::isatty(STDERR_FILENO) != 0;
    std::uint64_t last_progress_ns = start_ns;
    projections::manifest_lag lag(flags.data);
    projections::background_checkpoint writing;  // after `f`: it goes first, waiting
    auto applied_sequence = [&f] {  // the laggard's, as next_batch_number() is
        std::uint64_t least = UINT64_MAX;
        for (const projections::projection* v : f.views()) {
            least = std::min(least, v->position().next_sequence);
        }
        return least;
    };
    for (;;) {
        lag.before_poll(applied_sequence());
        auto polled = f.poll();
        for (const std::string& note : f.take_notes()) {
            fmt::print(stderr, "ordo follow: {}\n", note);
        }
        if (!polled) return report_error("follow", polled.error(), exit_failure);
        records += polled->records;
        bytes += polled->bytes;
        if (polled->more && show_progress &&
            base::monotonic_ns() - last_progress_ns >= progress_every_ns) {
            last_progress_ns = base::monotonic_ns();
            fmt::print(stderr, "ordo follow: catching up: batch {} of {}, {} commands, {:.1f} s\n",
                       f.next_batch_number(), polled->durable_batches, f.commands(),
                       static_cast<double>(last_progress_ns - start_ns) / 1e9);
        }
        lag_batches =
            polled->durable_batches - std::min(polled->durable_batches, f.next_batch_number());
        lag.after_poll(f.next_batch_number(), polled->batches > 0, polled->hint_used);
        if (polled->hint_used) {
            hint_polls++;
            keep_off_writer_cpu(polled->hint_used->busy_cpu, kept_off_cpu);
        }
        const bool leaving = stop_requested(flags, polled->more);
        if (writing.running()) {
            // Reaped as soon as it ended (or waited for when leaving: the final checkpoint
            // below must not race it for the same files).
            if (auto written = writing.done(leaving)) {
                if (!*written) {
                    return report_error("follow", checkpoint_not_saved(written->error()),
                                        exit_failure);
                }
                checkpoint_every_ns = std::max(checkpoint_every_ns_min,
                                               checkpoint_cost_ratio * writing.last_took_ns());
            }
        }
        const std::uint64_t now_ns = base::monotonic_ns();
        if (leaving) {
            if (auto points = f.finish_point_checkpoints(); !points) {
                return report_error("follow", points.error(), exit_failure);
            }
            // The last checkpoint holds the exact place reached, so it is the follower's own.
            if (auto saved = f.checkpoint(); !saved) {
                return report_error("follow", checkpoint_not_saved(saved.error()),
                                    exit_failure);
            }
            break;
        }
        const std::uint64_t due_every_ns =
            polled->more ? std::max(checkpoint_every_ns, catch_up_checkpoint_every_ns)
                         : checkpoint_every_ns;
        // Nothing applied since the last one started: no fork (it pauses the loop).
        const bool moved = records != records_at_checkpoint;
        if (!writing.running() && moved && now_ns - last_checkpoint_ns >= due_every_ns) {
            last_checkpoint_ns = now_ns;
            records_at_checkpoint = records;
            if (auto started = writing.start(f); !started) {
                // No child to be had (out of processes or memory): in the foreground, as
                // the follower's loop can wait and the checkpoint cannot be skipped forever.
                if (auto saved = f.checkpoint(); !saved) {
                    return report_error(
                        "follow",
                        checkpoint_not_saved(saved.error() + " (and " + started.error() + ")"),
                        exit_failure);
                }
                checkpoint_every_ns =
                    std::max(checkpoint_every_ns_min,
                             checkpoint_cost_ratio * (base::monotonic_ns() - now_ns));
            }
        }
        if (polled->batches == 0 && f.hint_used_ever() && f.hint() != nullptr &&
            polled->durable_batches <= f.next_batch_number()) {
            // The writer's hint wakes us when a batch becomes durable (a spin, then a futex);
            // bounded, so that a writer without one (a new writer, a dead one) is noticed
            // through the manifest as before. Not when the poll stopped short of its end (a
            // hint naming more than the files hold): the wait would return at once.
            f.hint()->wait_past(f.next_batch_number(), poll_wait_us_max);
        } else if (polled->batches == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
            wait_us = std::min(wait_us * 2, poll_wait_us_max);
        } else {
            wait_us = 50;
        }
    }
    const double seconds = static_cast<double>(base::monotonic_ns() - start_ns) / 1e9;
    if (flags.json) {
        const nlohmann::ordered_json summary = {
            {"records", records},
            {"bytes", bytes},
            {"seconds", seconds},
            {"records_per_s", seconds > 0 ? static_cast<double>(records) / seconds : 0.0},
            {"bytes_per_s", seconds > 0 ? static_cast<double>(bytes) / seconds : 0.0},
            {"commands", f.commands()},
            {"next_batch", f.next_batch_number()},
            {"lag_batches", lag_batches},
            {"lag_us_p50", lag.lag().us.quantile(0.5)},
            {"lag_us_p99", lag.lag().us.quantile(0.99)},
            {"lag_us_max", lag.lag().us.max()},
            {"lag_records_p50", lag.lag().records.quantile(0.5)},
            {"lag_records_p99", lag.lag().records.quantile(0.99)},
            {"lag_records_max", lag.lag().records.max()},
            {"hint_polls", hint_polls}};
        fmt::print("{}\n", summary.dump());
    } else {
        fmt::print(stderr,
                   "ordo follow: {} records in {:.3f} s, the views at command {} (batch {}), "
                   "{} batches behind the durable end\n",
                   records, seconds, f.commands(), f.next_batch_number(), lag_batches);
    }
    return exit_status_of(flags);
}

}  // namespace

void add_follow_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<follow_flags>();
    CLI::App* sub = app.add_subcommand(
        "follow",
        "Keep DIR's projections (availability, customers, history, sales) current while "
        "another process writes DIR; checkpoints in DIR/projections make it resume after a "
        "restart. Ctrl-C checkpoints and stops");
    sub->add_option("--data", flags->data, "Data directory written by ordo run or simulate")
        ->required();
    sub->add_option("--into", flags->into,
                    "sqlite:FILE: keep SQLite tables availability, reservations, sales and "
                    "history current in FILE instead of DIR's projections, with the journal "
                    "position in the same transaction (exactly once across kill -9; resumes "
                    "from FILE's position; a FILE exported from another DIR is refused)");
    sub->add_option("--checkpoint-every", flags->points.every_commands,
                    "Also keep a point-in-time checkpoint of each view every N commands of "
                    "history (DIR/projections/<view>.at-<commands>.checkpoint, taken after the "
                    "batch that crosses each multiple; 0: none; default 10000000): ordo query "
                    "--until-* starts from the newest one at or before its point")
        ->transform(whole_number);
    sub->add_option("--checkpoint-keep", flags->points.keep,
                    "Point-in-time checkpoints kept per view, the newest (1..1024, default 3); "
                    "a query as of an older point replays from the start, so keep more for "
                    "fast answers about older points (each costs one checkpoint's disk; the "
                    "history view's grows with the history)")
        ->transform(whole_number_in(projections::point_checkpoint_keep_min,
                                    projections::point_checkpoint_keep_max));
    sub->add_flag("--exit-at-end", flags->exit_at_end,
                  "Stop at the durable end instead of waiting for more");
    sub->add_flag("--json", flags->json,
                  "Print a JSON summary: records, bytes, seconds, records_per_s, bytes_per_s, "
                  "commands, next_batch, lag_batches, and the lag behind the durable end "
                  "(lag_us_p50/_p99/_max: from the writer's DIR/durable_end hint publishing a "
                  "durable end, or else DIR/manifest being written, to the follower having "
                  "applied it; lag_records_p50/_p99/_max), hint_polls (polls that read past "
                  "the manifest's end up to the hint's); with --into "
                  "the same without the lag percentiles, and row_writes and transactions");
    sub->callback([flags, &run] { run = [flags] { return follow(*flags); }; });
}

}  // namespace ordo::tools
