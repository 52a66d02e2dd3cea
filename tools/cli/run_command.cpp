#include "tools/cli/run_command.h"

#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "base/ring/spsc_ring.h"
#include "base/clock.h"
#include "engine/sequencer.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/interrupt.h"
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
    std::string durability;  // empty: resolve_durability decides
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
    std::string input_error;  // the file changed between the check and the run
};

// Streams the (already validated) workload through one producer, writing each result
// line as its reply arrives, with a progress line every second on long runs.
template <class Sequencer>
bool sequence_workload(Sequencer& seq, const run_flags& flags, std::uint64_t total,
                       std::FILE* results, run_totals& totals) {
    const engine::sequencer_options defaults{};
    auto& producer = seq.producer_at(0);
    line_queue lines(defaults.reply_ring_slots);
    auto on_reply = [&](engine::reply r) {
        const std::uint32_t line = lines.pop();
        if (results != nullptr) write_result(results, line, r.result());
        totals.answered++;
    };
    const std::uint64_t start_ns = base::monotonic_ns();
    std::uint64_t next_report_ns = start_ns + 1'000'000'000ull;
    std::uint64_t submitted = 0;
    bool ok = true;
    auto streamed = workload::for_each_command(
        flags.workload, [&](const workload::workload_command& c) {
            totals.interrupted_by = interrupt_watch::signal().load(std::memory_order_relaxed);
            if (totals.interrupted_by != 0) return false;  // those before it still finish
            ok = producer.submit(c.command, on_reply);
            // Queued after the submit: while it waits for room, the window (and so the queue)
            // is full, and its reply cannot come before the submit returns.
            if (ok) lines.push(c.line);
            // submit takes replies only when it has to wait for room: without this, a
            // workload smaller than the reply ring would report nothing until its end.
            if ((++submitted & 63) == 0) producer.poll_replies(on_reply);
            if ((submitted & 4095) == 0 && base::monotonic_ns() >= next_report_ns) {
                fmt::print(stderr, "ordo run: {} of {} commands sequenced\n", totals.answered,
                           total);
                next_report_ns += 1'000'000'000ull;
            }
            return ok;  // a failed engine takes nothing more: stop reading the file
        });
    if (!streamed) totals.input_error = streamed.error();
    ok = producer.drain(on_reply) && ok;
    return seq.stop() && ok;
}

int execute(const run_flags& flags) {
    const interrupt_watch watch;  // Ctrl-C: the commands sent so far finish, the rest wait
    engine_options options = flags.engine;
    const auto mode = resolve_durability(flags.durability, options.data_dir, durability::fdatasync);
    if (!mode) return report_error("run", mode.error(), exit_usage);
    options.mode = *mode;
    // The whole file is checked before anything is sequenced: a bad file changes nothing.
    auto checked = workload::validate_file(flags.workload);
    if (!checked) {
        fmt::print(stderr, "{}\n", checked.error());
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
        return report_error("run", opened.error().message, opened.error().exit_status);
    }
    engine::booking_state& state = *opened->state;
    const std::uint64_t commands_before = state.commands;
    engine::sequencer<base::spsc_ring> seq(
        state, *opened->sink, engine::sequencer_options{.flush_delay_us = options.flush_delay_us},
        opened->snapshots.get());
    seq.start();
    run_totals totals;
    const bool ok = sequence_workload(seq, flags, *checked, results, totals);
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
    if (auto closed = close_engine(*opened); !closed) {
        return report_error("run", closed.error(), exit_failure);
    }
    ORDO_ASSERT(state.commands - commands_before == totals.answered);
    if (!totals.input_error.empty()) {
        return report_error("run", "the workload changed while it ran; the commands before "
                                   "this were sequenced: " + totals.input_error,
                            exit_failure);
    }
    // Quiet on success, like any Unix tool; the state is printed only when nothing else
    // keeps it.
    if (options.mode == durability::none) fmt::print("{}\n", state_json(state));
    if (totals.interrupted_by != 0) {
        return report_error("run", fmt::format("interrupted by {}: the first {} of {} commands "
                                               "were sequenced; their results are written",
                                               watched_signal_name(totals.interrupted_by),
                                               totals.answered, *checked),
                            exit_status_after(totals.interrupted_by));
    }
    return exit_ok;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<run_flags>();
    CLI::App* sub = app.add_subcommand(
        "run", "Sequence a workload file (JSON Lines) through the engine, in order");
    sub->add_option("--workload", flags->workload, "Workload file, one command per line")
        ->required();
    add_engine_flags(*sub, flags->engine, flags->durability, durability::fdatasync);
    sub->add_option("--results", flags->results,
                    "Write one JSON line per command here, each after it is durable");
    add_table_flags(*sub, flags->engine.tables);
    sub->callback([flags, &run] { run = [flags] { return execute(*flags); }; });
}

}  // namespace ordo::tools
