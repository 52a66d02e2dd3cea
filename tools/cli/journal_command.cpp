#include "tools/cli/journal_command.h"

#include <fmt/core.h>

#include <array>
#include <filesystem>
#include <limits>
#include <memory>

#include "engine/schema/events.h"
#include "engine/recovery.h"
#include "journal/reader.h"
#include "journal/record.h"
#include "journal/snapshot_store.h"
#include "journal/verify.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/report_error.h"
#include "tools/cli/table_options.h"
#include "tools/cli/whole_number.h"
#include "tools/event_json.h"

namespace ordo::tools {
namespace {

struct journal_flags {
    std::string data;
    std::uint64_t from = 0;
    std::uint64_t to = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t conference = 0;
    std::uint64_t reservation = 0;
};

bool data_dir_ok(const std::string& command, const std::string& data, int& code) {
    if (std::filesystem::is_directory(engine::journal_dir(data))) return true;
    code = report_error(command, "--data " + data + " holds no journal (no " +
                                     engine::journal_dir(data).string() + ")",
                        exit_usage);
    return false;
}

// What DIR/manifest says the journal must hold (no lock: a writer may be running; the
// manifest is read before the journal, which only grows past what it records). A journal
// without a manifest (or a pre-manifest tables.json) is refused as every command refuses it.
std::expected<std::pair<data_dir_contents, journal::journal_expectations>, refusal> expectations_for(
    const std::string& data) {
    auto contents = inspect_data_dir(data);
    if (!contents) return std::unexpected(contents.error());
    if (auto tables = resolve_tables(data, *contents, {}, {}); !tables) {
        return std::unexpected(tables.error());
    }
    journal::journal_expectations expected;
    if (contents->manifest) expected = journal::expectations_of(*contents->manifest);
    return std::pair{*contents, expected};
}

void print_manifest(const data_dir_contents& contents) {
    if (!contents.manifest) {
        fmt::print("manifest: none (a directory written before manifests: the next ordo run "
                   "adds one)\n");
        return;
    }
    const journal::manifest& m = *contents.manifest;
    if (m.state == journal::manifest_state::closed) {
        fmt::print("manifest: ok, closed cleanly after batch {} ({} segments)\n",
                   m.durable_end.next_batch_number, m.segment_count);
    } else {
        fmt::print("manifest: ok, open (a writer is running or did not close), {} batches durable "
                   "when last written ({} segments)\n",
                   m.durable_end.next_batch_number, m.segment_count);
    }
}

// Each snapshot: whole (its checksums) and held by the journal (the batch it ends at).
// A bad one is reported, not an error: recovery skips it and replays instead.
void print_snapshots(const std::vector<journal::snapshot_info>& snapshots,
                     const journal::verify_report& report) {
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
        const journal::snapshot_info& info = snapshots[i];
        auto loaded = journal::load_snapshot(info);
        if (!loaded) {
            fmt::print("damaged snapshot: {} (recovery skips it and replays the journal "
                       "instead: nothing is lost; the next snapshots replace it)\n",
                       loaded.error().message());
            continue;
        }
        const std::uint64_t covered = loaded->info.position.next_batch_number;
        if (report.verdicts[i] == journal::prefix_verdict::holds) {
            fmt::print("snapshot: ok, {} covers {} batches\n", info.path.filename().string(),
                       covered);
            continue;
        }
        fmt::print("snapshot not held by the journal: {} covers {} batches, but the journal {} "
                   "(recovery skips it)\n",
                   info.path.string(), covered,
                   report.verdicts[i] == journal::prefix_verdict::ends_before
                       ? "ends before"
                       : "holds another batch there");
    }
}

int verify(const journal_flags& flags) {
    int code = exit_ok;
    if (!data_dir_ok("journal verify", flags.data, code)) return code;
    auto expected = expectations_for(flags.data);
    if (!expected) {
        return report_error("journal verify", expected.error().message, exit_failure);
    }
    auto snapshots = journal::list_snapshots(flags.data);
    if (!snapshots) return report_error("journal verify", snapshots.error().message(), exit_failure);
    std::vector<journal::journal_position> positions;
    for (const journal::snapshot_info& info : *snapshots) {
        const journal::snapshot_position& p = info.position;
        positions.push_back({.next_batch_number = p.next_batch_number,
                             .next_sequence = p.next_sequence,
                             .segment_index = p.segment_index,
                             .segment_offset = p.segment_offset,
                             .previous_header_checksum = p.previous_header_checksum});
    }
    auto report = journal::verify(
        engine::journal_dir(flags.data),
        {.call = [](const journal::verify_report& so_far, double seconds) {
            fmt::print(stderr, "ordo journal verify: {} batches, {:.2f} GB checked, {:.1f} s\n",
                       so_far.batches, static_cast<double>(so_far.disk_bytes) / 1e9, seconds);
        }},
        expected->second, positions);
    if (!report) return report_error("journal verify", report.error().message(), exit_failure);
    fmt::print("ok: {} segments, {} batches, {} records, {} bytes of records\n",
               report->segments, report->batches, report->records, report->body_bytes);
    print_manifest(expected->first);
    print_snapshots(*snapshots, *report);
    if (report->torn_tail) {
        fmt::print("torn tail (an unfinished last write, not an error): {}\n",
                   engine::describe(*report->torn_tail));
    }
    return exit_ok;
}

// Walks every verified batch; `on_batch` sees it and returns false to stop early.
template <class OnBatch>
int walk(const std::string& command, const std::string& data, OnBatch&& on_batch) {
    int code = exit_ok;
    if (!data_dir_ok(command, data, code)) return code;
    auto expected = expectations_for(data);
    if (!expected) return report_error(command, expected.error().message, exit_failure);
    auto reader = journal::reader::open(engine::journal_dir(data), {}, expected->second);
    if (!reader) return report_error(command, reader.error().message(), exit_failure);
    for (;;) {
        auto batch = reader->next();
        if (!batch) return report_error(command, batch.error().message(), exit_failure);
        if (!batch->has_value() || !on_batch(**batch)) break;
    }
    if (auto torn = reader->torn_tail()) {
        fmt::print(stderr, "ordo {}: torn tail cut: {}\n", command, engine::describe(*torn));
    }
    return exit_ok;
}

int dump(const journal_flags& flags) {
    if (flags.from > flags.to) return report_error("journal dump", "--from is after --to", exit_usage);
    return walk("journal dump", flags.data, [&](const journal::batch_view& batch) {
        if (batch.first_sequence + batch.record_count <= flags.from) return true;
        std::uint64_t sequence = batch.first_sequence;
        for (const journal::record_view r : journal::record_range(batch.body, batch.record_count)) {
            const std::uint64_t here = sequence++;
            if (here < flags.from) continue;
            if (here > flags.to) return false;
            const event_keys keys = event_keys_of(r.type, r.payload);
            if (flags.conference != 0 && keys.conference != flags.conference) continue;
            if (flags.reservation != 0 && keys.reservation != flags.reservation) continue;
            nlohmann::ordered_json line = {{"sequence", here}, {"batch", batch.batch_number}};
            line.update(event_json(r.type, r.schema_version, r.payload));
            fmt::print("{}\n", line.dump());
        }
        return true;
    });
}

int stats(const journal_flags& flags) {
    std::array<std::uint64_t, 256> by_type{};
    std::uint64_t batches = 0, records = 0, bytes = 0, first_ms = 0, last_ms = 0;
    const int code = walk("journal stats", flags.data, [&](const journal::batch_view& batch) {
        if (batches == 0) first_ms = batch.time_ms;
        last_ms = batch.time_ms;
        batches++;
        records += batch.record_count;
        bytes += batch.body.size();
        for (const journal::record_view r : journal::record_range(batch.body, batch.record_count)) {
            by_type[r.type]++;
        }
        return true;
    });
    if (code != exit_ok) return code;
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (std::uint32_t t = 1; t < by_type.size(); t++) {
        if (by_type[t] != 0) types[std::string(event_type_name(static_cast<std::uint8_t>(t)))] = by_type[t];
    }
    auto reader = journal::reader::open(engine::journal_dir(flags.data));
    const nlohmann::ordered_json out = {
        {"segments", reader ? reader->segment_count() : 0},
        {"batches", batches},
        {"records", records},
        {"record_bytes", bytes},
        {"records_per_batch", batches ? static_cast<double>(records) / batches : 0.0},
        {"bytes_per_batch", batches ? static_cast<double>(bytes) / batches : 0.0},
        {"time_ms_first", first_ms},
        {"time_ms_last", last_ms},
        {"records_by_type", types}};
    fmt::print("{}\n", out.dump());
    return exit_ok;
}

}  // namespace

void add_journal_command(CLI::App& app, std::function<int()>& run) {
    auto flags = std::make_shared<journal_flags>();
    CLI::App* journal = app.add_subcommand("journal", "Inspect a data directory's journal");
    journal->require_subcommand(1);
    CLI::App* verify_cmd = journal->add_subcommand(
        "verify",
        "Check every checksum and the hash chain against DIR/manifest, and every snapshot; exit "
        "1 on damage to the journal or the manifest (a torn tail after the durable end is ok; "
        "a damaged snapshot is reported, not an error: recovery skips it)");
    CLI::App* dump_cmd = journal->add_subcommand("dump", "Print records as JSON lines");
    CLI::App* stats_cmd = journal->add_subcommand(
        "stats", "Segments, batches, records by type, bytes, batch sizes, time span (JSON)");
    for (CLI::App* sub : {verify_cmd, dump_cmd, stats_cmd}) {
        sub->add_option("--data", flags->data, "Data directory")->required();
    }
    dump_cmd->add_option("--from", flags->from, "First record sequence number to print")
        ->transform(whole_number);
    dump_cmd->add_option("--to", flags->to, "Last record sequence number to print")
        ->transform(whole_number);
    dump_cmd->add_option("--conference", flags->conference, "Only records naming this conference")
        ->transform(whole_number);
    dump_cmd
        ->add_option("--reservation", flags->reservation, "Only records naming this reservation")
        ->transform(whole_number);
    verify_cmd->callback([flags, &run] { run = [flags] { return verify(*flags); }; });
    dump_cmd->callback([flags, &run] { run = [flags] { return dump(*flags); }; });
    stats_cmd->callback([flags, &run] { run = [flags] { return stats(*flags); }; });
}

}  // namespace ordo::tools
