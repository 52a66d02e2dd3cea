#pragma once
// Replay of journal batches into a booking_state (engine/apply.h).
//
// replay_journal is what recovery runs: a second thread reads and verifies the journal
// (journal::reader) and hands each batch, in place, through one of a few slots; the calling
// thread applies the slots in order, finding reservations through the index itself (which
// record a hold takes depends on the records finishes gave back, so finding cannot run
// ahead on the other core any more). Checksums then overlap with applying.
//
// Thread: replay_records on the caller's thread; replay_journal on the caller's thread plus
// one it starts and joins before returning. The state is the caller's throughout.

#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "engine/apply.h"
#include "engine/booking_state.h"
#include "engine/replay_stop.h"
#include "base/progress.h"
#include "journal/reader.h"

namespace ordo::engine {

// One batch body on this thread (tests and small tools).
replay_result replay_records(booking_state& state, std::span<const std::byte> body,
                             std::uint32_t record_count);

struct replay_totals {
    std::uint64_t records = 0;
    std::uint64_t batches = 0;
};

// Progress of a long replay, called on the applying thread (base/progress.h).
using replay_progress = base::progress_hook<replay_totals>;

// Every batch `reader` yields from where it stands, applied in order. Fails with the
// reader's error (damage before the tail) or with what could not be applied (a record this
// ordo does not know, a full table: the fix is in the message). Afterwards the reader's
// torn_tail() and position() tell where the journal ended.
// With `stop`, the replay ends at that point of the history (engine/replay_stop.h), which
// may cut a batch after one of its commands; the state must not be past it already.
std::expected<replay_totals, std::string> replay_journal(journal::reader& reader,
                                                         booking_state& state,
                                                         const replay_progress& on_progress = {},
                                                         const replay_stop* stop = nullptr);

}  // namespace ordo::engine
