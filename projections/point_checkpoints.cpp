#include "projections/point_checkpoints.h"

#include <algorithm>

#include "base/assert.h"
#include "journal/data_dir.h"
#include "journal/io/file_system.h"
#include "projections/checkpoint.h"

namespace ordo::projections {
namespace {

constexpr std::string_view at_infix = ".at-";
constexpr std::string_view suffix = ".checkpoint";
constexpr std::size_t digits = 20;

std::string digits_of(std::uint64_t commands) {
    std::string text = std::to_string(commands);
    return std::string(digits - text.size(), '0') + text;
}

// <name>.at-<20 digits>.checkpoint -> commands; anything else (the current checkpoint, a
// temp file, another view's) -> nullopt.
std::optional<std::uint64_t> parse_name(std::string_view file, std::string_view view_name) {
    const std::size_t expected_size = view_name.size() + at_infix.size() + digits + suffix.size();
    if (file.size() != expected_size || !file.starts_with(view_name) || !file.ends_with(suffix)) {
        return std::nullopt;
    }
    file.remove_prefix(view_name.size());
    if (!file.starts_with(at_infix)) return std::nullopt;
    file.remove_prefix(at_infix.size());
    std::uint64_t commands = 0;
    for (std::size_t i = 0; i < digits; i++) {
        const char c = file[i];
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (commands > (UINT64_MAX - digit) / 10) return std::nullopt;
        commands = commands * 10 + digit;
    }
    return commands;
}

// Loading a checkpoint byte costs up to this many journal bytes replayed (history's at
// 16 M simulated commands: 550 MB loaded in 2x the time of replaying 586 MB of journal).
constexpr std::uint64_t load_cost_per_journal_byte = 2;

// The journal bytes before a checkpoint's position: the segments before its segment
// (DIR/journal/segment-<6 digits>-...journal, whole files) and its offset in its own.
std::uint64_t journal_bytes_before(const std::filesystem::path& data_dir,
                                   const checkpoint_place& place) {
    std::uint64_t bytes = place.segment_offset;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(
             journal::data_dir_layout::journal(data_dir), error)) {
        const std::string name = entry.path().filename().string();
        constexpr std::string_view prefix = "segment-";
        if (!name.starts_with(prefix) || !name.ends_with(".journal") ||
            name.size() < prefix.size() + 6) {
            continue;
        }
        std::uint64_t index = 0;
        bool digits_only = true;
        for (std::size_t i = prefix.size(); i < prefix.size() + 6; i++) {
            if (name[i] < '0' || name[i] > '9') digits_only = false;
            index = index * 10 + static_cast<std::uint64_t>(name[i] - '0');
        }
        if (!digits_only || index >= place.segment_index) continue;
        std::error_code size_error;
        const std::uint64_t size = entry.file_size(size_error);
        if (!size_error) bytes += size;
    }
    return bytes;
}

std::expected<void, std::string> prune(const std::filesystem::path& data_dir,
                                       std::string_view view_name, std::uint32_t keep) {
    auto listed = list_point_checkpoints(data_dir, view_name);
    if (!listed) return std::unexpected(listed.error());
    if (listed->size() <= keep) return {};
    journal::io::file_system& files = journal::io::real_file_system();
    for (std::size_t i = keep; i < listed->size(); i++) {
        if (auto removed = files.remove_file((*listed)[i].path); !removed) {
            return std::unexpected(removed.error().message());
        }
    }
    if (auto synced = files.sync_dir(journal::data_dir_layout::projections(data_dir)); !synced) {
        return std::unexpected(synced.error().message());
    }
    return {};
}

}  // namespace

std::filesystem::path point_checkpoint_path(const std::filesystem::path& data_dir,
                                            std::string_view view_name, std::uint64_t commands) {
    return journal::data_dir_layout::projections(data_dir) /
           (std::string(view_name) + std::string(at_infix) + digits_of(commands) +
            std::string(suffix));
}

std::expected<std::vector<point_checkpoint_file>, std::string> list_point_checkpoints(
    const std::filesystem::path& data_dir, std::string_view view_name) {
    std::vector<point_checkpoint_file> found;
    const std::filesystem::path dir = journal::data_dir_layout::projections(data_dir);
    auto names = journal::io::real_file_system().list_dir(dir);
    if (!names && names.error().code == journal::journal_errc::not_found) return found;
    if (!names) return std::unexpected(names.error().message());
    for (const std::string& name : *names) {
        if (auto commands = parse_name(name, view_name)) {
            found.push_back({.commands = *commands, .path = dir / name});
        }
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.commands > b.commands; });
    return found;
}

bool crosses_point(const projection& view, std::uint64_t commands_before,
                   const point_checkpoint_policy& policy) {
    ORDO_ASSERT(view.commands() >= commands_before);
    if (policy.every_commands == 0 || view.reads_earlier_points_from_checkpoint()) return false;
    return commands_before / policy.every_commands != view.commands() / policy.every_commands;
}

std::expected<void, std::string> after_batch(const std::filesystem::path& data_dir,
                                             const projection& view,
                                             std::uint64_t commands_before,
                                             const point_checkpoint_policy& policy) {
    if (!crosses_point(view, commands_before, policy)) return {};
    ORDO_ASSERT(policy.keep >= point_checkpoint_keep_min &&
                policy.keep <= point_checkpoint_keep_max);
    const std::filesystem::path path =
        point_checkpoint_path(data_dir, view.name(), view.commands());
    if (auto saved = save_checkpoint_file(data_dir, path, view); !saved) return saved;
    return prune(data_dir, view.name(), policy.keep);
}

std::optional<std::uint64_t> load_point_checkpoint(const std::filesystem::path& data_dir,
                                                   projection& view, const stop_point& stop,
                                                   std::vector<std::string>& notes) {
    view.reset();
    auto listed = list_point_checkpoints(data_dir, view.name());
    if (!listed) {
        notes.push_back("point-in-time checkpoints of " + std::string(view.name()) +
                        " not read: " + listed.error());
        return std::nullopt;
    }
    for (const point_checkpoint_file& file : *listed) {
        // The name says the commands: one past a command point is not even opened. A time
        // point needs the stamped time its place records (its first bytes).
        if (stop.by == stop_point::kind::commands && file.commands > stop.value) continue;
        const auto place = peek_checkpoint_place(file.path);
        if (place && place->past(stop)) continue;
        // Decoding a view costs about what applying its records did (it records each entry
        // again: bench/RESULTS.md), per byte up to 2x replaying a journal byte; a view as
        // large as the journal before it (history: ~34 bytes a command against ~37) is
        // answered faster from the start.
        if (place) {
            const std::uint64_t journal_before = journal_bytes_before(data_dir, *place);
            if (place->file_bytes > journal_before / load_cost_per_journal_byte) {
                notes.push_back("passing over point-in-time checkpoint " + file.path.string() +
                                ": loading its " + std::to_string(place->file_bytes >> 20) +
                                " MiB costs more than replaying the " +
                                std::to_string(journal_before >> 20) +
                                " MiB of journal before it");
                return std::nullopt;
            }
        }
        auto loaded = load_checkpoint_file(file.path, view);
        if (!loaded) {
            notes.push_back("skipping a damaged point-in-time checkpoint: " + loaded.error());
            view.reset();
            continue;
        }
        if (*loaded != checkpoint_load::loaded) continue;  // pruned meanwhile
        if (view.commands() != file.commands) {
            notes.push_back("skipping point-in-time checkpoint " + file.path.string() +
                            ": it holds " + std::to_string(view.commands()) +
                            " commands, not the ones its name says");
            view.reset();
            continue;
        }
        if (view.past(stop)) {
            view.reset();
            continue;
        }
        return file.commands;
    }
    view.reset();
    return std::nullopt;
}

}  // namespace ordo::projections
