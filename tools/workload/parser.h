#pragma once
// The strict JSON Lines workload parser (CONTRACT.md section 2). It turns a workload file
// into engine commands before anything is sequenced: a file is accepted whole or refused
// whole, so a bad line can never leave half a workload in the journal. Business rules
// (quantity 0, 9 reservation items, ...) are not checked here: they are the engine's
// outcomes. Called by `ordo run` and by tests; stateless between calls, any thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "tools/workload/spool.h"

namespace ordo::workload {

// A line longer than this is refused rather than buffered without bound. A well-formed
// command needs at most ~1.2 MiB (65535 distinct seat types), so 64 MiB is only hit by
// garbage or absurd whitespace.
inline constexpr std::size_t line_bytes_max = std::size_t{64} << 20;

// Streams the file: calls on_command for each command, in file order, as its line is
// parsed, and returns how many there were. Nothing is kept per command, so memory stays
// one read buffer and one parser whatever the file's size. The first error stops the
// stream (commands before it have been handed out already: callers that must refuse a bad
// file whole use check_workload). Errors are those of parse_file. on_command returns
// false to stop reading (a failed or interrupted run): the rest of the file is not parsed,
// and the count is of the commands handed out.
std::expected<std::uint64_t, std::string> for_each_command(
    const std::filesystem::path& path,
    const std::function<bool(const workload_command&)>& on_command);

// Parses the whole file and keeps nothing: the command count, or the first error (the
// same text parse_file gives).
std::expected<std::uint64_t, std::string> validate_file(const std::filesystem::path& path);

// How check_workload reads: where its copy goes, what stops it, whom it tells how far it is.
struct check_options {
    std::filesystem::path spool_dir;  // the anonymous copy's directory (a disk, not memory)
    // A signal handler's flag: non-zero stops the check between lines, and while it waits
    // for input (a pipe or FIFO whose writer is slow or never closes it, or a FIFO that no
    // writer opened yet).
    const std::atomic<int>* interrupted = nullptr;
    // Called every progress_lines lines with the lines read so far (the caller decides
    // whether it is worth a line on stderr).
    std::function<void(std::uint64_t lines)> on_progress;
};
inline constexpr std::uint64_t progress_lines = std::uint64_t{1} << 16;

struct check_error {
    enum class kind : std::uint8_t {
        input,        // the workload is not valid or cannot be read: "FILE:LINE: ..."
        spool,        // the copy could not be written (its directory's disk): one line
        interrupted,  // options.interrupted became non-zero; message is empty
    } what;
    std::string message;
};

// The one pass of `ordo run` (CONTRACT.md section 2: a bad file is refused whole, before
// anything is written): reads `path` once, whatever it is (a regular file, a pipe, a
// FIFO, /dev/stdin), checks every line exactly as parse_file does, and copies each command
// into a command_spool, which the caller then sequences from. The input is never opened
// twice, so a file changed or replaced meanwhile cannot make the run differ from what was
// checked. Memory: one read buffer and one spool buffer, whatever the input's length.
std::expected<command_spool, check_error> check_workload(const std::filesystem::path& path,
                                                         const check_options& options);

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
