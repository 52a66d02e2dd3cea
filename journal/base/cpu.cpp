#include "journal/base/cpu.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

namespace ordo::base {

bool pin_current_thread(std::uint32_t cpu) noexcept {
    if (cpu >= cpu_count()) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

std::uint32_t cpu_count() noexcept {
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? static_cast<std::uint32_t>(online) : 1;
}

}  // namespace ordo::base
