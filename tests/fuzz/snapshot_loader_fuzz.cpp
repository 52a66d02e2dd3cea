// Fuzz target: the snapshot loader, as recovery runs it: the snapshot file's checks
// (journal/snapshot_store.h check_snapshot_bytes) and then the state decoder
// (engine/state_codec.h decode_state) into small tables. Any bytes must give damage or a
// one-line refusal, never an assertion; a payload that decodes must encode back to the
// same bytes and print (the state printer asserts the counters' invariants).
//
// Input: one mode byte, then bytes.
//   bit 0: the bytes are a state payload: wrap them in a valid snapshot header (so the
//          decoder is reached without the checksum in the way);
//   bit 1: otherwise, reseal the file's header and payload checksums when it is long
//          enough to have a header;
//   bit 2: name the file after another sequence than its header's (else the name agrees).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/assert.h"
#include "engine/booking_state.h"
#include "engine/state_codec.h"
#include "journal/limits.h"
#include "journal/snapshot_store.h"
#include "tools/state_json.h"

namespace {

using namespace ordo;

constexpr std::uint64_t name_sequence = 42;

journal::checksum128 header_checksum(const journal::snapshot_header& h) {
    return journal::checksum(&h, offsetof(journal::snapshot_header, header_checksum));
}

std::vector<std::byte> wrapped(std::span<const std::byte> payload) {
    journal::snapshot_header h{.magic = journal::snapshot_magic,
                               .format_version = journal::snapshot_format_version,
                               .segment_index = 0,
                               .next_batch_number = 7,
                               .next_sequence = name_sequence,
                               .segment_offset = 0,
                               .payload_bytes = payload.size(),
                               .previous_header_checksum = {},
                               .payload_checksum = journal::checksum(payload),
                               .header_checksum = {}};
    h.header_checksum = header_checksum(h);
    const auto* const header = reinterpret_cast<const std::byte*>(&h);
    std::vector<std::byte> file(header, header + sizeof(h));
    file.insert(file.end(), payload.begin(), payload.end());
    return file;
}

void reseal(std::vector<std::byte>& file) {
    if (file.size() < sizeof(journal::snapshot_header)) return;
    journal::snapshot_header h;
    std::memcpy(&h, file.data(), sizeof(h));
    const std::span<const std::byte> payload = std::span(file).subspan(sizeof(h));
    h.payload_checksum = journal::checksum(payload);
    h.header_checksum = header_checksum(h);
    std::memcpy(file.data(), &h, sizeof(h));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data) + 1,
                                           size - 1);
    std::vector<std::byte> file;
    if ((mode & 1) != 0) {
        file = wrapped(input);
    } else {
        file.assign(input.begin(), input.end());
        if ((mode & 2) != 0) reseal(file);
    }
    std::uint64_t named = name_sequence;
    if ((mode & 5) == 0 && file.size() >= sizeof(journal::snapshot_header)) {
        std::memcpy(&named, file.data() + offsetof(journal::snapshot_header, next_sequence),
                    sizeof(named));
    }
    const auto view = journal::check_snapshot_bytes(file, named, "fuzz.snap");
    if (!view) return 0;
    ORDO_ASSERT(view->payload.size() + journal::snapshot_header_bytes == file.size());
    ORDO_ASSERT(view->position.segment_offset % journal::block_bytes == 0);

    // Small tables: a snapshot larger than them is refused with the option to raise.
    engine::booking_state state(
        engine::state_options{.conferences_max = 8, .reservations_max = 64});
    const auto decoded = engine::decode_state(view->payload, state);
    if (!decoded) {
        ORDO_ASSERT(!decoded.error().empty());
        ORDO_ASSERT(decoded.error().find('\n') == std::string::npos);
        return 0;
    }
    const std::vector<std::byte> again = engine::encode_state(state);
    ORDO_ASSERT(again.size() == view->payload.size());
    ORDO_ASSERT(std::memcmp(again.data(), view->payload.data(), again.size()) == 0);
    ORDO_ASSERT(!tools::state_json(state).empty());
    return 0;
}
