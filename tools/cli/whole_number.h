#pragma once
// For 64-bit unsigned options without a tighter range. CLI11 2.3 reads "-1" into a uint64_t
// as 2^64 - 1 and an overflowing "18446744073709551616" without complaint, so `--seed -1`
// would silently run some other seed; this refuses both.

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

namespace ordo::tools {

inline const CLI::Validator whole_number(
    [](std::string& value) {
        std::uint64_t parsed = 0;
        const char* const last = value.data() + value.size();
        const auto [end, error] = std::from_chars(value.data(), last, parsed);
        if (error == std::errc() && end == last) return std::string();
        return "Value " + value + " is not a whole number from 0 to " +
               std::to_string(std::numeric_limits<std::uint64_t>::max());
    },
    "UINT", "whole number");

}  // namespace ordo::tools
