// Fuzz target: the journal reader's paired checks (journal/reader.h) over segments held in
// memory. Any bytes must end in batches, the end, a torn tail or damage, never in an
// assertion or a sanitizer report; every batch handed out must frame its records.
//
// Input: one mode byte, then the segment bytes (padded with zeros to whole blocks).
//   bit 0: reseal every block that starts with the batch magic (body and header checksum,
//          and, with bit 2, the hash chain from the previous one), so the checks behind
//          the checksums (lengths, numbers, chain, framing, torn tail or damage) are reached;
//   bit 1: split the bytes into two segments at a block boundary (rollover, and the torn
//          tail scan across segments);
//   bit 2: chain the resealed headers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/assert.h"
#include "journal/format.h"
#include "journal/reader.h"
#include "journal/record.h"

namespace {

using namespace ordo::journal;

// Sets the checksums of every block-aligned batch header so that they hold.
void reseal(std::vector<std::byte>& bytes, bool chain) {
    checksum128 previous{};
    for (std::size_t at = 0; at + batch_header_bytes <= bytes.size(); at += block_bytes) {
        batch_header h = load_batch_header({bytes.data() + at, batch_header_bytes});
        if (h.magic != batch_magic) continue;
        const std::uint64_t body_room = bytes.size() - at - batch_header_bytes;
        if (h.body_bytes <= body_room) {
            h.body_checksum = checksum(bytes.data() + at + batch_header_bytes, h.body_bytes);
        }
        if (chain) h.previous_header_checksum = previous;
        h.header_checksum = header_checksum_of(h);
        previous = h.header_checksum;
        std::memcpy(bytes.data() + at, &h, sizeof(h));
    }
}

std::uint64_t first_sequence_at(std::span<const std::byte> segment) {
    if (segment.size() < batch_header_bytes) return 0;
    return load_batch_header(segment.first(batch_header_bytes)).first_sequence;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const auto* const first = reinterpret_cast<const std::byte*>(data) + 1;
    std::vector<std::byte> bytes(first, first + (size - 1));
    bytes.resize(align_up(bytes.size(), block_bytes));  // zeros, as a segment's unused end
    if ((mode & 1) != 0) reseal(bytes, (mode & 4) != 0);

    std::vector<reader::memory_segment> segments;
    const std::span<const std::byte> all(bytes);
    const std::size_t blocks = bytes.size() / block_bytes;
    if ((mode & 2) != 0 && blocks >= 2) {
        const std::size_t split = (blocks / 2) * block_bytes;
        segments.push_back({.index = 0, .first_sequence = 0, .bytes = all.first(split)});
        segments.push_back({.index = 1,
                            .first_sequence = first_sequence_at(all.subspan(split)),
                            .bytes = all.subspan(split)});
    } else {
        segments.push_back({.index = 0, .first_sequence = 0, .bytes = all});
    }

    reader r = reader::open_memory(segments);
    std::uint64_t records = 0;
    for (std::size_t batches = 0;; batches++) {
        ORDO_ASSERT(batches <= bytes.size() / block_bytes);  // each batch takes a block
        auto batch = r.next();
        if (!batch || !batch->has_value()) break;
        const batch_view& view = **batch;
        ORDO_ASSERT(view.body.size() + batch_header_bytes <= bytes.size());
        // A batch that passed the checks must iterate without tripping record_range.
        for (const record_view record : record_range(view.body, view.record_count)) {
            ORDO_ASSERT(record.type != 0);
            ORDO_ASSERT(record.bytes.size() >= record_header_bytes);
            records++;
        }
    }
    ORDO_ASSERT(r.position().next_sequence == records);  // batches follow from sequence 0
    if (const auto torn = r.torn_tail()) ORDO_ASSERT(torn->segment_offset < bytes.size());
    return 0;
}
