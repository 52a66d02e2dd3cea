#pragma once
// Replay's first half: the reservation index. For each journal batch it indexes every new
// reservation (reservation_held) and finds the record of every reservation a confirm,
// cancel or expiry (reservation_expired, reservation_expired_at_close) names, in order, so
// that apply_resolved (engine/apply.h) never probes the index. The halves split a replay
// over two cores (engine/replay.h): hashing and probing here, the records, conferences and
// expiry queue there.
//
// Why they can run at once on one booking_state: the resolver writes only the index, and
// reads only the ids of records that existed when it was built (an id never changes once
// set) plus its own copy of the ids it indexed since. apply_resolved never touches the
// index, and appends records in the order the resolver numbered them.
//
// Thread: one thread at a time (the resolver thread of a replay). Lifecycle: built on a
// state before its replay starts, then resolve() batch after batch in journal order.

#include <cstdint>
#include <span>

#include "engine/big_array.h"
#include "engine/booking_state.h"
#include "engine/schema/events.h"
#include "engine/reservation_index.h"
#include "journal/limits.h"
#include "journal/record.h"

namespace ordo::engine {

// A batch body names at most this many reservations to find (each such record is at least
// a header and a reservation_changed_v1).
inline constexpr std::uint32_t found_reservations_per_batch_max =
    journal::batch_bytes_max /
    journal::record_bytes_for(sizeof(reservation_changed_v1));

class reservation_resolver {
public:
    explicit reservation_resolver(booking_state& state);

    // Walks `record_count` records of `body` (framing validated by the journal reader),
    // indexes each new reservation and writes the record number of each reservation a
    // status change names to `found` (found_reservations_per_batch_max entries); returns
    // how many it wrote. It stops where apply_resolved will: at a type or version this
    // ordo does not know, or at a hold the full table has no room for; from then on it
    // resolves nothing (the replay ends at that record).
    std::uint32_t resolve(std::span<const std::byte> body, std::uint32_t record_count,
                          std::span<std::uint32_t> found) noexcept;
    bool stopped() const noexcept { return stopped_; }

private:
    std::uint64_t id_of(std::uint32_t record) const noexcept {
        if (record < existing_) return existing_records_[record].id;
        ORDO_ASSERT(record < next_record_);
        return new_ids_[record - existing_];
    }

    // Copies of the state's members, which share cache lines with the counters the
    // applying thread writes for every record.
    const reservation_index index_;
    const std::uint32_t reservations_max_;
    const reservation_state* const existing_records_;
    const std::uint32_t existing_;  // records before the replay (the snapshot's)
    std::uint32_t next_record_;     // the number the next hold's record gets
    big_array<std::uint64_t> new_ids_;  // ids of records existing_.. as they are indexed
    bool stopped_ = false;
};

}  // namespace ordo::engine
