// ordo drill rot: one random bit flipped per round in a journal segment, a snapshot or
// the manifest of a clean run's directory (round-robin over the three kinds), then
// `ordo state` and `ordo journal verify` are run and the bit is flipped back. A flip is:
// - detected when either command reports it naming the file: ordo state exits 1 naming it,
//   or recovers exactly while noting it skipped the snapshot, or ordo journal verify
//   names it (exit 1 for the journal and manifest; a damaged snapshot is reported with
//   exit 0, since nothing is lost);
// - proven harmless when nothing reports it, the state is exact, and the bit lies outside
//   every batch's header and records (block padding, or the zeroed area past the last
//   batch: bytes no reader interprets and the writer overwrites);
// - a failure otherwise: applied (a different state with exit 0), or a flip in a batch's
//   bytes, a snapshot or the manifest that nothing reported.
#include <fmt/core.h>

#include "journal/data_dir.h"
#include "tools/drill/child_process.h"
#include "tools/drill/clean_run.h"
#include "tools/drill/data_dir_files.h"
#include "tools/drill/process_drills.h"
#include "tools/drill/recovery_check.h"
#include "tools/drill/seeded_random.h"

namespace ordo::tools::drill {

namespace {

constexpr std::uint64_t rot_rounds_default = 300;
constexpr std::uint64_t rot_commands = 8000;
constexpr std::uint64_t rot_snapshot_every = 2000;

struct flip {
    std::filesystem::path path;
    std::uint64_t offset = 0;
    std::uint32_t bit = 0;
    const char* kind = "";
    bool meaningful = true;  // inside a batch's header or records, or a snapshot/manifest
};

flip choose_flip(std::uint64_t round, const std::vector<segment_layout>& segments,
                 const std::vector<std::filesystem::path>& snapshots,
                 const std::filesystem::path& manifest, seeded_random& random) {
    flip f{.bit = static_cast<std::uint32_t>(random.below(8))};
    const std::uint64_t kind = snapshots.empty() ? (round % 2) * 2 : round % 3;
    if (kind == 1) {
        f.path = snapshots[random.below(snapshots.size())];
        f.offset = random.below(size_or_zero(f.path));
        f.kind = "snapshot";
        return f;
    }
    if (kind == 2) {
        f.path = manifest;
        f.offset = random.below(size_or_zero(manifest));
        f.kind = "manifest";
        return f;
    }
    const segment_layout& s = segments[random.below(segments.size())];
    f.path = s.path;
    if (random.chance(70) && !s.used.empty()) {
        const byte_range& r = s.used[random.below(s.used.size())];
        f.offset = random.between(r.begin, r.end - 1);
    } else {
        f.offset = random.below(s.file_bytes);
    }
    f.meaningful = in_ranges(s.used, f.offset);
    f.kind = f.meaningful ? "segment: batch bytes" : "segment: padding or past the end";
    return f;
}

}  // namespace

drill_report run_rot_drill(const drill_options& options) {
    drill_report report{.kind = "rot", .seed = options.seed};
    report.notes.push_back(
        "detected = ordo state exits 1 naming the file, or recovers exactly "
        "noting the damaged snapshot it skipped, or ordo journal verify "
        "names the file");
    report.notes.push_back(
        "proven harmless = unreported, the state exact, and the bit outside "
        "every batch header and record (block padding, zeros past the last "
        "batch)");
    const std::uint64_t rounds = options.rounds > 0 ? options.rounds : rot_rounds_default;
    const auto reproduce =
        fmt::format("ordo drill rot --seed {} --rounds {}", options.seed, rounds);
    const std::filesystem::path dir = options.work_dir / "rot";
    auto clean =
        make_clean_dir(options.ordo_binary, dir, options.seed, rot_commands, rot_snapshot_every);
    if (!clean) {
        report.fail(0, clean.error(), reproduce);
        return report;
    }
    const std::vector<segment_layout> segments = read_segment_layouts(clean->data);
    const std::vector<std::filesystem::path> snapshots =
        files_ending(journal::data_dir_layout::snapshots(clean->data), ".snap");
    const std::filesystem::path manifest = journal::data_dir_layout::manifest(clean->data);
    const std::string& whole_state = clean->expected.states.back();
    seeded_random random(options.seed);
    progress_ticker progress(options);
    for (std::uint64_t round = 0; round < rounds && !report.failure; round++) {
        const flip f = choose_flip(round, segments, snapshots, manifest, random);
        flip_bit(f.path, f.offset, f.bit);
        const recovery_check check =
            check_recovery(options.ordo_binary, clean->data, dir, whole_state, f.path, true);
        flip_bit(f.path, f.offset, f.bit);
        report.rounds++;
        report.recovery_ns.push_back(check.state.elapsed_ns);
        report.injected[f.kind]++;
        const std::string where =
            fmt::format("bit {} of byte {} of {}", f.bit, f.offset, f.path.string());
        if (check.state.exit_status == 0 && !check.exact) {
            report.fail(round,
                        fmt::format("{}: APPLIED: ordo state exit 0 with another state", where),
                        reproduce);
            break;
        }
        if ((check.state.exit_status == 1 && check.state_names) ||
            (check.exact && (check.state_names || check.verify_names))) {
            report.detected++;
        } else if (check.exact && !f.meaningful) {
            report.harmless++;
        } else {
            report.fail(round,
                        fmt::format("{}: not reported (state exit {}, verify exit {}): "
                                    "{} {}",
                                    where, check.state.exit_status, check.verify.exit_status,
                                    check.state.err, check.verify.out + check.verify.err),
                        reproduce);
        }
        progress.tick(round + 1, rounds);
    }
    report.acknowledged = rot_commands;
    return report;
}

}  // namespace ordo::tools::drill
