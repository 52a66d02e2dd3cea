// Tests for base/cpu.h: reading which CPU serves the device interrupts, so the
// sequencer can be pinned away from them.

#include "base/cpu.h"

#include <catch2/catch.hpp>

using namespace ordo::base;

TEST_CASE("device interrupts are summed per CPU from numbered lines only") {
    const char* text =
        "           CPU0       CPU1       \n"
        "  0:         44          0   IO-APIC   2-edge      timer\n"
        " 36:         10   29459009  PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
        " 37:          5          1  PCI-MSIX-0000:00:03.0   0-edge      virtio2-config\n"
        "NMI:     900000     900000   Non-maskable interrupts\n"
        "LOC:   12345678   87654321   Local timer interrupts\n"
        "ERR:          0\n";
    const std::vector<std::uint64_t> totals = device_interrupts_per_cpu(text);
    REQUIRE(totals == std::vector<std::uint64_t>{59, 29459010});
}

TEST_CASE("a line with fewer columns than CPUs counts what it has") {
    const char* text =
        "   CPU0  CPU1  CPU2\n"
        " 5:   1     2\n"
        " 6:   1     1     1  edge  x\n";
    REQUIRE(device_interrupts_per_cpu(text) == std::vector<std::uint64_t>{2, 3, 1});
}

TEST_CASE("text that is not /proc/interrupts gives no counts") {
    REQUIRE(device_interrupts_per_cpu("").empty());
    REQUIRE(device_interrupts_per_cpu("no header here\n 1: 2 3\n").empty());
}

TEST_CASE("the quietest CPU is one of the online CPUs") {
    REQUIRE(quietest_cpu() < cpu_count());
}
