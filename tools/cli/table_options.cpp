#include "tools/cli/table_options.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/cli/whole_number.h"

namespace ordo::tools {
namespace {
std::filesystem::path tables_file(const std::filesystem::path& data_dir) {
    return data_dir / "tables.json";
}
}  // namespace

void add_table_flags(CLI::App& sub, table_flags& flags) {
    sub.add_option_function<std::uint32_t>(
           "--conferences-max", [&flags](std::uint32_t v) { flags.conferences_max = v; },
           "Conference table capacity (default: as the data directory was written, else 16384)")
        ->transform(whole_number_in(1, engine::conferences_max_limit));
    sub.add_option_function<std::uint32_t>(
           "--reservations-max", [&flags](std::uint32_t v) { flags.reservations_max = v; },
           "Reservation table capacity; every reservation ever made needs a place (default: "
           "as the data directory was written, else 1048576)")
        ->transform(whole_number_in(1, engine::reservations_max_limit));
}

std::expected<engine::state_options, std::string> resolve_tables(
    const std::filesystem::path& data_dir, const table_flags& flags,
    const engine::state_options& defaults) {
    engine::state_options options = defaults;
    const std::filesystem::path file = tables_file(data_dir);
    if (!data_dir.empty() && std::filesystem::exists(file)) {
        std::ifstream in(file);
        const auto stored = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (stored.is_discarded() || !stored.contains("conferences_max") ||
            !stored.contains("reservations_max")) {
            return std::unexpected(file.string() + " is damaged: restore it or delete it and "
                                   "pass --conferences-max and --reservations-max");
        }
        options.conferences_max = stored["conferences_max"].get<std::uint32_t>();
        options.reservations_max = stored["reservations_max"].get<std::uint32_t>();
    }
    if (flags.conferences_max) options.conferences_max = *flags.conferences_max;
    if (flags.reservations_max) options.reservations_max = *flags.reservations_max;
    if (auto bad = engine::validate(options)) return std::unexpected(*bad);
    return options;
}

std::expected<void, std::string> store_tables(const std::filesystem::path& data_dir,
                                              const engine::state_options& options) {
    const std::filesystem::path file = tables_file(data_dir);
    const std::filesystem::path temp = data_dir / "tables.json.tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << nlohmann::json{{"conferences_max", options.conferences_max},
                              {"reservations_max", options.reservations_max}}
                   .dump()
            << '\n';
        if (!out.flush()) return std::unexpected("cannot write " + temp.string());
    }
    std::error_code error;
    std::filesystem::rename(temp, file, error);
    if (error) return std::unexpected("cannot write " + file.string() + ": " + error.message());
    return {};
}

}  // namespace ordo::tools
