#pragma once
// The deterministic simulation (issue 15 item 3): one seed drives everything. Seeded
// commands (command_generator.h) go through the real sequencer, journal writer, manifest
// keeper and snapshotter, all on the simulated disk (journal/io/simulated_backend.h, with
// directories). Each epoch (a process's life) ends in a clean close, a kill (the process
// dies; what was synced stays), or an injected fault: EIO or ENOSPC on a batch write or
// fdatasync, or a short write; then a crash drops every unsynced byte and name, sometimes
// tearing the last unsynced write. After every crash the durable image is recovered with
// the real recovery code, and checked against an independent reference model of the
// contract (reference_model.h):
// - every acknowledged command is recovered (recovered commands >= acknowledged);
// - nothing is invented (recovered commands <= commands submitted);
// - the recovered state equals the reference model's after the same prefix;
// - every acknowledged outcome equals the reference model's.
// The next epoch continues the recovered history (a command lost unacknowledged is gone,
// as a client that retries would see it).
//
// Determinism: the producer waits for each command's reply before the next, so every
// batch holds exactly one command and batch writes and syncs happen in the same order for
// a seed; faults are counted in batch writes and syncs. The snapshotter's thread decides
// only whether a snapshot is complete before a crash; the recovered state must be the
// same either way, so a seed's verdict does not depend on it.
//
// Thread: the caller's (plus the engine's own threads, joined before it returns).

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ordo::tools::drill {

// What ends an epoch.
enum class epoch_end : std::uint8_t {
    close,         // clean stop; the writer closes the journal
    kill,          // the process dies after its last reply (no close)
    write_eio,     // a batch write fails with EIO
    write_enospc,  // ... with ENOSPC
    sync_eio,      // a batch fdatasync fails with EIO
    sync_enospc,   // ... with ENOSPC
    short_write,   // a batch write moves fewer bytes than asked
};
inline constexpr std::uint32_t epoch_end_count = 7;
const char* epoch_end_name(epoch_end end) noexcept;
inline constexpr bool is_fault(epoch_end end) noexcept {
    return end != epoch_end::close && end != epoch_end::kill;
}

struct sim_options {
    std::uint64_t seed = 1;
    std::uint32_t commands = 400;  // commands submitted over the whole run
    // Which epoch ends the seed may choose (bit i: epoch_end i); all by default.
    std::uint32_t ends_allowed = (1u << epoch_end_count) - 1;
    // A real directory the durable image is copied into for recovery (cleared first).
    std::filesystem::path scratch_dir;
};

struct sim_result {
    bool ok = true;
    std::string failure;  // the first invariant broken, with the epoch
    std::uint32_t epochs = 0;
    std::array<std::uint64_t, epoch_end_count> ends{};  // epochs by how they ended
    std::uint64_t faults_injected = 0;                  // fault epochs whose fault fired
    std::uint64_t faults_detected = 0;  // ... and that the engine reported (it stopped)
    std::uint64_t torn_writes = 0;      // crashes that tore the last unsynced write
    std::uint64_t commands_submitted = 0;
    std::uint64_t commands_acknowledged = 0;
    std::uint64_t acknowledged_lost = 0;
    std::uint64_t unacknowledged_dropped = 0;  // submitted, not acknowledged, not recovered
    std::uint64_t snapshots_used = 0;          // recoveries that started from a snapshot
    std::vector<std::uint64_t> recovery_ns;
};

sim_result run_sim(const sim_options& options);

}  // namespace ordo::tools::drill
