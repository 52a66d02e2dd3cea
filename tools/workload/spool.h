#pragma once
// The checked copy of a workload: `ordo run` reads its input once (a pipe, a FIFO and
// /dev/stdin included), checks every line, and writes each command, encoded as the
// engine's ring slots with its line number, into an anonymous temporary file. Only once
// the whole input checked does sequencing start, and it reads this copy: nothing the
// input's writer does meanwhile can change what runs, and memory stays one buffer
// whatever the workload's length (a record is 8 bytes + 64 per slot: 72 bytes for a
// command of up to three seat items; the buffer is at most 1 MiB).
//
// The file is created with O_TMPFILE (no name, gone when closed or when the process is
// killed), in the directory given: `ordo run` passes $TMPDIR, else /tmp.
//
// Thread: one owner at a time (the checking pass writes it, then the same or another
// single thread reads it); move-only. Lifecycle: create(), append() each command,
// finish(), then next() until it says the end.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/command.h"

namespace ordo::workload {

struct workload_command {
    std::uint32_t line;  // 1-based line in the file (blank and comment lines count)
    engine::command command;
};

class command_spool {
public:
    // An empty spool in `dir`; the error names the directory and the errno.
    static std::expected<command_spool, std::string> create(const std::filesystem::path& dir);
    command_spool(command_spool&& other) noexcept;
    command_spool& operator=(command_spool&& other) noexcept;
    command_spool(const command_spool&) = delete;
    command_spool& operator=(const command_spool&) = delete;
    ~command_spool();

    // Writing (before finish): buffered; an error names the spool's directory and errno.
    std::expected<void, std::string> append(const workload_command& c);
    // Flushes what append buffered and rewinds for reading.
    std::expected<void, std::string> finish();
    std::uint64_t command_count() const noexcept { return written_count_; }
    std::uint64_t bytes() const noexcept { return written_bytes_; }

    // Reading (after finish): the next command in the order appended; false at the end.
    std::expected<bool, std::string> next(workload_command& out);

private:
    struct record_header {
        std::uint32_t line;
        std::uint8_t slot_count;
        std::uint8_t reserved_zero[3];
    };
    static_assert(sizeof(record_header) == 8);
    // The buffer starts small and doubles up to buffer_bytes before the first write, so a
    // small workload costs no MiB of fresh pages (the parser's fuzz target makes thousands).
    static constexpr std::size_t buffer_bytes_first = std::size_t{64} << 10;
    static constexpr std::size_t buffer_bytes = std::size_t{1} << 20;
    static constexpr std::size_t record_bytes_max =
        sizeof(record_header) + engine::command_slots_max * sizeof(engine::command_slot);
    static_assert(record_bytes_max <= buffer_bytes_first);
    static_assert(buffer_bytes_first <= buffer_bytes);

    command_spool(int fd, std::filesystem::path dir);
    std::expected<void, std::string> flush();
    std::string error_text(const char* what, int error) const;

    int fd_ = -1;
    std::filesystem::path dir_;  // for error messages
    std::vector<std::byte> buffer_;
    std::size_t used_ = 0;       // writing: bytes buffered; reading: bytes in the buffer
    std::size_t consumed_ = 0;   // reading: bytes of the buffer already handed out
    std::uint64_t written_count_ = 0;
    std::uint64_t written_bytes_ = 0;
    std::uint64_t read_count_ = 0;
    std::uint64_t read_offset_ = 0;  // file offset of the next read
    bool finished_ = false;
};

}  // namespace ordo::workload
