#include "tools/drill/clean_run.h"

#include "tools/drill/child_process.h"
#include "tools/drill/workload_file.h"

namespace ordo::tools::drill {

std::vector<std::string> drill_run_args(const std::filesystem::path& data,
                                        const std::filesystem::path& workload,
                                        const std::filesystem::path& results,
                                        std::uint64_t snapshot_every) {
    return {"run",
            "--data",
            data.string(),
            "--workload",
            workload.string(),
            "--results",
            results.string(),
            "--segment-mib",
            "1",
            "--batch-kib",
            "128",
            "--snapshot-every",
            std::to_string(snapshot_every),
            "--conferences-max",
            std::to_string(drill_conferences_max),
            "--reservations-max",
            std::to_string(drill_reservations_max)};
}

std::expected<clean_dir, std::string> make_clean_dir(const std::filesystem::path& binary,
                                                     const std::filesystem::path& dir,
                                                     std::uint64_t seed, std::uint64_t count,
                                                     std::uint64_t snapshot_every) {
    clean_dir made{.data = dir / "data", .commands = generate_commands(seed, count)};
    std::filesystem::create_directories(dir);
    std::filesystem::remove_all(made.data);
    auto expected = expect_history(made.commands);
    if (!expected) return std::unexpected(expected.error());
    made.expected = std::move(*expected);
    const std::filesystem::path workload = dir / "workload.jsonl";
    write_workload(workload, made.commands);
    const process_result run = run_process(
        binary, drill_run_args(made.data, workload, dir / "results.jsonl", snapshot_every),
        dir / "run");
    if (run.exit_status != 0) return std::unexpected("ordo run failed: " + run.err);
    return made;
}

}  // namespace ordo::tools::drill
