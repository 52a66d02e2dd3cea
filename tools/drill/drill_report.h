#pragma once
// What a drill found, printed as a table (or JSON) at its end: rounds, faults injected by
// kind, how many were detected, acknowledged commands and how many were lost, recovery
// time p50/max, and the first failure with the seed and round that reproduce it.
// Libraries return errors; the CLI prints (tools/cli/drill_command.cpp).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ordo::tools::drill {

struct drill_report {
    std::string kind;  // crash, torn, rot, full, io-error, misuse, sim
    std::uint64_t seed = 0;
    std::uint64_t rounds = 0;                       // rounds done
    std::map<std::string, std::uint64_t> injected;  // fault kind -> count
    std::uint64_t detected = 0;                     // faults the engine or the reader reported
    std::uint64_t harmless = 0;                     // faults proven harmless (see the drill's note)
    std::uint64_t acknowledged = 0;
    std::uint64_t acknowledged_lost = 0;
    std::vector<std::uint64_t> recovery_ns;
    std::vector<std::string> notes;  // what counts as what, for this drill
    // The first failure: what broke, and the round (and seed) that reproduces it.
    std::optional<std::string> failure;
    std::optional<std::uint64_t> failing_round;
    std::string reproduce;  // the command line that reproduces the failure

    std::uint64_t injected_total() const;
    // Passing: nothing acknowledged lost, every fault detected or proven harmless, no
    // failure.
    bool ok() const;
    // Records the first failure only (later ones are consequences, usually).
    void fail(std::uint64_t round, std::string why, std::string reproduce_command);
};

std::string report_table(const drill_report& report);
std::string report_json(const drill_report& report);

}  // namespace ordo::tools::drill
