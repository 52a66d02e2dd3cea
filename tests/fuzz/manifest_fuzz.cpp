// Fuzz target: the data directory's manifest decoder (journal/manifest.h,
// decode_manifest). Any bytes must decode or be refused with a reason, never an assertion;
// a manifest that decodes must be exactly what encode_manifest writes for it (no two byte
// strings mean one manifest). Built only when the manifest decoder exists in the tree
// (tests/fuzz/CMakeLists.txt checks).
//
// Input: one mode byte, then the bytes. Mode bit 0: when they are a manifest's size,
// reseal its checksum (the last 16 bytes, XXH3-128 of every byte before them), so that the
// checks behind it (magic, versions, every field's range and agreement) are reached.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/assert.h"
#include "journal/checksum.h"
#include "journal/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ordo::journal;
    if (size == 0) return 0;
    const auto* const first = reinterpret_cast<const std::byte*>(data) + 1;
    std::vector<std::byte> bytes(first, first + (size - 1));
    constexpr std::size_t checked_bytes = manifest_bytes - sizeof(checksum128);
    if ((data[0] & 1) != 0 && bytes.size() == manifest_bytes) {
        const checksum128 sum = checksum(bytes.data(), checked_bytes);
        std::memcpy(bytes.data() + checked_bytes, &sum, sizeof(sum));
    }
    const auto decoded = decode_manifest(bytes);
    if (!decoded) {
        ORDO_ASSERT(!decoded.error().detail.empty());
        return 0;
    }
    ORDO_ASSERT(bytes.size() == manifest_bytes);
    const auto again = encode_manifest(*decoded);
    ORDO_ASSERT(std::memcmp(again.data(), bytes.data(), manifest_bytes) == 0);
    return 0;
}
