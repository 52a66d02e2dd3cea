#pragma once
// Every error the CLI reports is one line on stderr: "ordo <command>: what; the fix".

#include <fmt/core.h>

#include <cstdio>
#include <string_view>

namespace ordo::tools {

inline int report_error(std::string_view command, std::string_view message, int exit_code) {
    fmt::print(stderr, "ordo {}: {}\n", command, message);
    return exit_code;
}

}  // namespace ordo::tools
