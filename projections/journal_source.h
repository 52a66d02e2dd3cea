#pragma once
// Durable batches read from a data directory's segment files (journal::reader: every
// header and body checksum, the chain, the batch numbers and the record framing checked),
// up to the durable end: where DIR/manifest says the journal is durable. A writer may be
// appending meanwhile; what lies past the durable end (written, perhaps not yet synced, or
// half written) is never handed out. A closed manifest records the journal's exact end;
// without one (a bare journal) the journal's own end is the durable end.
//
// Thread: one thread at a time. Lifecycle: open() at a position, next() until nullopt.
// Open it again (from the last position) to see what was made durable since.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "journal/manifest.h"
#include "journal/reader.h"
#include "projections/batch.h"

namespace ordo::projections {

class journal_source {
  public:
    // `start` must be a batch boundary of this journal (a checkpoint's position, or {}).
    static std::expected<journal_source, std::string> open(const std::filesystem::path& data_dir,
                                                           const journal::journal_position& start);

    // The next durable batch; nullopt at the durable end; an error on damage.
    std::expected<std::optional<durable_batch>, std::string> next();

    // Batches [0, durable_batches()) are durable, as the manifest read at open() said.
    std::uint64_t durable_batches() const noexcept { return durable_batches_; }
    // Hands out nothing from batch `end` on (two sources stopped at the same end).
    void stop_at(std::uint64_t end) noexcept {
        if (end < durable_batches_) durable_batches_ = end;
    }
    // Where reading stopped: after the last batch handed out.
    const journal::journal_position& position() const noexcept { return position_; }

  private:
    journal_source(journal::reader reader, std::uint64_t durable_batches,
                   const journal::journal_position& start)
        : reader_(std::move(reader)), durable_batches_(durable_batches), position_(start) {}

    journal::reader reader_;
    std::uint64_t durable_batches_;  // UINT64_MAX: up to the journal's end (no manifest)
    journal::journal_position position_;
};

}  // namespace ordo::projections
