#pragma once
// The projections' views as `ordo query` prints them (CONTRACT.md section 4): JSON objects
// and JSON lines, ids ascending. Printing is the CLI's; the views only hold data.

#include <cstdint>
#include <string>
#include <vector>

#include "projections/availability.h"
#include "projections/customers.h"
#include "projections/history.h"
#include "projections/sales.h"

namespace ordo::tools {

// {"id":..,"hold_ttl_ms":..,"closed":..,"seat_types":[..]}, as `ordo state` prints it.
std::string conference_json(const projections::conference_view& conference);
// {"commands":N,"conferences":[...]}; only `conference` when it is not 0 (it must exist).
std::string availability_json(const projections::availability& view, std::uint64_t conference);
std::string customer_json(std::uint64_t customer,
                          const std::vector<projections::reservation_view>& reservations);
// One JSON line (no newline); "reservation" only when `with_reservation` and it has one.
std::string history_line(const projections::history_entry& entry, bool with_reservation);
std::string sales_line(const projections::sales_bucket& bucket);

}  // namespace ordo::tools
