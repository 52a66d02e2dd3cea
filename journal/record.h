#pragma once
// Record framing inside a batch body (journal/FORMAT.md). The journal knows a record only
// as size + type + schema version + payload; what the payload means is the engine's.

#include <cstdint>
#include <type_traits>

namespace ordo::journal {

struct record_header {
    std::uint16_t size_bytes;  // header + payload + padding; a multiple of 8
    std::uint8_t type;         // 0 is never a valid type
    std::uint8_t schema_version;
    std::uint32_t reserved_zero;
};
static_assert(sizeof(record_header) == 8);
static_assert(std::has_unique_object_representations_v<record_header>);

}  // namespace ordo::journal
