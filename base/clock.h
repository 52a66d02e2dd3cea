#pragma once
// Monotonic time for measurement and wait strategies only: domain time comes from
// commands and never from a clock (replay must not read one).

#include <cstdint>
#include <ctime>

namespace ordo::base {

inline std::uint64_t monotonic_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace ordo::base
