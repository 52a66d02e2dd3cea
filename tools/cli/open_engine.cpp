#include "tools/cli/open_engine.h"

#include <fmt/core.h>

#include "engine/journal_sink.h"
#include "engine/memory_sink.h"
#include "engine/recovery.h"
#include "base/assert.h"
#include "tools/cli/whole_number.h"

namespace ordo::tools {

std::optional<durability> durability_from_name(std::string_view name) {
    if (name == "none") return durability::none;
    if (name == "buffered") return durability::buffered;
    if (name == "fdatasync") return durability::fdatasync;
    return std::nullopt;
}

std::string_view durability_name(durability d) {
    switch (d) {
        case durability::none: return "none";
        case durability::buffered: return "buffered";
        case durability::fdatasync: return "fdatasync";
    }
    return "?";
}

void add_engine_flags(CLI::App& sub, engine_options& options, std::string& durability_text,
                      durability default_mode) {
    sub.add_option("--data", options.data_dir,
                   "Data directory (journal and snapshots); created if missing, continued if not");
    sub.add_option("--durability", durability_text,
                   fmt::format("fdatasync: acknowledged after fdatasync; buffered: after "
                               "write(); none: no journal (default: fdatasync{})",
                               default_mode == durability::fdatasync
                                   ? ""
                                   : fmt::format(" with --data, {} without",
                                                 durability_name(default_mode))))
        ->check(CLI::IsMember({"none", "buffered", "fdatasync"}));
    sub.add_option_function<std::uint64_t>(
           "--segment-mib", [&options](std::uint64_t mib) { options.segment_bytes = mib << 20; },
           "Journal segment size in MiB (1..16384, default 256)")
        ->transform(whole_number_in(1, 16384));
    sub.add_flag_function(
        "--no-direct-io", [&options](std::int64_t) { options.direct_io = false; },
        "Write the journal through the page cache instead of O_DIRECT");
    sub.add_option_function<std::uint32_t>(
           "--batch-kib", [&options](std::uint32_t kib) { options.batch_bytes = kib * 1024; },
           "Largest journal batch in KiB (128..1024, default 1024)")
        ->transform(whole_number_in(128, 1024));
    sub.add_option("--flush-delay-us", options.flush_delay_us,
                   "Longest a record waits for its batch to be published while the disk keeps "
                   "up (0..1000000, default 200)")
        ->transform(whole_number_in(0, engine::flush_delay_us_max));
    sub.add_option("--snapshot-every", options.snapshot_every_commands,
                   "Take a snapshot every N commands (0: never; default 20000000)")
        ->transform(whole_number);
    sub.add_flag_function(
        "--pwrite", [&options](std::int64_t) { options.force_pwrite = true; },
        "Use pwrite + fdatasync instead of io_uring");
}

std::expected<durability, std::string> resolve_durability(std::string_view durability_text,
                                                          const std::filesystem::path& data_dir,
                                                          durability default_mode) {
    const bool has_data = !data_dir.empty();
    durability mode = has_data ? durability::fdatasync : default_mode;
    if (!durability_text.empty()) {
        const std::optional<durability> named = durability_from_name(durability_text);
        ORDO_ASSERT(named.has_value());  // CLI11 checked the name
        mode = *named;
        if (mode == durability::none && has_data) {
            return std::unexpected("--data DIR is not used with --durability none: drop one of them");
        }
    }
    if (mode != durability::none && !has_data) {
        return std::unexpected("--data DIR is required (or --durability none)");
    }
    return mode;
}

engine::replay_progress replay_progress_line(std::string_view command) {
    return {.call = [command = std::string(command)](const engine::replay_totals& totals,
                                                     double seconds) {
        fmt::print(stderr, "ordo {}: replaying the journal: {:.1f} M records, {} batches, {:.1f} s\n",
                   command, static_cast<double>(totals.records) / 1e6, totals.batches, seconds);
    }};
}

namespace {

// Tables this large take seconds to map and touch (about 1 GB/s here): say so first, so a
// silent start-up does not look like a hang.
constexpr std::uint64_t table_note_bytes_min = 1ull << 30;

void note_large_tables(std::string_view command, const engine::state_options& tables,
                       bool snapshot_copy) {
    const std::uint64_t bytes = engine::booking_state::table_bytes(tables) * (snapshot_copy ? 2 : 1);
    if (bytes < table_note_bytes_min) return;
    fmt::print(stderr, "ordo {}: preparing {:.1f} GB of tables for {} reservations{}\n", command,
               static_cast<double>(bytes) / 1e9, tables.reservations_max,
               snapshot_copy ? " (half of it the snapshot copy)" : "");
}

}  // namespace

std::expected<opened_engine, std::string> open_engine(std::string_view command,
                                                      const engine_options& options) {
    opened_engine opened;
    if (options.mode == durability::none) {
        auto tables = resolve_tables({}, options.tables, options.state);
        if (!tables) return std::unexpected(tables.error());
        note_large_tables(command, *tables, false);
        opened.state = std::make_unique<engine::booking_state>(*tables);
        opened.sink = std::make_unique<engine::memory_sink>(options.batch_bytes);
        return opened;
    }
    ORDO_ASSERT(!options.data_dir.empty());  // resolve_durability refused a journal without it
    std::error_code error;
    std::filesystem::create_directories(engine::journal_dir(options.data_dir), error);
    if (error) {
        return std::unexpected("cannot create " + engine::journal_dir(options.data_dir).string() +
                               ": " + error.message());
    }
    auto tables = resolve_tables(options.data_dir, options.tables, options.state);
    if (!tables) return std::unexpected(tables.error());
    if (auto stored = store_tables(options.data_dir, *tables); !stored) {
        return std::unexpected(stored.error());
    }
    note_large_tables(command, *tables, options.snapshot_every_commands > 0);
    auto recovered = engine::recover(options.data_dir, *tables,
                                     engine::recovery_options{.on_progress = replay_progress_line(command)});
    if (!recovered) return std::unexpected(recovered.error());
    for (const std::string& note : recovered->notes) fmt::print(stderr, "ordo {}: {}\n", command, note);
    if (recovered->torn_tail) {
        fmt::print(stderr, "ordo {}: cut a torn last batch: {}\n", command, *recovered->torn_tail);
    }
    journal::writer_options writer_options{
        .dir = engine::journal_dir(options.data_dir),
        .sync = options.mode == durability::buffered ? journal::sync_mode::buffered
                                                     : journal::sync_mode::fdatasync,
        .segment_bytes = options.segment_bytes,
        .batch_bytes_max = options.batch_bytes,
        .direct_io = options.direct_io,
        .backend = options.force_pwrite ? journal::io_backend_kind::pwrite
                                        : journal::io_backend_kind::automatic,
        .keep_off_cpu = options.sequencer_cpu};
    auto writer = journal::writer::open(writer_options, recovered->position);
    if (!writer) return std::unexpected(writer.error().message());
    if (!options.force_pwrite && (*writer)->backend() == journal::io_backend_kind::pwrite) {
        fmt::print(stderr, "ordo {}: io_uring is unavailable here; writing with pwrite + "
                           "fdatasync (same guarantees, fewer batches in flight)\n", command);
    }
    opened.state = std::move(recovered->state);
    opened.sink = std::make_unique<engine::journal_sink>(std::move(*writer));
    opened.snapshots = std::make_unique<engine::snapshotter>(engine::snapshot_options{
        .data_dir = options.data_dir, .every_commands = options.snapshot_every_commands,
        .keep_off_cpu = options.sequencer_cpu},
        *tables);
    return opened;
}

}  // namespace ordo::tools
