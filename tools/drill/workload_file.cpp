#include "tools/drill/workload_file.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/drill/child_process.h"
#include "tools/drill/command_generator.h"

namespace ordo::tools::drill {

std::string command_json_line(const engine::command& c) {
    using engine::op;
    nlohmann::ordered_json j = {{"op", engine::op_name(c.kind)}, {"t", c.t_ms}};
    auto seats = [&] {
        nlohmann::ordered_json s = nlohmann::ordered_json::object();
        for (std::uint32_t i = 0; i < c.item_count; i++) {
            // A repeated type: JSON keys are unique, so the line carries it once. Such a
            // command is invalid_argument either way; the drill compares what ordo parsed.
            s[std::to_string(c.items[i].seat_type)] = c.items[i].quantity;
        }
        return s;
    };
    switch (c.kind) {
        case op::create_conference:
            j.update(
                {{"conference", c.conference}, {"seats", seats()}, {"hold_ttl_ms", c.hold_ttl_ms}});
            break;
        case op::add_seats:
        case op::remove_seats:
            j.update({{"conference", c.conference},
                      {"seat_type", c.items[0].seat_type},
                      {"quantity", c.items[0].quantity}});
            break;
        case op::reserve:
            j.update({{"conference", c.conference},
                      {"reservation", c.reservation},
                      {"customer", c.customer},
                      {"seats", seats()}});
            break;
        case op::confirm:
        case op::cancel:
            j["reservation"] = c.reservation;
            break;
        case op::tick:
            break;
        case op::close_conference:
            j["conference"] = c.conference;
            break;
    }
    return j.dump();
}

engine::command as_written(const engine::command& c) {
    engine::command written = c;
    written.item_count = 0;
    for (std::uint32_t i = 0; i < c.item_count; i++) {
        bool seen = false;
        for (std::uint32_t k = 0; k < written.item_count; k++) {
            if (written.items[k].seat_type == c.items[i].seat_type) {
                written.items[k].quantity = c.items[i].quantity;
                seen = true;
            }
        }
        if (!seen) written.add_item(c.items[i].seat_type, c.items[i].quantity);
    }
    return written;
}

bool write_workload(const std::filesystem::path& path, std::span<const engine::command> commands) {
    std::ofstream out(path, std::ios::trunc);
    for (const engine::command& c : commands) out << command_json_line(c) << '\n';
    out.flush();
    return static_cast<bool>(out);
}

std::optional<std::vector<engine::outcome>> read_results(const std::filesystem::path& path) {
    const std::string text = read_text(path);
    std::vector<engine::outcome> outcomes;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string::npos) break;  // a line still being written
        const auto line = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
        start = end + 1;
        if (line.is_discarded() || !line.contains("line") || !line.contains("outcome")) {
            return std::nullopt;
        }
        if (line["line"].get<std::uint64_t>() != outcomes.size() + 1) return std::nullopt;
        const std::string status = line["outcome"].get<std::string>();
        std::optional<engine::outcome> o;
        if (status == "rejected" && line.contains("reason")) {
            o = engine::outcome_from_name(line["reason"].get<std::string>());
        } else {
            o = engine::outcome_from_name(status);
        }
        if (!o) return std::nullopt;
        outcomes.push_back(*o);
    }
    return outcomes;
}

std::vector<engine::command> generate_commands(std::uint64_t seed, std::uint64_t count) {
    command_generator generator(seed);
    std::vector<engine::command> commands;
    commands.reserve(count);
    for (std::uint64_t i = 0; i < count; i++) commands.push_back(as_written(generator.next()));
    return commands;
}

}  // namespace ordo::tools::drill
