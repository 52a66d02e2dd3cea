// ordo drill torn: after a clean run (every batch acknowledged, the manifest closed at the
// exact end), the last segment is cut at a random byte offset, as a file system that lost
// the end of a file would leave it:
// - a cut before the end of its last batch removes acknowledged data: `ordo state` and
//   `ordo journal verify` must report damage (exit 1) naming the segment (detected);
// - a cut at or after it (into the zeroed area, so the file is shorter than the segment
//   size) loses nothing: `ordo state` must recover every command, exactly (proven
//   harmless: the cut bytes were zeros past the durable end the manifest records).
// The segment is restored after each round.
#include <fmt/core.h>

#include <fstream>

#include "tools/drill/child_process.h"
#include "tools/drill/clean_run.h"
#include "tools/drill/data_dir_files.h"
#include "tools/drill/process_drills.h"
#include "tools/drill/recovery_check.h"
#include "tools/drill/seeded_random.h"

namespace ordo::tools::drill {

namespace {

constexpr std::uint64_t torn_rounds_default = 200;
constexpr std::uint64_t torn_commands = 3000;

std::uint64_t choose_cut(const segment_layout& last, seeded_random& random) {
    const std::uint64_t roll = random.below(100);
    if (roll < 45 && last.batches_end > 0) return random.below(last.batches_end);
    if (roll < 55 && !last.used.empty()) {
        // On a batch boundary, or exactly at the end: the edges of the classification.
        const std::size_t i = random.below(last.used.size() + 1);
        return i == last.used.size() ? last.batches_end : last.used[i].begin;
    }
    return random.between(last.batches_end, last.file_bytes - 1);
}

}  // namespace

drill_report run_torn_drill(const drill_options& options) {
    drill_report report{.kind = "torn", .seed = options.seed};
    report.notes.push_back(
        "detected = a cut into acknowledged batches reported as damage "
        "(exit 1, the segment named) by ordo state and ordo journal verify");
    report.notes.push_back(
        "proven harmless = a cut at or after the last batch's end (only "
        "zeros past the manifest's durable end lost): every command recovered "
        "exactly");
    const std::uint64_t rounds = options.rounds > 0 ? options.rounds : torn_rounds_default;
    const auto reproduce =
        fmt::format("ordo drill torn --seed {} --rounds {}", options.seed, rounds);
    const std::filesystem::path dir = options.work_dir / "torn";
    auto clean = make_clean_dir(options.ordo_binary, dir, options.seed, torn_commands, 0);
    if (!clean) {
        report.fail(0, clean.error(), reproduce);
        return report;
    }
    const std::vector<segment_layout> layouts = read_segment_layouts(clean->data);
    if (layouts.empty()) {
        report.fail(0, "the clean run left no segment", reproduce);
        return report;
    }
    const segment_layout& last = layouts.back();
    const std::string pristine = read_text(last.path);
    const std::string& whole_state = clean->expected.states.back();
    seeded_random random(options.seed);
    progress_ticker progress(options);
    for (std::uint64_t round = 0; round < rounds && !report.failure; round++) {
        const std::uint64_t cut = choose_cut(last, random);
        std::filesystem::resize_file(last.path, cut);
        const bool into_batches = cut < last.batches_end;
        const recovery_check check = check_recovery(options.ordo_binary, clean->data, dir,
                                                    whole_state, last.path, into_batches);
        report.recovery_ns.push_back(check.state.elapsed_ns);
        report.rounds++;
        const std::string where = fmt::format("{} cut to {} bytes (batches end at {})",
                                              last.path.filename().string(), cut, last.batches_end);
        if (into_batches) {
            report.injected["cut into acknowledged batches"]++;
            if (check.state.exit_status == 1 && check.state_names &&
                check.verify.exit_status == 1 && check.verify_names) {
                report.detected++;
            } else {
                report.acknowledged_lost += check.state.exit_status == 0 ? 1 : 0;
                report.fail(round,
                            fmt::format("{}: not reported as damage (state exit {}, "
                                        "verify exit {}): {}{}",
                                        where, check.state.exit_status, check.verify.exit_status,
                                        check.state.err, check.verify.err),
                            reproduce);
            }
        } else {
            report.injected["cut after the last batch"]++;
            if (check.exact) {
                report.harmless++;
            } else {
                report.fail(round,
                            fmt::format("{}: not recovered exactly (exit {}): {}", where,
                                        check.state.exit_status, check.state.err),
                            reproduce);
            }
        }
        std::ofstream(last.path, std::ios::binary | std::ios::trunc) << pristine;
        progress.tick(round + 1, rounds);
    }
    report.acknowledged = torn_commands;
    return report;
}

}  // namespace ordo::tools::drill
