#pragma once
// The --results file of `ordo run` (CONTRACT.md section 3): one JSON line per command,
// each written only once the command is durable. Lines are written in whole lines of at
// most 4 KiB at a time, so a reader tailing the file (or a pipe) sees it grow line by line
// as the run goes. A write that fails (a full disk, a pipe whose reader went away, a
// device that refuses writes) is a value, never an exception or a signal: the run stops
// and says so, and every line already in the file is a command the journal holds.
//
// Thread: the producer thread of `ordo run` (replies are taken there). Lifecycle: open()
// after the workload checked, write() per reply, finish() at the end; move-only.

#include <csignal>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "engine/schema/outcome.h"

namespace ordo::tools {

class results_file {
public:
    // Creates or truncates `path` for writing (not before the workload checked: a refused
    // workload leaves an existing results file as it was). The error is one line.
    static std::expected<results_file, std::string> open(const std::string& path);
    results_file(results_file&& other) noexcept;
    results_file& operator=(results_file&&) = delete;
    results_file(const results_file&) = delete;
    results_file& operator=(const results_file&) = delete;
    ~results_file();

    // Adds the result of the command at workload line `line`. False once a write has
    // failed (then error() says why, and nothing more is written).
    bool write(std::uint32_t line, engine::outcome result);
    // Writes what is buffered; false when that (or an earlier write) failed.
    bool finish();
    bool failed() const noexcept { return !error_.empty(); }
    const std::string& error() const noexcept { return error_; }
    // Lines the file holds for certain (written whole by the kernel's account).
    std::uint64_t lines_written() const noexcept { return lines_written_; }

private:
    static constexpr std::size_t buffer_bytes = 4096;
    static constexpr std::size_t line_bytes_max = 128;  // the longest result line is ~70

    results_file(int fd, std::string path);
    bool flush();

    int fd_ = -1;
    std::string path_;
    std::vector<char> buffer_;
    std::size_t used_ = 0;
    std::uint64_t lines_buffered_ = 0;
    std::uint64_t lines_written_ = 0;
    std::string error_;
    struct sigaction previous_pipe_ {};  // SIGPIPE is ignored while the file is open
    bool owns_sigpipe_ = false;
};

}  // namespace ordo::tools
