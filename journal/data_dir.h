#pragma once
// Every path in a data directory, named once (README "Durability"):
//
//   DIR/ordo.lock               the writer's lock (flock; names the holder)
//   DIR/manifest                what the journal must hold (MANIFEST_FORMAT.md)
//   DIR/manifest.tmp            a manifest being replaced (io::replace_file)
//   DIR/durable_end             readers' hint of the durable end (DURABLE_HINT_FORMAT.md):
//                               never authoritative; deleting it costs followers latency only
//   DIR/journal/                segment files (FORMAT.md "Files")
//   DIR/snapshots/              snapshot files (SNAPSHOT_FORMAT.md)
//   DIR/projections/            readers' checkpoints (projections/README.md)
//   DIR/tables.json             written by ordo before manifests; migrated once, then removed
//
// Stateless; any thread.

#include <filesystem>

namespace ordo::journal {

struct data_dir_layout {
    static std::filesystem::path lock(const std::filesystem::path& dir) {
        return dir / "ordo.lock";
    }
    static std::filesystem::path manifest(const std::filesystem::path& dir) {
        return dir / "manifest";
    }
    static std::filesystem::path durable_hint(const std::filesystem::path& dir) {
        return dir / "durable_end";
    }
    static std::filesystem::path journal(const std::filesystem::path& dir) {
        return dir / "journal";
    }
    static std::filesystem::path snapshots(const std::filesystem::path& dir) {
        return dir / "snapshots";
    }
    static std::filesystem::path projections(const std::filesystem::path& dir) {
        return dir / "projections";
    }
    static std::filesystem::path legacy_tables(const std::filesystem::path& dir) {
        return dir / "tables.json";
    }
};

}  // namespace ordo::journal
