#pragma once
// One journal record as JSON, for `ordo journal dump`: its position, type, schema version
// and every payload field by name. Also the key ids used by dump's filters.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

namespace ordo::tools {

std::string_view event_type_name(std::uint8_t type);

struct event_keys {
    std::uint64_t conference = 0;   // 0 when the event names none
    std::uint64_t reservation = 0;  // 0 when the event names none
};

// `payload` is the record's payload (after journal::record_header).
nlohmann::ordered_json event_json(std::uint8_t type, std::uint8_t schema_version,
                                  std::span<const std::byte> payload);
event_keys event_keys_of(std::uint8_t type, std::span<const std::byte> payload);

}  // namespace ordo::tools
