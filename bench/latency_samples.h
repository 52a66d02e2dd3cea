#pragma once
// What the benchmark programs share: the CTest smoke switch and latency percentiles.
// Thread: each benchmark's own thread.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/assert.h"

namespace ordo::bench {

// ORDO_BENCH_SMOKE=1 (the CTest smoke run): every benchmark shrinks to a quick check.
inline bool smoke() { return std::getenv("ORDO_BENCH_SMOKE") != nullptr; }

// Latency samples of one benchmark run, in nanoseconds; allocated before the timed loop.
class latency_samples {
public:
    latency_samples() { ns_.reserve(smoke() ? 4096 : (1u << 21)); }
    void add(std::uint64_t ns) {
        if (ns_.size() < ns_.capacity()) ns_.push_back(ns);  // never allocates while timed
    }
    std::size_t size() const { return ns_.size(); }
    // Sorts on first use; `q` in [0, 1].
    double quantile_us(double q) {
        ORDO_ASSERT(!ns_.empty());
        ORDO_ASSERT(q >= 0.0 && q <= 1.0);
        if (!sorted_) std::sort(ns_.begin(), ns_.end());
        sorted_ = true;
        const auto index = static_cast<std::size_t>(q * static_cast<double>(ns_.size() - 1));
        return static_cast<double>(ns_[index]) / 1000.0;
    }
    void report(benchmark::State& state, const std::string& prefix) {
        if (ns_.empty()) return;
        state.counters[prefix + "latency_us_p50"] = quantile_us(0.50);
        state.counters[prefix + "latency_us_p99"] = quantile_us(0.99);
        state.counters[prefix + "latency_us_p999"] = quantile_us(0.999);
        state.counters[prefix + "latency_us_max"] = quantile_us(1.0);
    }

private:
    std::vector<std::uint64_t> ns_;
    bool sorted_ = false;
};

}  // namespace ordo::bench
