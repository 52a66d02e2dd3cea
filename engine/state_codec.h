#pragma once
// The whole booking state as bytes, for snapshots and for comparing two states: a live run
// and its replay must encode to the same bytes. Layout (little-endian, versioned):
// state_header_v1, the conference records in creation order, then every reservation
// record with its table slot. The expiry queue is not stored: it is rebuilt from the held
// reservations, in (expires_at, id) order.
//
// Thread: the thread that owns the state (encode: a snapshot taker with a private copy,
// or the sequencer between batches; decode: recovery before the sequencer starts).

#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "engine/booking_state.h"
#include "journal/checksum.h"

namespace ordo::engine {

inline constexpr std::uint64_t state_magic = 0x3174'6174'536f'6472ull;  // "rdoState1"
// 4: a conference's type_count is 16 bits, followed by its `closed` flag (3: type_count 32
// bits). 3: conferences store each seat type's counters together (2: column-wise). 2:
// reservation records in the order they were made, without table slots (the index is
// rebuilt on decode); 1 stored each record with its slot. Older snapshots are refused and
// recovery replays the journal instead.
inline constexpr std::uint32_t state_format_version = 4;

std::vector<std::byte> encode_state(const booking_state& state);
// `into` must be freshly constructed. Fails (one line) when the bytes are not a state of
// this version or do not fit `into`'s capacities (the message names the option to raise).
std::expected<void, std::string> decode_state(std::span<const std::byte> bytes,
                                              booking_state& into);
// XXH3-128 of encode_state(): equal digests, equal states.
journal::checksum128 state_digest(const booking_state& state);

}  // namespace ordo::engine
