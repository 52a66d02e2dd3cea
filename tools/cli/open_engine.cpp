#include "tools/cli/open_engine.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>

#include "engine/journal_sink.h"
#include "engine/memory_sink.h"
#include "engine/recovery.h"
#include "base/assert.h"
#include "journal/data_dir.h"
#include "journal/limits.h"
#include "journal/manifest.h"
#include "journal/snapshot_store.h"
#include "tools/cli/exit_codes.h"
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
           "--segment-mib",
           [&options](std::uint64_t mib) {
               options.segment_bytes = mib << 20;
               options.segment_bytes_given = true;
           },
           "Journal segment size in MiB of a new data directory (1..16384, default 256); a "
           "directory keeps it for life")
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
    sub.add_option("--snapshot-keep", options.snapshot_keep,
                   "Snapshots kept, the newest (1..1024, default 3); time travel "
                   "(ordo state --until-command) replays from the newest kept one before the "
                   "point, so keep more for fast answers about older points")
        ->transform(whole_number_in(journal::snapshot_keep_min, journal::snapshot_keep_max));
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

// A progress line on stderr for each second of checking the journal a snapshot covers.
journal::verify_progress verify_progress_line(std::string_view command) {
    return {.call = [command = std::string(command)](const journal::verify_report& so_far,
                                                     double seconds) {
        fmt::print(stderr, "ordo {}: checking the journal the snapshot covers: {:.2f} GB, "
                           "{:.1f} s\n",
                   command, static_cast<double>(so_far.disk_bytes) / 1e9, seconds);
    }};
}

namespace {

// Tables this large take seconds to map and touch (about 1 GB/s here): say so first, so a
// silent start-up does not look like a hang.
constexpr std::uint64_t table_note_bytes_min = 1ull << 30;

void note_large_tables(std::string_view command, const engine::state_options& tables) {
    const std::uint64_t bytes = engine::booking_state::table_bytes(tables);
    if (bytes < table_note_bytes_min) return;
    fmt::print(stderr, "ordo {}: preparing {:.1f} GB of tables for {} reservations\n", command,
               static_cast<double>(bytes) / 1e9, tables.reservations_max);
}

// The manifest of a directory that has none: a new one (nothing in it is durable yet), or
// one written before manifests, whose DIR/tables.json becomes the manifest's parameters and
// then goes, once the manifest is durable (a crash between the two leaves both; the
// manifest wins and the next writer removes the file).
std::expected<void, std::string> create_manifest(const std::filesystem::path& dir,
                                                 const engine::state_options& tables,
                                                 std::uint64_t segment_bytes, bool legacy) {
    journal::io::file_system& files = journal::io::real_file_system();
    if (auto written = journal::write_manifest(dir, engine::new_manifest(tables, segment_bytes), files);
        !written) {
        return std::unexpected(written.error().message());
    }
    if (!legacy) return {};
    if (auto removed = files.remove_file(journal::data_dir_layout::legacy_tables(dir)); !removed) {
        return std::unexpected(removed.error().message());
    }
    if (auto synced = files.sync_dir(dir); !synced) return std::unexpected(synced.error().message());
    return {};
}

// The journal writer where recovery ended, keeping the manifest recovery read.
std::expected<std::unique_ptr<journal::writer>, std::string> open_writer(
    std::string_view command, const engine_options& options, std::uint64_t segment_bytes,
    const engine::recovery_result& recovered, const journal::io::file_lock& lock) {
    const journal::writer_options writer_options = engine::continuing_writer(
        {.sync = options.mode == durability::buffered ? journal::sync_mode::buffered
                                                      : journal::sync_mode::fdatasync,
         .segment_bytes = segment_bytes,
         .batch_bytes_max = options.batch_bytes,
         .batch_buffers = options.batch_buffers,
         .direct_io = options.direct_io,
         .backend = options.force_pwrite ? journal::io_backend_kind::pwrite
                                         : journal::io_backend_kind::automatic,
         .keep_off_cpu = options.sequencer_cpu},
        options.data_dir, recovered, lock);
    auto writer = journal::writer::open(writer_options, recovered.position);
    if (!writer) return std::unexpected(writer.error().message());
    if (!options.force_pwrite && (*writer)->backend() == journal::io_backend_kind::pwrite) {
        fmt::print(stderr, "ordo {}: io_uring is unavailable here; writing with pwrite + "
                           "fdatasync (same guarantees, fewer batches in flight)\n", command);
    }
    return std::move(*writer);
}

// DIR, created if missing (durably), and its lock, which the writer holds for its life.
std::expected<journal::io::file_lock, refusal> lock_data_dir(std::string_view command,
                                                             const std::filesystem::path& dir) {
    journal::io::file_system& files = journal::io::real_file_system();
    if (auto made = journal::io::make_dirs_durable(files, dir); !made) {
        return std::unexpected(refusal{"cannot create " + dir.string() + ": " +
                                           made.error().message(),
                                       exit_failure});
    }
    auto lock = files.lock_file(journal::data_dir_layout::lock(dir),
                                fmt::format("pid {} (ordo {})", ::getpid(), command));
    if (lock) return std::move(*lock);
    if (lock.error().code != journal::journal_errc::locked) {
        return std::unexpected(refusal{lock.error().message(), exit_failure});
    }
    return std::unexpected(refusal{
        fmt::format("{} is in use by another writer ({}): wait for it to end or stop it (ordo "
                    "state and ordo journal verify can read the directory meanwhile)",
                    dir.string(), lock.error().detail),
        exit_failure});
}

// Under the lock, before anything else is written: the capacities and the segment size
// DIR keeps (or the flags' for a new one), checked against the machine's memory; then
// DIR/manifest for a new directory, or the migration of DIR/tables.json into one.
std::expected<std::pair<engine::state_options, std::uint64_t>, refusal> prepare_data_dir(
    const engine_options& options) {
    const std::filesystem::path& dir = options.data_dir;
    auto contents = inspect_data_dir(dir);
    if (!contents) return std::unexpected(contents.error());
    auto tables = resolve_tables(dir, *contents, options.tables, options.state);
    if (!tables) return std::unexpected(tables.error());
    std::uint64_t segment_bytes = options.segment_bytes;
    if (contents->manifest) {
        const std::uint64_t kept = contents->manifest->segment_bytes;
        if (options.segment_bytes_given && options.segment_bytes != kept) {
            return std::unexpected(refusal{
                fmt::format("--segment-mib {} differs from {}, the segment size {} was created "
                            "with: a directory keeps it for life (drop --segment-mib)",
                            options.segment_bytes >> 20, kept >> 20, dir.string()),
                exit_usage});
        }
        segment_bytes = kept;
    } else if (contents->has_segments && !options.segment_bytes_given) {
        segment_bytes = std::max(contents->largest_segment_bytes, journal::segment_bytes_min) /
                        journal::block_bytes * journal::block_bytes;
    }
    if (auto too_big = tables_do_not_fit(*tables, options.snapshot_every_commands > 0)) {
        return std::unexpected(refusal{*too_big, exit_usage});
    }
    if (contents->manifest) {
        // A migration that crashed after the manifest was written left tables.json behind.
        const std::filesystem::path legacy = journal::data_dir_layout::legacy_tables(dir);
        if (std::error_code ignored; std::filesystem::exists(legacy, ignored)) {
            journal::io::file_system& files = journal::io::real_file_system();
            auto removed = files.remove_file(legacy);
            if (removed) removed = files.sync_dir(dir);
            if (!removed) return std::unexpected(refusal{removed.error().message(), exit_failure});
        }
    } else {
        if (auto made = create_manifest(dir, *tables, segment_bytes, contents->legacy_tables.has_value());
            !made) {
            return std::unexpected(refusal{made.error(), exit_failure});
        }
    }
    return std::pair{*tables, segment_bytes};
}

}  // namespace

std::expected<opened_engine, refusal> open_engine(std::string_view command,
                                                  const engine_options& options) {
    opened_engine opened;
    if (options.mode == durability::none) {
        auto tables = resolve_tables({}, data_dir_contents{}, options.tables, options.state);
        if (!tables) return std::unexpected(tables.error());
        if (auto too_big = tables_do_not_fit(*tables, false)) {
            return std::unexpected(refusal{*too_big, exit_usage});
        }
        note_large_tables(command, *tables);
        opened.state = std::make_unique<engine::booking_state>(*tables);
        opened.sink = std::make_unique<engine::memory_sink>(options.batch_bytes);
        return opened;
    }
    ORDO_ASSERT(!options.data_dir.empty());  // resolve_durability refused a journal without it
    auto locked = lock_data_dir(command, options.data_dir);
    if (!locked) return std::unexpected(locked.error());
    opened.lock = std::move(*locked);
    auto prepared = prepare_data_dir(options);
    if (!prepared) return std::unexpected(prepared.error());
    const engine::state_options tables = prepared->first;
    note_large_tables(command, tables);
    auto recovered = engine::recover(
        options.data_dir, tables,
        engine::recovery_options{.on_progress = replay_progress_line(command),
                                 .on_verify = verify_progress_line(command)});
    if (!recovered) return std::unexpected(refusal{recovered.error(), exit_failure});
    ORDO_ASSERT(recovered->manifest.has_value());  // prepare_data_dir wrote one if missing
    for (const std::string& note : recovered->notes) fmt::print(stderr, "ordo {}: {}\n", command, note);
    if (recovered->torn_tail) {
        fmt::print(stderr, "ordo {}: cut a torn last batch: {}\n", command, *recovered->torn_tail);
    }
    auto writer = open_writer(command, options, prepared->second, *recovered, opened.lock);
    if (!writer) return std::unexpected(refusal{writer.error(), exit_failure});
    opened.writer = writer->get();
    opened.state = std::move(recovered->state);
    opened.sink = std::make_unique<engine::journal_sink>(std::move(*writer));
    opened.snapshots = std::make_unique<engine::snapshotter>(engine::snapshot_options{
        .data_dir = options.data_dir, .every_commands = options.snapshot_every_commands,
        .keep = options.snapshot_keep, .keep_off_cpu = options.sequencer_cpu},
        tables);
    return opened;
}

std::expected<void, std::string> close_engine(opened_engine& opened) {
    if (opened.writer == nullptr) return {};
    auto closed = opened.writer->close();
    if (!closed) return std::unexpected(closed.error().message());
    return {};
}

}  // namespace ordo::tools
