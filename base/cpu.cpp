#include "base/cpu.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

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

bool all_cpus_but(std::uint32_t cpu, cpu_set_t& set) noexcept {
    const std::uint32_t count = cpu_count();
    if (count <= 1 || cpu >= count) return false;
    CPU_ZERO(&set);
    for (std::uint32_t c = 0; c < count; c++) {
        if (c != cpu) CPU_SET(c, &set);
    }
    return true;
}

bool keep_current_thread_off(std::uint32_t cpu) noexcept {
    cpu_set_t set;
    if (!all_cpus_but(cpu, set)) return true;
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

bool let_current_thread_run_anywhere() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (std::uint32_t c = 0; c < cpu_count(); c++) CPU_SET(c, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

namespace {

std::string_view next_line(std::string_view& text) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return line;
}

void skip_spaces(std::string_view& text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
}

}  // namespace

std::vector<std::uint64_t> device_interrupts_per_cpu(std::string_view text) {
    // The header names the CPU columns ("CPU0 CPU1 ..."); then "N: count count ... name".
    std::string_view header = next_line(text);
    std::size_t cpus = 0;
    for (std::size_t at = header.find("CPU"); at != std::string_view::npos;
         at = header.find("CPU", at + 3)) {
        cpus++;
    }
    if (cpus == 0) return {};
    std::vector<std::uint64_t> totals(cpus, 0);
    while (!text.empty()) {
        std::string_view line = next_line(text);
        skip_spaces(line);
        const std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) continue;
        bool numbered = true;
        for (const char c : line.substr(0, colon)) numbered = numbered && std::isdigit(c) != 0;
        if (!numbered) continue;  // LOC, RES, ...: the CPUs' own, not a device's
        line.remove_prefix(colon + 1);
        for (std::size_t cpu = 0; cpu < cpus; cpu++) {
            skip_spaces(line);
            std::uint64_t count = 0;
            const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), count);
            if (error != std::errc{}) break;
            totals[cpu] += count;
            line.remove_prefix(static_cast<std::size_t>(end - line.data()));
        }
    }
    return totals;
}

std::uint32_t quietest_cpu() {
    const std::uint32_t count = cpu_count();
    std::ifstream file("/proc/interrupts");
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const std::vector<std::uint64_t> totals = device_interrupts_per_cpu(text);
    std::uint32_t best = count - 1;
    if (totals.size() < count) return best;  // offline CPUs or an unreadable file
    for (std::uint32_t cpu = 0; cpu < count; cpu++) {
        if (totals[cpu] < totals[best]) best = cpu;
    }
    return best;
}

}  // namespace ordo::base
