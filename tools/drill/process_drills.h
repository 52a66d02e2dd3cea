#pragma once
// The drills that run the ordo binary on a real data directory, as a user would
// (drill_options::ordo_binary), each round seeded from --seed:
// - crash: `ordo run` killed (SIGKILL) at random instants, recovered by `ordo state`;
// - torn: the last segment cut at random byte offsets after a clean run;
// - rot: one random bit flipped in a segment, a snapshot or the manifest;
// - misuse: a second writer, a workload cut or changed while read, files deleted or
//   copied in from another directory.
// Expected states come from an independent replay of the same commands: the reference
// model (reference_model.h) and a fresh in-memory engine, which must agree.

#include "tools/drill/drill_options.h"
#include "tools/drill/drill_report.h"

namespace ordo::tools::drill {

drill_report run_crash_drill(const drill_options& options);
drill_report run_torn_drill(const drill_options& options);
drill_report run_rot_drill(const drill_options& options);
drill_report run_misuse_drill(const drill_options& options);

}  // namespace ordo::tools::drill
