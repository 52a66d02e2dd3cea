#include "tools/cli/table_options.h"

#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/recovery.h"
#include "journal/data_dir.h"
#include "journal/io/file_system.h"
#include "journal/segment.h"
#include "tools/cli/exit_codes.h"

#include "tools/cli/whole_number.h"

namespace ordo::tools {
namespace {

// What the process needs beside its tables (rings, journal buffers, thread stacks): the
// tables must leave this much of what the machine can give.
constexpr std::uint64_t beside_tables_bytes = 256ull << 20;
constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

std::expected<engine::state_options, refusal> read_legacy_tables(const std::filesystem::path& file) {
    std::ifstream in(file);
    const auto stored = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    const auto capacity = [&](const char* key) -> std::optional<std::uint32_t> {
        if (stored.is_discarded() || !stored.contains(key)) return std::nullopt;
        const auto& value = stored[key];
        if (!value.is_number_unsigned()) return std::nullopt;
        const std::uint64_t number = value.get<std::uint64_t>();
        if (number > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
        return static_cast<std::uint32_t>(number);
    };
    const auto conferences = capacity("conferences_max");
    const auto reservations = capacity("reservations_max");
    const engine::state_options tables{.conferences_max = conferences.value_or(0),
                                       .reservations_max = reservations.value_or(0)};
    if (!conferences || !reservations || engine::validate(tables).has_value()) {
        return std::unexpected(refusal{file.string() + " is damaged: restore it from a backup "
                                                       "(it holds the directory's table capacities)",
                                       exit_failure});
    }
    return tables;
}

// A flag that differs from the capacity the directory keeps.
std::optional<refusal> differs(const char* flag, std::optional<std::uint32_t> given,
                               std::uint32_t kept, const std::filesystem::path& dir) {
    if (!given || *given == kept) return std::nullopt;
    return refusal{fmt::format("{} {} differs from {}, the capacity {} was created with: a "
                               "directory keeps its table capacities for life, so that its "
                               "history is replayed as it was decided (drop {}, or use a new "
                               "directory)",
                               flag, *given, kept, dir.string(), flag),
                   exit_usage};
}

// "Key:   123 kB" lines of a /proc file, in bytes; nullopt when the key is missing.
std::optional<std::uint64_t> proc_bytes(const char* file, std::string_view key) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') {
            continue;
        }
        std::istringstream fields(line.substr(key.size() + 1));
        std::uint64_t value = 0;
        std::string unit;
        if (!(fields >> value)) return std::nullopt;
        fields >> unit;
        return unit == "kB" ? value * 1024 : value;
    }
    return std::nullopt;
}

// What the process may still take: the least of the machine's available memory, the
// commit limit left when overcommit is strict (mode 2), and the address space left under
// RLIMIT_AS. The name of the limit that binds comes with it.
std::pair<std::uint64_t, const char*> memory_available_bytes() {
    std::pair<std::uint64_t, const char*> least{unlimited, "no limit"};
    const auto take = [&](std::optional<std::uint64_t> bytes, const char* name) {
        if (bytes && *bytes < least.first) least = {*bytes, name};
    };
    take(proc_bytes("/proc/meminfo", "MemAvailable"), "available memory (MemAvailable)");
    std::ifstream mode_file("/proc/sys/vm/overcommit_memory");
    int mode = 0;
    if (mode_file >> mode && mode == 2) {
        const auto limit = proc_bytes("/proc/meminfo", "CommitLimit");
        const auto committed = proc_bytes("/proc/meminfo", "Committed_AS");
        if (limit && committed) {
            take(*limit > *committed ? *limit - *committed : 0, "the commit limit (overcommit 2)");
        }
    }
    rlimit address_space{};
    if (::getrlimit(RLIMIT_AS, &address_space) == 0 && address_space.rlim_cur != RLIM_INFINITY) {
        const std::uint64_t used = proc_bytes("/proc/self/status", "VmSize").value_or(0);
        const std::uint64_t limit = address_space.rlim_cur;
        take(limit > used ? limit - used : 0, "the address space limit (ulimit -v)");
    }
    return least;
}

}  // namespace

void add_table_flags(CLI::App& sub, table_flags& flags) {
    sub.add_option_function<std::uint32_t>(
           "--conferences-max", [&flags](std::uint32_t v) { flags.conferences_max = v; },
           "Conference table capacity of a new data directory (default 16384); a directory "
           "keeps it for life")
        ->transform(whole_number_in(1, engine::conferences_max_limit));
    sub.add_option_function<std::uint32_t>(
           "--reservations-max", [&flags](std::uint32_t v) { flags.reservations_max = v; },
           "Live reservations (held, or confirmed in an open conference) the table of a new data "
           "directory holds at once (default 1048576); a directory keeps it for life")
        ->transform(whole_number_in(1, engine::reservations_max_limit));
}

std::optional<refusal> wait_for_exited_writer(const std::filesystem::path& dir) {
    auto settled = journal::io::real_file_system().wait_for_exited_holder(
        journal::data_dir_layout::lock(dir));
    if (settled) return std::nullopt;
    return refusal{settled.error().message() + ": try again, or check that process", exit_failure};
}

std::expected<data_dir_contents, refusal> inspect_data_dir(const std::filesystem::path& dir) {
    if (auto unsettled = wait_for_exited_writer(dir)) return std::unexpected(*unsettled);
    data_dir_contents contents;
    auto recorded = journal::read_manifest(dir);
    if (!recorded) {
        const bool damaged = recorded.error().code == journal::journal_errc::damaged;
        return std::unexpected(refusal{recorded.error().message() +
                                           (damaged ? ": restore DIR/manifest from a backup" : ""),
                                       exit_failure});
    }
    contents.manifest = *recorded;
    std::error_code error;
    const std::filesystem::path legacy = journal::data_dir_layout::legacy_tables(dir);
    if (!contents.manifest && std::filesystem::exists(legacy, error)) {
        auto tables = read_legacy_tables(legacy);
        if (!tables) return std::unexpected(tables.error());
        contents.legacy_tables = *tables;
    }
    const std::filesystem::path journal = journal::data_dir_layout::journal(dir);
    for (const auto& entry : std::filesystem::directory_iterator(journal, error)) {
        if (!journal::parse_segment_name(entry.path().filename().string())) continue;
        contents.has_segments = true;
        std::error_code size_error;
        const std::uintmax_t bytes = std::filesystem::file_size(entry.path(), size_error);
        if (!size_error) {
            contents.largest_segment_bytes = std::max<std::uint64_t>(contents.largest_segment_bytes,
                                                                      bytes);
        }
    }
    return contents;
}

std::expected<engine::state_options, refusal> resolve_tables(const std::filesystem::path& dir,
                                                             const data_dir_contents& contents,
                                                             const table_flags& flags,
                                                             const engine::state_options& defaults) {
    std::optional<engine::state_options> kept;
    if (contents.manifest) {
        auto recorded = engine::tables_of(*contents.manifest);
        if (!recorded) {
            return std::unexpected(refusal{
                journal::data_dir_layout::manifest(dir).string() + ": " + recorded.error(),
                exit_failure});
        }
        kept = *recorded;
    } else if (contents.legacy_tables) {
        kept = contents.legacy_tables;
    } else if (contents.has_segments) {
        return std::unexpected(refusal{
            fmt::format("{} holds a journal but no manifest ({} is missing): without it the table "
                        "capacities and the durable end of its history are unknown; restore it "
                        "from a backup of the directory",
                        dir.string(), journal::data_dir_layout::manifest(dir).string()),
            exit_failure});
    }
    if (kept) {
        if (auto refused = differs("--conferences-max", flags.conferences_max,
                                   kept->conferences_max, dir)) {
            return std::unexpected(*refused);
        }
        if (auto refused = differs("--reservations-max", flags.reservations_max,
                                   kept->reservations_max, dir)) {
            return std::unexpected(*refused);
        }
        return *kept;
    }
    engine::state_options tables = defaults;
    if (flags.conferences_max) tables.conferences_max = *flags.conferences_max;
    if (flags.reservations_max) tables.reservations_max = *flags.reservations_max;
    if (auto bad = engine::validate(tables)) return std::unexpected(refusal{*bad, exit_usage});
    return tables;
}

std::optional<std::string> tables_do_not_fit(const engine::state_options& tables,
                                             bool snapshot_copy) {
    const std::uint64_t one = engine::booking_state::table_bytes(tables);
    const std::uint64_t needed = one * (snapshot_copy ? 2 : 1);
    const auto [available, limit] = memory_available_bytes();
    if (available == unlimited || needed + beside_tables_bytes <= available) return std::nullopt;
    return fmt::format(
        "--reservations-max {} (with --conferences-max {}) needs {:.2f} GB of tables{}, more "
        "than this machine can give now ({:.2f} GB: {}): lower --reservations-max{}",
        tables.reservations_max, tables.conferences_max, static_cast<double>(needed) / 1e9,
        snapshot_copy ? fmt::format(" ({:.2f} GB twice: the snapshot copy)",
                                    static_cast<double>(one) / 1e9)
                      : "",
        static_cast<double>(available) / 1e9, limit,
        snapshot_copy ? ", or take no snapshots (--snapshot-every 0)" : "");
}

}  // namespace ordo::tools
