#pragma once
// Full verification of a journal directory (what `ordo journal verify` prints): every batch
// through the reader's paired checks plus record framing, against what the manifest says the
// journal holds. Damage is the error; a torn tail is a report, not an error. Any thread;
// reads only.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "base/progress.h"
#include "journal/errc.h"
#include "journal/reader.h"

namespace ordo::journal {

enum class prefix_verdict : std::uint8_t;

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
    // For each position asked about (snapshots'), in the order asked: whether the journal
    // holds the batch that ends there (verify_prefix's verdicts).
    std::vector<prefix_verdict> verdicts;
};

// Progress of a long check (base/progress.h).
using verify_progress = base::progress_hook<verify_report>;

// `expected`: what the manifest says the journal must hold (position.h). `positions`: ends
// of prefixes to judge on the way (the snapshots'), answered in verify_report::verdicts.
std::expected<verify_report, journal_error> verify(
    const std::filesystem::path& dir, const verify_progress& progress = {},
    const journal_expectations& expected = {}, std::span<const journal_position> positions = {});

// Whether the journal holds what a snapshot covers (recovery trusts a snapshot only then):
// batches [0, end.next_batch_number) all verify and the last ends exactly at `end` (same
// position, same header checksum). Damage on the way is the error, as in verify().
enum class prefix_verdict : std::uint8_t {
    holds,        // the journal reaches `end` and it is the same batch
    ends_before,  // the journal ends (cleanly or torn) before `end`
    differs,      // the batch that ends at `end`'s number is another one
};
struct prefix_report {
    prefix_verdict verdict = prefix_verdict::holds;
    journal_position reached;  // where the journal was when the verdict was reached
    std::uint64_t disk_bytes = 0;  // batch bytes checked
};
std::expected<prefix_report, journal_error> verify_prefix(
    const std::filesystem::path& dir, const journal_position& end,
    const journal_expectations& expected = {}, const verify_progress& progress = {});

}  // namespace ordo::journal
