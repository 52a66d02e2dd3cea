#pragma once
// How far a reader is behind the durable end of the journal, sampled once per batch it
// applied: in microseconds (from the batch becoming durable to the reader having applied
// it) and in records (durable records the reader had not applied yet at that moment).
// Each is kept in a fixed log-linear histogram (no allocation after construction, 1/32
// relative resolution), so a reader that runs for hours keeps exact counts and a bounded
// footprint, and p50/p99/max come out at the end.
//
// Value type; owned by the reader's thread, read after it stopped.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "base/assert.h"

namespace ordo::projections {

class log_histogram {
public:
    void add(std::uint64_t value) noexcept {
        counts_[bucket_of(value)]++;
        total_++;
        if (value > max_) max_ = value;
    }
    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t max() const noexcept { return max_; }
    // The lower bound of the bucket holding quantile q (0..1) of the samples; 0 when empty.
    std::uint64_t quantile(double q) const noexcept {
        ORDO_ASSERT(q >= 0.0);
        ORDO_ASSERT(q <= 1.0);
        if (total_ == 0) return 0;
        if (q >= 1.0) return max_;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::uint32_t b = 0; b < buckets; b++) {
            seen += counts_[b];
            if (seen >= rank) return std::min(lower_bound_of(b), max_);
        }
        ORDO_ASSERT(false);
        return max_;
    }

private:
    // Values below 64 exactly; above, 32 buckets per power of two.
    static constexpr std::uint32_t exact = 64;
    static constexpr std::uint32_t sub_bits = 5;
    static constexpr std::uint32_t buckets = exact + (64 - 6) * (1u << sub_bits);

    static std::uint32_t bucket_of(std::uint64_t value) noexcept {
        if (value < exact) return static_cast<std::uint32_t>(value);
        const auto top = static_cast<std::uint32_t>(63 - std::countl_zero(value));  // >= 6
        const auto sub = static_cast<std::uint32_t>(value >> (top - sub_bits)) & 31u;
        const std::uint32_t index = exact + (top - 6) * 32 + sub;
        ORDO_ASSERT(index < buckets);
        return index;
    }
    static std::uint64_t lower_bound_of(std::uint32_t index) noexcept {
        if (index < exact) return index;
        const std::uint32_t top = (index - exact) / 32 + 6;
        const std::uint64_t sub = (index - exact) % 32;
        return (std::uint64_t{1} << top) | (sub << (top - sub_bits));
    }

    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

struct reader_lag {
    log_histogram us;       // durable -> applied, microseconds
    log_histogram records;  // durable records not yet applied, after each batch
};

}  // namespace ordo::projections
