#include "tools/drill/drill_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ordo::tools::drill {

std::uint64_t drill_report::injected_total() const {
    std::uint64_t total = 0;
    for (const auto& [name, count] : injected) total += count;
    return total;
}

bool drill_report::ok() const {
    return !failure && acknowledged_lost == 0 && detected + harmless == injected_total();
}

void drill_report::fail(std::uint64_t round, std::string why, std::string reproduce_command) {
    if (failure) return;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    failure = std::move(why);
    failing_round = round;
    reproduce = std::move(reproduce_command);
}

namespace {

struct percentiles {
    double p50_ms = 0;
    double max_ms = 0;
};

percentiles recovery_percentiles(std::vector<std::uint64_t> samples) {
    if (samples.empty()) return {};
    std::sort(samples.begin(), samples.end());
    return {.p50_ms = static_cast<double>(samples[samples.size() / 2]) / 1e6,
            .max_ms = static_cast<double>(samples.back()) / 1e6};
}

std::string injected_text(const drill_report& report) {
    std::string text = fmt::format("{}", report.injected_total());
    if (report.injected.empty()) return text;
    text += " (";
    bool first = true;
    for (const auto& [kind, count] : report.injected) {
        text += fmt::format("{}{}: {}", first ? "" : ", ", kind, count);
        first = false;
    }
    return text + ")";
}

}  // namespace

std::string report_table(const drill_report& r) {
    const percentiles recovery = recovery_percentiles(r.recovery_ns);
    std::string out = fmt::format("ordo drill {}: seed {}\n", r.kind, r.seed);
    auto row = [&](std::string_view name, const std::string& value) {
        out += fmt::format("  {:<30} {}\n", name, value);
    };
    row("rounds", fmt::format("{}", r.rounds));
    row("faults injected", injected_text(r));
    row("detected", fmt::format("{}", r.detected));
    if (r.harmless > 0) row("proven harmless", fmt::format("{}", r.harmless));
    row("acknowledged commands", fmt::format("{}", r.acknowledged));
    row("acknowledged commands lost", fmt::format("{}", r.acknowledged_lost));
    row("recoveries", fmt::format("{}", r.recovery_ns.size()));
    row("recovery time p50 / max",
        fmt::format("{:.2f} ms / {:.2f} ms", recovery.p50_ms, recovery.max_ms));
    for (const std::string& note : r.notes) out += fmt::format("  note: {}\n", note);
    if (r.ok()) {
        out += "result: ok\n";
    } else {
        out += fmt::format("result: FAILED at round {}: {}\n", r.failing_round.value_or(0),
                           r.failure.value_or("faults missed or acknowledged commands lost"));
        if (!r.reproduce.empty()) out += fmt::format("reproduce: {}\n", r.reproduce);
    }
    return out;
}

std::string report_json(const drill_report& r) {
    const percentiles recovery = recovery_percentiles(r.recovery_ns);
    nlohmann::ordered_json injected = nlohmann::ordered_json::object();
    for (const auto& [kind, count] : r.injected) injected[kind] = count;
    nlohmann::ordered_json document = {
        {"drill", r.kind},
        {"seed", r.seed},
        {"rounds", r.rounds},
        {"injected", injected},
        {"injected_total", r.injected_total()},
        {"detected", r.detected},
        {"harmless", r.harmless},
        {"acknowledged", r.acknowledged},
        {"acknowledged_lost", r.acknowledged_lost},
        {"recoveries", r.recovery_ns.size()},
        {"recovery_ms_p50", recovery.p50_ms},
        {"recovery_ms_max", recovery.max_ms},
        {"notes", r.notes},
        {"ok", r.ok()},
    };
    if (r.failure) {
        document["failure"] = *r.failure;
        document["failing_round"] = r.failing_round.value_or(0);
        document["reproduce"] = r.reproduce;
    }
    return document.dump();
}

}  // namespace ordo::tools::drill
