#include "tools/cli/parse_error.h"

#include <fmt/core.h>

#include <string_view>
#include <vector>

namespace ordo::tools {

namespace {

// The subcommands selected, outermost first: {ordo, journal, verify}.
std::vector<const CLI::App*> selected_chain(const CLI::App& app) {
    std::vector<const CLI::App*> chain{&app};
    for (;;) {
        const std::vector<CLI::App*> picked = chain.back()->get_subcommands();
        if (picked.empty()) return chain;
        chain.push_back(picked.front());
    }
}

// Where the argument after the chain's last name is in argv (argc if there is none).
int after_chain(const std::vector<const CLI::App*>& chain, int argc, const char* const* argv) {
    int at = 1;
    for (std::size_t level = 1; level < chain.size(); level++) {
        while (at < argc && argv[at] != chain[level]->get_name()) at++;
        if (at < argc) at++;
    }
    return at;
}

std::string subcommand_names(const CLI::App& parent) {
    std::string names;
    for (const CLI::App* sub : parent.get_subcommands([](const CLI::App*) { return true; })) {
        if (!names.empty()) names += ", ";
        names += sub->get_name();
    }
    return names;
}

}  // namespace

std::string parse_error_line(const CLI::App& app, const CLI::ParseError& error, int argc,
                             const char* const* argv) {
    const std::vector<const CLI::App*> chain = selected_chain(app);
    std::string where = "ordo";
    for (std::size_t level = 1; level < chain.size(); level++) {
        where += " " + chain[level]->get_name();
    }
    const std::string help = fmt::format("see '{} --help'", where);
    const int next = after_chain(chain, argc, argv);
    const std::string_view word = next < argc ? std::string_view(argv[next]) : std::string_view();
    if (word.starts_with('-') && chain.size() == 1) {
        return fmt::format("ordo: unknown option {}; {}", word, help);
    }
    const std::string names = subcommand_names(*chain.back());
    if (!names.empty() && !word.starts_with('-')) {
        // A command with subcommands and none picked: the word after it is not one of them.
        if (word.empty()) {
            return fmt::format("{}: a subcommand is required ({}); {}", where, names, help);
        }
        return fmt::format("{}: unknown subcommand '{}' ({}); {}", where, word, names, help);
    }
    return fmt::format("{}: {}; {}", where, error.what(), help);
}

}  // namespace ordo::tools
