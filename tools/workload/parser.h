#pragma once
// The strict JSON Lines workload parser (CONTRACT.md section 2). It turns a workload file
// into engine commands before anything is sequenced: a file is accepted whole or refused
// whole, so a bad line can never leave half a workload in the journal. Business rules
// (quantity 0, 9 reservation items, ...) are not checked here: they are the engine's
// outcomes. Called by `ordo run` and by tests; stateless between calls, any thread.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"

namespace ordo::workload {

// A line longer than this is refused rather than buffered without bound. A well-formed
// command needs at most ~1.2 MiB (65535 distinct seat types), so 64 MiB is only hit by
// garbage or absurd whitespace.
inline constexpr std::size_t line_bytes_max = std::size_t{64} << 20;

struct workload_command {
    std::uint32_t line;  // 1-based line in the file (blank and comment lines count)
    engine::command command;
};

// Streams the file: calls on_command for each command, in file order, as its line is
// parsed, and returns how many there were. Nothing is kept per command, so memory stays
// one read buffer and one parser whatever the file's size. The first error stops the
// stream (commands before it have been handed out already: callers that must refuse a bad
// file whole call validate_file first). Errors are those of parse_file. on_command returns
// false to stop reading (a failed or interrupted run): the rest of the file is not parsed,
// and the count is of the commands handed out.
std::expected<std::uint64_t, std::string> for_each_command(
    const std::filesystem::path& path,
    const std::function<bool(const workload_command&)>& on_command);

// Parses the whole file and keeps nothing: the command count, or the first error (the
// same text parse_file gives). `ordo run` calls it before sequencing anything.
std::expected<std::uint64_t, std::string> validate_file(const std::filesystem::path& path);

// Whole file or nothing: the first error stops parsing. The error is exactly one line,
// "FILE:LINE: what is wrong" (FILE is the path as given), or "FILE: cannot open: ..." /
// "FILE: cannot read: ..." for I/O failures. A file holding only blank and comment
// lines (or nothing) is valid and yields no commands.
std::expected<std::vector<workload_command>, std::string> parse_file(
    const std::filesystem::path& path);

// One command line's text (without the newline). The error has no FILE:LINE prefix;
// parse_file adds it. Blank and comment lines are parse_file's business: here they are
// "not valid JSON".
std::expected<engine::command, std::string> parse_line(std::string_view text);

}  // namespace ordo::workload
