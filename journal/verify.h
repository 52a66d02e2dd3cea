#pragma once
// Full verification of a journal directory (what `ordo verify` prints): every batch through
// the reader's paired checks plus record framing. Damage is the error; a torn tail is a
// report, not an error. Any thread; reads only.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>

#include "base/progress.h"
#include "journal/errc.h"
#include "journal/reader.h"

namespace ordo::journal {

struct verify_report {
    std::uint32_t segments = 0;
    std::uint64_t batches = 0;
    std::uint64_t records = 0;
    std::uint64_t body_bytes = 0;   // record bytes
    std::uint64_t disk_bytes = 0;   // batch bytes on disk, headers and padding included
    std::uint64_t time_ms_first = 0;
    std::uint64_t time_ms_last = 0;
    journal_position end;           // where a writer would continue
    std::optional<tail_report> torn_tail;
};

// Progress of a long check (base/progress.h).
using verify_progress = base::progress_hook<verify_report>;

std::expected<verify_report, journal_error> verify(const std::filesystem::path& dir,
                                                   const verify_progress& progress = {});

}  // namespace ordo::journal
