#pragma once
// CPU-level helpers shared by every module: cache-line size, the spin hint, pinning.

#include <cstddef>
#include <cstdint>

// For the few functions on the sequencer's per-command path that GCC's heuristics leave
// out of line (measured with callgrind: call overhead was ~10% of the instructions).
#define ORDO_ALWAYS_INLINE [[gnu::always_inline]] inline

namespace ordo::base {

// Zen and every x86 we target use 64-byte lines; the adjacent-line prefetcher pulls
// pairs, so values written by different threads are kept 128 bytes apart.
inline constexpr std::size_t cache_line_bytes = 64;
inline constexpr std::size_t false_sharing_bytes = 128;

inline void cpu_relax() noexcept { __builtin_ia32_pause(); }

// Pins the calling thread to one CPU; returns false when the CPU does not exist or the
// scheduler refuses (containers with a cpuset). Pinning is an optimisation, never required.
bool pin_current_thread(std::uint32_t cpu) noexcept;

std::uint32_t cpu_count() noexcept;

}  // namespace ordo::base
