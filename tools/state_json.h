#pragma once
// The state as `ordo state` prints it (CONTRACT.md section 3): one JSON object, ids
// ascending. Also used by tests to compare a live run with its replay.

#include <string>

#include "engine/booking_state.h"

namespace ordo::tools {

std::string state_json(const engine::booking_state& state);

}  // namespace ordo::tools
