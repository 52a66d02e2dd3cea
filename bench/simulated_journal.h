#pragma once
// A journal for the benchmarks that read one (recovery, projections, the SQLite export):
// `ordo simulate`'s market written once, buffered (so its pages stay in the page cache and the
// benchmark times reading, not the disk), into a new temporary directory named after the
// benchmark and the process. The tables are sized as `ordo simulate` sizes them: about half
// the load makes a reservation. With `with_manifest` the directory is what `ordo simulate
// --data` leaves (DIR/manifest with the exact end, the lock released), so that readers know
// the durable end as a follower does; without it, a bare journal.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/journal_sink.h"
#include "engine/recovery.h"
#include "engine/snapshotter.h"
#include "journal/data_dir.h"
#include "journal/io/file_system.h"
#include "journal/manifest.h"
#include "tools/simulate/simulation.h"

namespace ordo::bench {

struct simulated_journal {
    std::filesystem::path dir;
    engine::state_options tables;
    std::uint64_t commands = 0;
};

struct simulated_journal_options {
    std::string name;  // the directory is <temp>/ordo_<name>_<pid>
    std::uint64_t commands = 0;
    std::uint64_t segment_bytes = 1ull << 30;
    std::uint64_t snapshot_every_commands = 0;  // 0: no snapshot
    bool with_manifest = false;
    tools::load_options load{};
};

// Aborts on any failure: a benchmark without its journal has nothing to measure.
inline simulated_journal write_simulated_journal(const simulated_journal_options& how) {
    simulated_journal w;
    w.dir = std::filesystem::temp_directory_path() /
            ("ordo_" + how.name + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(w.dir);
    std::filesystem::create_directories(w.dir);
    w.commands = how.commands;
    w.tables = engine::state_options{
        .conferences_max = 1000,
        .reservations_max = static_cast<std::uint32_t>(w.commands / 2 + 65'536)};
    auto state = std::make_unique<engine::booking_state>(w.tables);
    // As tools/cli/open_engine.cpp opens a new directory: under its lock, the new manifest,
    // recovery, then the writer keeping the manifest (engine/recovery.h).
    journal::io::file_system& files = journal::io::real_file_system();
    journal::io::file_lock lock;
    journal::writer_options writer_options{.dir = engine::journal_dir(w.dir),
                                           .sync = journal::sync_mode::buffered,
                                           .segment_bytes = how.segment_bytes,
                                           .direct_io = false};
    if (how.with_manifest) {
        auto locked = files.lock_file(journal::data_dir_layout::lock(w.dir), "bench");
        if (!locked) std::abort();
        lock = std::move(*locked);
        if (!journal::write_manifest(w.dir, engine::new_manifest(w.tables, how.segment_bytes),
                                     files)) {
            std::abort();
        }
        auto recovered = engine::recover(w.dir, w.tables);
        if (!recovered || !recovered->manifest) std::abort();
        writer_options = engine::continuing_writer(writer_options, w.dir, *recovered, lock);
    }
    auto writer = journal::writer::open(writer_options, journal::journal_position{});
    if (!writer) std::abort();
    engine::journal_sink sink(std::move(*writer));
    std::unique_ptr<engine::snapshotter> snapshots;
    if (how.snapshot_every_commands > 0) {
        snapshots = std::make_unique<engine::snapshotter>(
            engine::snapshot_options{.data_dir = w.dir,
                                     .every_commands = how.snapshot_every_commands},
            w.tables);
    }
    tools::simulate_options options;
    options.commands = w.commands;
    options.state = w.tables;
    options.load = how.load;
    options.snapshots = snapshots.get();
    const auto result = tools::run_simulation(options, *state, sink);
    if (!result.failure.empty()) std::abort();
    if (how.with_manifest && !sink.writer().close()) std::abort();  // the exact end
    return w;
}

}  // namespace ordo::bench
