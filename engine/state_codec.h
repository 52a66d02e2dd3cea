#pragma once
// The whole booking state as bytes, for snapshots and for comparing two states: a live run
// and its replay must encode to the same bytes. Layout (little-endian, versioned): the
// header, the conference records in creation order, the reservation arena as it lies (live
// records and free ones, whose links make the free list), then the finished ids' pages,
// page keys and scattered log. The index, the conferences' live lists and the expiry queue
// are not stored: they are rebuilt from the live records (the queue in (expires_at, id)
// order).
//
// Thread: the thread that owns the state (encode and describe: the sequencer between
// batches, or a test; decode: recovery before the sequencer starts).

#include <array>
#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "engine/booking_state.h"
#include "journal/checksum.h"

namespace ordo::engine {

inline constexpr std::uint64_t state_magic = 0x3174'6174'536f'6472ull;  // "rdoState1"
// 5: the arena holds live reservations only (free records on a free list threaded through
// them), followed by the finished ids (engine/finished_ids.h); the header grew to 104
// bytes. 4: a conference's type_count is 16 bits, followed by its `closed` flag (3: type_count 32
// bits). 3: conferences store each seat type's counters together (2: column-wise). 2:
// reservation records in the order they were made, without table slots (the index is
// rebuilt on decode); 1 stored each record with its slot. Older snapshots are refused and
// recovery replays the journal instead.
inline constexpr std::uint32_t state_format_version = 5;

// The header's bytes: the counters and the tables' lengths.
inline constexpr std::size_t state_header_bytes = 104;

// The encoding as parts at one instant: the header's bytes, then the snapshotted tables'
// bytes where they lie, in order (booking_state::snapshot_tables()). The snapshotter keeps
// the header and streams the tables out behind the sequencer (engine/snapshot_guard.h);
// encode_state() copies them.
struct state_parts {
    std::array<std::byte, state_header_bytes> header{};
    std::array<snapshot_table_span, 5> tables{};
    std::uint64_t bytes() const noexcept {
        std::uint64_t total = header.size();
        for (const snapshot_table_span& t : tables) total += t.bytes;
        return total;
    }
};
state_parts describe_state(const booking_state& state) noexcept;

std::vector<std::byte> encode_state(const booking_state& state);
// `into` must be freshly constructed. Fails (one line) when the bytes are not a state of
// this version or do not fit `into`'s capacities (the message names the option to raise).
std::expected<void, std::string> decode_state(std::span<const std::byte> bytes,
                                              booking_state& into);
// XXH3-128 of encode_state(): equal digests, equal states.
journal::checksum128 state_digest(const booking_state& state);

}  // namespace ordo::engine
