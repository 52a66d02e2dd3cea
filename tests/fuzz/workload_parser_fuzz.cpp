// Fuzz target: the workload parser (tools/workload/parser.h), one line and whole files.
// Any bytes must be a command or a one-line error, never an assertion; the whole-file
// entry points must agree: parse_file and check_workload (the one pass of `ordo run`,
// which spools the commands) accept and refuse the same files with the same error, and
// the spool gives back parse_file's commands.
//
// Input: one mode byte, then the text. Mode bit 0: parse it as one line (parse_line);
// otherwise as a whole file (through a memfd, read as any file is).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "engine/command.h"
#include "tools/workload/parser.h"

namespace {

using namespace ordo;

bool same_command(const engine::command& a, const engine::command& b) {
    engine::command_slot left[engine::command_slots_max];
    engine::command_slot right[engine::command_slots_max];
    const std::uint32_t count = engine::encode(a, left);
    if (engine::encode(b, right) != count) return false;
    return std::memcmp(left, right, count * sizeof(engine::command_slot)) == 0;
}

void check_error_line(const std::string& error) {
    ORDO_ASSERT(!error.empty());
    ORDO_ASSERT(error.find('\n') == std::string::npos);
}

void fuzz_file(std::string_view text) {
    const int fd = ::memfd_create("workload", MFD_CLOEXEC);
    ORDO_ASSERT(fd >= 0);
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t got = ::write(fd, text.data() + done, text.size() - done);
        ORDO_ASSERT(got > 0);
        done += static_cast<std::size_t>(got);
    }
    const std::filesystem::path path = "/proc/self/fd/" + std::to_string(fd);
    const auto whole = workload::parse_file(path);
    auto spooled = workload::check_workload(
        path, workload::check_options{.spool_dir = std::filesystem::temp_directory_path()});
    ::close(fd);
    if (!whole) {
        check_error_line(whole.error());
        ORDO_ASSERT(!spooled);
        ORDO_ASSERT(spooled.error().what == workload::check_error::kind::input);
        ORDO_ASSERT(spooled.error().message == whole.error());
        return;
    }
    ORDO_ASSERT(spooled.has_value());
    ORDO_ASSERT(spooled->command_count() == whole->size());
    workload::workload_command c{};
    for (const workload::workload_command& expected : *whole) {
        const auto got = spooled->next(c);
        ORDO_ASSERT(got.has_value());
        ORDO_ASSERT(*got);
        ORDO_ASSERT(c.line == expected.line);
        ORDO_ASSERT(same_command(c.command, expected.command));
    }
    const auto end = spooled->next(c);
    ORDO_ASSERT(end.has_value());
    ORDO_ASSERT(!*end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if ((data[0] & 1) != 0) {
        const auto parsed = workload::parse_line(text);
        if (!parsed) check_error_line(parsed.error());
        if (parsed) ORDO_ASSERT(parsed->item_count <= engine::command_items_max);
        return 0;
    }
    fuzz_file(text);
    return 0;
}
