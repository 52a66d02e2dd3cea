// `ordo query ...`: each query brings one projection up to date (its checkpoint, then the
// durable journal after it: projections/catch_up.h) and answers from it; customer, history
// and sales, given a checkpoint, bring up only the key asked (bring_up_one). As of a point
// (--until-*), from the newest checkpoint not past it, a point-in-time one included
// (projections/point_checkpoints.h), saying which on stderr. The engine's
// decision code is never run; no lock is taken, so a writer may be running.
#include "tools/cli/query_command.h"

#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <utility>

#include "projections/availability.h"
#include "projections/catch_up.h"
#include "projections/checkpoint.h"
#include "projections/customer_view.h"
#include "projections/customers.h"
#include "projections/history.h"
#include "projections/history_as_of.h"
#include "projections/history_stream.h"
#include "projections/sales.h"
#include "projections/sales_conference.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/report_error.h"
#include "tools/cli/table_options.h"
#include "tools/cli/until_flags.h"
#include "tools/cli/whole_number.h"
#include "tools/view_json.h"

namespace ordo::tools {
namespace {

struct query_flags {
    std::string data;
    until_flags until;
    bool no_checkpoint = false;
    std::uint64_t conference = 0;
    std::uint64_t customer = 0;
    std::uint64_t reservation = 0;
    std::uint64_t bucket_ms = 1000;
};

std::optional<projections::stop_point> stop_of(const until_flags& until) {
    if (until.command) {
        return projections::stop_point{.by = projections::stop_point::kind::commands,
                                       .value = *until.command};
    }
    if (until.time_ms) {
        return projections::stop_point{.by = projections::stop_point::kind::time_ms,
                                       .value = *until.time_ms};
    }
    return std::nullopt;
}

// DIR is a directory and no exited writer's writes are still landing in it
// (wait_for_exited_writer). Returns an exit status when the query must stop.
std::optional<int> ready_to_read(const query_flags& flags, const std::string& command) {
    if (!std::filesystem::is_directory(flags.data)) {
        return report_error(command, "--data " + flags.data + " is not a directory", exit_usage);
    }
    if (auto unsettled = wait_for_exited_writer(flags.data)) {
        return report_error(command, unsettled->message, unsettled->exit_status);
    }
    return std::nullopt;
}

// Brings `view` up to the point the flags ask for, once ready_to_read() passed, and saves
// its checkpoint when it is at the durable end and `keep` (a whole view: not a one-stream
// view, which would stand in for it). Returns an exit status when the query must stop (the
// error already printed), nullopt when the view is ready.
std::optional<int> catch_up_view(const query_flags& flags, projections::projection& view,
                                 const std::string& command, bool keep = true) {
    const auto stop = stop_of(flags.until);
    // A line a second of a long read (a view without a checkpoint over a long history).
    const auto progress_line = [&command](const projections::catch_up_result& so_far,
                                          double seconds) {
        fmt::print(stderr, "ordo {}: reading the journal: {:.1f} M records, {} batches, {:.1f} s\n",
                   command, static_cast<double>(so_far.records) / 1e6, so_far.batches, seconds);
    };
    auto caught = projections::catch_up(
        flags.data, view,
        projections::catch_up_options{.use_checkpoint = !flags.no_checkpoint,
                                      .stop = stop ? &*stop : nullptr,
                                      .on_progress = {.call = progress_line}});
    if (!caught) return report_error(command, caught.error(), exit_failure);
    for (const std::string& note : caught->notes)
        fmt::print(stderr, "ordo {}: {}\n", command, note);
    if (caught->point_checkpoint_commands) {
        fmt::print(stderr, "ordo {}: from checkpoint at command {}\n", command,
                   *caught->point_checkpoint_commands);
    }
    if (flags.until.command && view.commands() < *flags.until.command) {
        return report_error(command, past_the_end_message(*flags.until.command, view.commands()),
                            exit_usage);
    }
    // A view at the durable end is worth keeping: the next query starts from it. One that
    // cannot be saved (a read-only DIR) still answers.
    if (keep && !stop && !flags.no_checkpoint && caught->batches > 0) {
        if (auto saved = projections::save_checkpoint(flags.data, view); !saved) {
            fmt::print(stderr, "ordo {}: checkpoint not saved ({}); the answer stands\n", command,
                       saved.error());
        }
    }
    return std::nullopt;
}

// Both, for the views that always answer from a view.
std::optional<int> bring_up(const query_flags& flags, projections::projection& view,
                            const std::string& command) {
    if (auto stopped = ready_to_read(flags, command)) return stopped;
    return catch_up_view(flags, view, command);
}

// The view of the one key a query asks (`part`: history_stream.h, sales_conference.h,
// customer_view.h), built from the whole view's checkpoint and the journal after it, when
// that checkpoint exists or none is wanted; else the whole view (`Whole`), whose checkpoint
// the next query starts from. `answer` is called with whichever was brought up. Once
// ready_to_read() passed; returns an exit status when the query must stop.
template <class Whole, class Part, class Answer>
std::optional<int> bring_up_one(const query_flags& flags, Part& part, const std::string& command,
                                Answer&& answer) {
    if (flags.no_checkpoint ||
        projections::peek_checkpoint_place(projections::checkpoint_path(flags.data, part))) {
        if (auto stopped = catch_up_view(flags, part, command, false)) return stopped;
        answer(std::as_const(part));
        return std::nullopt;
    }
    Whole whole;
    if (auto stopped = catch_up_view(flags, whole, command)) return stopped;
    answer(std::as_const(whole));
    return std::nullopt;
}

// One callable of several lambdas (std::visit's idiom), for bring_up_one's answer.
template <class... Lambdas>
struct either : Lambdas... {
    using Lambdas::operator()...;
};

int availability_query(const query_flags& flags) {
    projections::availability view;
    if (auto stopped = bring_up(flags, view, "query availability")) return *stopped;
    if (flags.conference != 0 && view.conference(flags.conference) == nullptr) {
        return report_error("query availability",
                            "no conference " + std::to_string(flags.conference) +
                                " in DIR's history at this point (ordo query availability "
                                "without --conference lists them)",
                            exit_failure);
    }
    fmt::print("{}\n", availability_json(view, flags.conference));
    return exit_ok;
}

int customer_query(const query_flags& flags) {
    if (auto stopped = ready_to_read(flags, "query customer")) return *stopped;
    projections::customer_view one(flags.customer);
    std::vector<projections::reservation_view> found;
    const auto answer =
        either{[&](const projections::customer_view& v) { found = v.reservations(); },
               [&](const projections::customers& v) { found = v.of_customer(flags.customer); }};
    if (auto stopped = bring_up_one<projections::customers>(flags, one, "query customer", answer)) {
        return *stopped;
    }
    fmt::print("{}\n", customer_json(flags.customer, found));
    return exit_ok;
}

int history_query(const query_flags& flags) {
    if ((flags.reservation == 0) == (flags.conference == 0)) {
        return report_error("query history", "name one stream: --reservation ID or --conference ID",
                            exit_usage);
    }
    const bool by_conference = flags.conference != 0;
    const projections::history_stream stream{
        .by = by_conference ? projections::history_stream::kind::conference
                            : projections::history_stream::kind::reservation,
        .id = by_conference ? flags.conference : flags.reservation};
    // As of a point before the checkpoint's end: the checkpoint's entries up to it
    // (history_as_of.h). Else, with a checkpoint, the stream alone from it and the journal
    // after it (history_stream.h); without one, the whole view, whose checkpoint the next
    // query starts from.
    if (auto stopped = ready_to_read(flags, "query history")) return *stopped;
    const auto stop = stop_of(flags.until);
    projections::history_stream_view one(stream);
    const auto place =
        flags.no_checkpoint
            ? std::nullopt
            : projections::peek_checkpoint_place(projections::checkpoint_path(flags.data, one));
    std::optional<std::vector<projections::history_entry>> entries;
    if (place && stop && place->past(*stop)) {
        std::vector<std::string> notes;
        entries = projections::history_as_of_checkpoint(flags.data, stream, *stop, notes);
        for (const std::string& note : notes) fmt::print(stderr, "ordo query history: {}\n", note);
        if (entries) fmt::print(stderr, "ordo query history: from the checkpoint's entries\n");
    }
    const auto answer =
        either{[&](const projections::history_stream_view& v) { entries = v.entries(); },
               [&](const projections::history& v) { entries = v.of_stream(stream); }};
    if (!entries) {
        if (auto stopped =
                bring_up_one<projections::history>(flags, one, "query history", answer)) {
            return *stopped;
        }
    }
    std::string out;
    for (const projections::history_entry& entry : *entries) {
        out += history_line(entry, by_conference);
        out += '\n';
    }
    fmt::print("{}", out);
    return exit_ok;
}

int sales_query(const query_flags& flags) {
    if (auto stopped = ready_to_read(flags, "query sales")) return *stopped;
    projections::sales_conference_view one(flags.conference);
    std::vector<projections::sales_bucket> buckets;
    const auto answer = either{
        [&](const projections::sales_conference_view& v) { buckets = v.buckets(flags.bucket_ms); },
        [&](const projections::sales& v) {
            buckets = v.buckets(flags.conference, flags.bucket_ms);
        }};
    if (auto stopped = bring_up_one<projections::sales>(flags, one, "query sales", answer)) {
        return *stopped;
    }
    std::string out;
    for (const projections::sales_bucket& bucket : buckets) {
        out += sales_line(bucket);
        out += '\n';
    }
    fmt::print("{}", out);
    return exit_ok;
}

CLI::App* add_query(CLI::App& query, const char* name, const char* description,
                    query_flags& flags) {
    CLI::App* sub = query.add_subcommand(name, description);
    sub->add_option("--data", flags.data, "Data directory written by ordo run or simulate")
        ->required();
    add_until_flags(*sub, flags.until);
    sub->add_flag("--no-checkpoint", flags.no_checkpoint,
                  "Rebuild the view from the start of the journal, ignoring and keeping no "
                  "checkpoint (point-in-time ones included)");
    return sub;
}

}  // namespace

void add_query_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<query_flags>();
    CLI::App* query = app.add_subcommand(
        "query",
        "Answer from the projections (views the journal is replayed into; the engine "
        "is not asked), as of DIR's durable end or --until-command/--until-time");
    query->require_subcommand(1);
    const auto ids = whole_number_in(1, UINT64_MAX);

    CLI::App* availability = add_query(
        *query, "availability",
        "Seats by conference and seat type: {\"commands\":N,\"conferences\":[...]}", *flags);
    availability->add_option("--conference", flags->conference, "Only this conference")
        ->transform(ids);
    availability->callback([flags, &run] { run = [flags] { return availability_query(*flags); }; });

    CLI::App* customer =
        add_query(*query, "customer", "Every reservation ever accepted for a customer", *flags);
    customer->add_option("--customer", flags->customer, "Customer id")->required()->transform(ids);
    customer->callback([flags, &run] { run = [flags] { return customer_query(*flags); }; });

    CLI::App* history = add_query(
        *query, "history",
        "JSON lines, in history order: every command naming a reservation or a conference, "
        "and every expiry of it",
        *flags);
    CLI::Option* reservation =
        history->add_option("--reservation", flags->reservation, "Reservation id")->transform(ids);
    CLI::Option* conference =
        history->add_option("--conference", flags->conference, "Conference id")->transform(ids);
    reservation->excludes(conference);
    history->callback([flags, &run] { run = [flags] { return history_query(*flags); }; });

    CLI::App* sales =
        add_query(*query, "sales",
                  "JSON lines, one per time bucket that holds anything: reserves, seats, confirms, "
                  "cancels, expiries and rejections of a conference",
                  *flags);
    sales->add_option("--conference", flags->conference, "Conference id")
        ->required()
        ->transform(ids);
    sales->add_option("--bucket-ms", flags->bucket_ms, "Bucket width in ms (default 1000)")
        ->transform(whole_number_in(1, UINT64_MAX));
    sales->callback([flags, &run] { run = [flags] { return sales_query(*flags); }; });
}

}  // namespace ordo::tools
