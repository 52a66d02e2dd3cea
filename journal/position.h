#pragma once
// A place in the journal: where the next batch goes (its number, its first record's
// sequence, segment and byte offset) and the chain value it must carry. Produced by the
// reader (reader::position()) and the writer, stored in snapshots and the manifest.

#include <cstdint>

#include "journal/checksum.h"

namespace ordo::journal {

struct journal_position {
    std::uint64_t next_batch_number = 0;
    std::uint64_t next_sequence = 0;
    std::uint32_t segment_index = 0;
    std::uint64_t segment_offset = 0;
    checksum128 previous_header_checksum{};  // chain value for the next batch
    friend bool operator==(const journal_position&, const journal_position&) = default;
};

// What the journal must hold, from the manifest (manifest.h): where it falls short,
// recovery reports damage instead of cutting a torn tail. Empty: no manifest (a bare
// journal, or a directory written before manifests): the torn-tail rule alone decides.
struct journal_expectations {
    std::uint32_t segment_count = 0;  // segments [0, segment_count) must exist
    std::uint64_t segment_bytes = 0;  // a whole segment's size (0: unknown)
    // Every batch before it must verify, the journal must reach it, and the batch that ends
    // there must be the one recorded (same position, same header checksum).
    journal_position durable_end{};
};

}  // namespace ordo::journal
