#pragma once
// CPU-level helpers shared by every module: cache-line size, the spin hint, pinning.

#include <sched.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

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

// Fills `set` with every online CPU but `cpu`; false (set untouched) when that would leave
// nothing out: a single CPU, or `cpu` is not one of them.
bool all_cpus_but(std::uint32_t cpu, cpu_set_t& set) noexcept;
// Lets the calling thread run on every online CPU but `cpu` (nothing changes when that is
// the only one); false when the scheduler refuses.
bool keep_current_thread_off(std::uint32_t cpu) noexcept;
// Lets the calling thread run on every online CPU again; false when the scheduler refuses.
bool let_current_thread_run_anywhere() noexcept;

// Device interrupts each CPU has served since boot, from the numbered lines of a
// /proc/interrupts text; empty when it cannot be parsed.
std::vector<std::uint64_t> device_interrupts_per_cpu(std::string_view proc_interrupts);
// The CPU for the thread that must not be disturbed (the sequencer): the one that has served
// the fewest device interrupts. A disk's completions, and the kernel work they queue (an
// O_DIRECT + RWF_DSYNC write's flush runs in a kworker on the CPU its interrupt hit), land
// where its interrupt is routed; measured here, all of them on CPU 1, the CPU the sequencer
// was pinned to. The last CPU when the counts cannot be read or are all equal.
std::uint32_t quietest_cpu();

}  // namespace ordo::base
