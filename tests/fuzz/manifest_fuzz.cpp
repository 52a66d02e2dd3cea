// Fuzz target: the data directory's manifest decoder (journal/manifest.h,
// decode_manifest). Any bytes must decode or be refused, never an assertion. Built only
// when the manifest decoder exists in the tree (tests/fuzz/CMakeLists.txt checks).
#include <cstddef>
#include <cstdint>
#include <span>

#include "journal/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto decoded = ordo::journal::decode_manifest(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
    static_cast<void>(decoded);
    return 0;
}
