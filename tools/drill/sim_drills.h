#pragma once
// The drills that run the engine in this process on the simulated disk
// (deterministic_sim.h), one seed per round (seeds seed, seed + 1, ...):
// - sim: every kind of epoch end (clean close, kill, EIO/ENOSPC on write and fdatasync,
//   short writes), torn writes at the crash;
// - full: only ENOSPC on a batch write or fdatasync (and clean ends and kills between);
// - io-error: only EIO on a batch write or fdatasync, and short writes.
// After every fault the next epoch is the restart "after the fault clears": it recovers
// and must go on.

#include "tools/drill/drill_options.h"
#include "tools/drill/drill_report.h"

namespace ordo::tools::drill {

enum class sim_drill_kind : std::uint8_t { sim, full, io_error };

drill_report run_sim_drill(sim_drill_kind kind, const drill_options& options);

}  // namespace ordo::tools::drill
