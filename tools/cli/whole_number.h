#pragma once
// Checks for every numeric option of the CLI. CLI11 2.1 converts integers with strtoull
// in base 0 and floating values with strtold, so on its own it reads `--seed -1` as
// 2^64 - 1, `--producers 010` as 8 (octal), `--segment-mib 0x10` as 16, and lets
// `--seconds nan` through its Range check (every comparison with nan is false). These
// validators accept plain decimal only, refuse what is out of range with the range in the
// message, and the integer ones rewrite the value to its canonical decimal form before
// CLI11 converts it: add them with ->transform(), not ->check() (which hands a validator a
// copy of the value).

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace ordo::tools {

// A whole number in [min, max], written in decimal digits only (no sign, no spaces, no
// 0x); leading zeros are read as decimal.
inline CLI::Validator whole_number_in(std::uint64_t min, std::uint64_t max) {
    return CLI::Validator(
        [min, max](std::string& value) {
            std::uint64_t parsed = 0;
            const char* const last = value.data() + value.size();
            const auto [end, error] = std::from_chars(value.data(), last, parsed);
            if (error == std::errc() && end == last && parsed >= min && parsed <= max) {
                value = std::to_string(parsed);
                return std::string();
            }
            return "Value " + value + " is not a whole number from " + std::to_string(min) +
                   " to " + std::to_string(max);
        },
        "UINT", "whole number");
}

// Any 64-bit unsigned value.
inline const CLI::Validator whole_number =
    whole_number_in(0, std::numeric_limits<std::uint64_t>::max());

// A finite decimal number in [min, max] (nan, inf and hexadecimal floats refused).
inline CLI::Validator finite_number_in(double min, double max) {
    return CLI::Validator(
        [min, max](std::string& value) {
            double parsed = 0;
            const char* const last = value.data() + value.size();
            const auto [end, error] = std::from_chars(value.data(), last, parsed);
            if (error == std::errc() && end == last && std::isfinite(parsed) && parsed >= min &&
                parsed <= max) {
                return std::string();
            }
            return fmt::format("Value {} is not a number from {} to {}", value, min, max);
        },
        "NUMBER", "finite number");
}

}  // namespace ordo::tools
