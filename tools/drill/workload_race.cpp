#include "tools/drill/workload_race.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <vector>

#include "journal/data_dir.h"
#include "tools/drill/child_process.h"
#include "tools/drill/clean_run.h"
#include "tools/drill/data_dir_files.h"
#include "tools/drill/workload_file.h"

namespace ordo::tools::drill {

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t slice_us_min = 20;
constexpr std::uint64_t slice_us_max = 200;
constexpr std::uint64_t slices_max = 100'000;  // a run that never reads its workload
constexpr std::uint32_t change_at_start_percent = 15;

// The workload as text, with where each line starts (and, last, the text's size).
struct workload_text {
    std::string bytes;
    std::vector<std::uint64_t> line_starts;
};

workload_text text_of(std::span<const engine::command> commands) {
    workload_text text;
    for (const engine::command& c : commands) {
        text.line_starts.push_back(text.bytes.size());
        text.bytes += command_json_line(c) + "\n";
    }
    text.line_starts.push_back(text.bytes.size());
    return text;
}

// Where process `child` is reading `file` (its descriptor's offset), or nullopt when it does
// not hold it open. Read while the child is stopped, so it is where its reads stopped.
std::optional<std::uint64_t> read_position(pid_t child, const fs::path& file) {
    const fs::path fds = fmt::format("/proc/{}/fd", child);
    std::error_code error;
    for (fs::directory_iterator it(fds, error), end; !error && it != end; it.increment(error)) {
        std::error_code link_error;
        if (fs::read_symlink(it->path(), link_error) != file || link_error) continue;
        std::ifstream info(
            fmt::format("/proc/{}/fdinfo/{}", child, it->path().filename().string()));
        std::string key;
        std::uint64_t position = 0;
        if (info >> key >> position && key == "pos:") return position;
    }
    return std::nullopt;
}

// When the change came, as the drill saw it between the child's slices.
struct moment {
    enum kind_t { unseen, while_read, after_read } kind = unseen;
    std::uint64_t position = 0;  // while_read: the bytes the child had read
};

// Runs the child in slices until its read position passes a random byte of the workload,
// or it is seen done with it (the descriptor closed, or the results file made: that comes
// after the check). `unseen`: changed right at the start, or the read was never caught open.
moment pace_until_change(pid_t child, const fs::path& workload, const fs::path& results,
                         std::uint64_t workload_bytes, seeded_random& random) {
    const bool at_start = random.chance(change_at_start_percent);
    const std::uint64_t target = random.below(workload_bytes);
    if (!pause_process(child) || at_start) return {};
    bool seen_open = false;
    for (std::uint64_t slices = 0; slices < slices_max; slices++) {
        if (const auto position = read_position(child, workload)) {
            seen_open = true;
            if (*position >= target) return {.kind = moment::while_read, .position = *position};
        } else if (seen_open || fs::exists(results)) {
            return {.kind = moment::after_read};
        }
        if (!run_slice(child, random.between(slice_us_min, slice_us_max))) break;
    }
    return {};
}

// One result ordo may give: a refusal, or exactly these commands run.
struct prediction {
    bool refused = false;
    std::vector<engine::command> commands;
    std::uint64_t a_prefix = 0;  // commands are the first a_prefix of the workload (else 0)
};

// What ordo saw when the workload was cut to `seen` bytes of `text`.
prediction seen_prefix(const workload_text& text, std::uint64_t seen,
                       std::span<const engine::command> commands) {
    const auto& starts = text.line_starts;
    for (std::size_t line = 0; line < starts.size(); line++) {
        // At a line's start, or right before its newline: whole lines only.
        const bool at_start = starts[line] == seen;
        const bool before_newline = line + 1 < starts.size() && starts[line + 1] == seen + 1;
        if (!at_start && !before_newline) continue;
        const std::size_t count = at_start ? line : line + 1;
        return {.commands = {commands.begin(), commands.begin() + count}, .a_prefix = count};
    }
    return {.refused = true};
}

std::string change_file(const fs::path& workload, workload_change change, std::uint64_t cut,
                        const std::string& tail) {
    if (change == workload_change::truncate) {
        if (::truncate(workload.c_str(), static_cast<off_t>(cut)) != 0) return "truncate failed";
        return "";
    }
    // In place, as an editor that writes over the file does: the part before `cut` stays.
    const int fd = ::open(workload.c_str(), O_WRONLY);
    if (fd < 0) return "open for the rewrite failed";
    const bool written = ::pwrite(fd, tail.data(), tail.size(), static_cast<off_t>(cut)) ==
                             static_cast<ssize_t>(tail.size()) &&
                         ::ftruncate(fd, static_cast<off_t>(cut + tail.size())) == 0;
    ::close(fd);
    return written ? "" : "the rewrite failed";
}

// Checks one finished run against the predictions; empty when one of them holds.
std::string judge(const workload_race& race, const fs::path& data, const fs::path& results,
                  int exit_status, const std::vector<prediction>& predictions, bool& refused) {
    const bool journal_written =
        !files_ending(journal::data_dir_layout::journal(data), ".journal").empty();
    std::string why = fmt::format("exit {}", exit_status);
    for (const prediction& p : predictions) {
        if (p.refused) {
            if (exit_status == 2 && !journal_written && size_or_zero(results) == 0) {
                refused = true;
                return "";
            }
            why += "; expected a refusal with nothing written";
            continue;
        }
        const auto acknowledged = read_results(results);
        if (exit_status != 0 || !acknowledged || acknowledged->size() != p.commands.size()) {
            why += fmt::format("; expected {} commands run, results hold {}", p.commands.size(),
                               acknowledged ? acknowledged->size() : 0);
            continue;
        }
        std::optional<expected_history> computed;
        const expected_history* expected = race.expected;
        if (p.a_prefix != p.commands.size()) {
            auto history = expect_history(p.commands);
            if (!history) return history.error();
            computed = std::move(*history);
            expected = &*computed;
        }
        const std::size_t count = p.commands.size();
        const bool outcomes_equal =
            std::equal(acknowledged->begin(), acknowledged->end(), expected->outcomes.begin());
        const process_result state = run_process(
            race.ordo_binary, {"state", "--data", data.string()}, race.dir / "race_state");
        if (outcomes_equal && state.exit_status == 0 &&
            state.out == expected->states[count] + "\n") {
            return "";
        }
        why += fmt::format("; {} commands run, outcomes equal: {}, state exit {} equal: {}", count,
                           outcomes_equal, state.exit_status,
                           state.out == expected->states[count] + "\n");
    }
    return why;
}

}  // namespace

race_verdict run_workload_race(const workload_race& race, workload_change change,
                               seeded_random& random) {
    ORDO_ASSERT(race.expected != nullptr);
    ORDO_ASSERT(race.commands.size() >= 2);
    const fs::path data = race.dir / "race_data";
    const fs::path workload = race.dir / "race.jsonl";
    const fs::path results = race.dir / "race_results.jsonl";
    fs::remove_all(data);
    fs::remove(results);
    const workload_text text = text_of(race.commands);
    std::ofstream(workload, std::ios::binary | std::ios::trunc) << text.bytes;
    const std::size_t lines = race.commands.size();
    const pid_t child = start_process(race.ordo_binary, drill_run_args(data, workload, results, 0),
                                      race.dir / "race.log");
    if (child < 0) return {.why = "could not start ordo run"};
    const moment when =
        pace_until_change(child, fs::canonical(workload), results, text.bytes.size(), random);
    race_verdict verdict{.landing = when.kind == moment::while_read ? "while it was read"
                                    : when.kind == moment::after_read
                                        ? "after it was read"
                                        : "before its read (or, unseen, after it)"};
    // Where the change starts: anywhere for a cut (half of the time a line's start); for a
    // rewrite a line's start at or after what was read (bytes read are in ordo's hands).
    std::size_t line = 1 + random.below(lines - 1);
    std::uint64_t cut =
        random.chance(50) ? text.line_starts[line] : random.between(1, text.bytes.size() - 1);
    if (change == workload_change::rewrite) {
        cut = text.line_starts[line];
        if (when.kind == moment::while_read) {
            line =
                std::lower_bound(text.line_starts.begin(), text.line_starts.end(), when.position) -
                text.line_starts.begin();
            cut = text.line_starts[line];
        }
    }
    std::string tail;
    for (const engine::command& c : race.others) tail += command_json_line(c) + "\n";
    const std::string changed = change_file(workload, change, cut, tail);
    ::kill(child, SIGCONT);
    const int exit_status = wait_process(child);
    if (!changed.empty()) return {.why = changed};

    // What ordo may have seen: the old bytes it read before the change, then the new file.
    const prediction old_whole{.commands = {race.commands.begin(), race.commands.end()},
                               .a_prefix = lines};
    std::vector<prediction> predictions;
    if (change == workload_change::truncate) {
        const std::uint64_t seen =
            when.kind == moment::while_read ? std::max(when.position, cut) : cut;
        if (when.kind != moment::after_read)
            predictions.push_back(seen_prefix(text, seen, race.commands));
        if (when.kind != moment::while_read) predictions.push_back(old_whole);
    } else {
        prediction mixed{.commands = {race.commands.begin(), race.commands.begin() + line}};
        mixed.commands.insert(mixed.commands.end(), race.others.begin(), race.others.end());
        if (when.kind != moment::after_read) predictions.push_back(mixed);
        // Read to its last byte but the end not yet seen: either may come.
        if (when.kind != moment::while_read || line == lines) predictions.push_back(old_whole);
    }
    verdict.why = judge(race, data, results, exit_status, predictions, verdict.refused);
    verdict.passed = verdict.why.empty();
    if (!verdict.passed) {
        verdict.why = fmt::format(
            "changed {} at byte {} of {} ({}): {}", verdict.landing, cut, text.bytes.size(),
            when.kind == moment::while_read ? fmt::format("read to byte {}", when.position)
                                            : "read position unknown",
            verdict.why);
    }
    return verdict;
}

}  // namespace ordo::tools::drill
