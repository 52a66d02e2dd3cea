#pragma once
// Durable batches read from a data directory's segment files (journal::reader: every
// header and body checksum, the chain, the batch numbers and the record framing checked),
// up to the durable end: where DIR/manifest says the journal is durable. A writer may be
// appending meanwhile; what lies past the durable end (written, perhaps not yet synced, or
// half written) is never handed out. A closed manifest records the journal's exact end;
// without one (a bare journal) the journal's own end is the durable end. Given the writer's
// durable-end hint (journal/durable_hint.h), the durable end is the further of the open
// manifest's and the hint's, when the hint belongs to the manifest's writer; a missing,
// foreign or stale hint leaves the manifest's. A reader that has seen DIR's manifest
// (`manifest_seen`, carried from one source to the next) refuses to go on without it: a
// manifest gone since means DIR was deleted or replaced under the reader, and reading to
// the journal's own end then would hand out batches not yet durable.
//
// Thread: one thread at a time. Lifecycle: open() at a position, next() until nullopt.
// Open it again (from the last position) to see what was made durable since.

#include <algorithm>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "journal/durable_hint.h"
#include "journal/manifest.h"
#include "journal/reader.h"
#include "projections/batch.h"

namespace ordo::projections {

class journal_source {
  public:
    // `start` must be a batch boundary of this journal (a checkpoint's position, or {}).
    // One past the durable end, or at it but with another last batch (a checkpoint of
    // another history: a next batch would fail the chain check, but there is none to read),
    // is refused. With the writer's hint the durable end may be further than the manifest's:
    // pass it wherever a position may have come from a reader that read it.
    static std::expected<journal_source, std::string> open(
        const std::filesystem::path& data_dir, const journal::journal_position& start,
        const journal::durable_hint_view* hint = nullptr, bool manifest_seen = false);
    // Whether this source (or the reader that opened it) has read DIR's manifest.
    bool manifest_seen() const noexcept { return manifest_seen_; }

    // The next durable batch; nullopt at the durable end; an error on damage.
    std::expected<std::optional<durable_batch>, std::string> next();
    // Reads the durable end again (the manifest, and the hint if given) without reopening:
    // a follower keeping up keeps one source across polls, since opening one maps and
    // populates its whole segment (milliseconds). When the reader falls short of the new end
    // (a rollover after it listed the segments), next() reopens it once at its position.
    // A refreshed source reads its segment's pages exactly as far as the new end
    // (journal::reader::read_ahead_exactly): it keeps up with a writer, a few pages a poll.
    std::expected<void, std::string> refresh(const journal::durable_hint_view* hint);

    // Batches [0, durable_batches()) are durable, as the manifest (or hint) read at open() said.
    std::uint64_t durable_batches() const noexcept { return durable_batches_; }
    // The durable end's next sequence (UINT64_MAX without a manifest), as read last.
    std::uint64_t durable_sequence() const noexcept { return durable_sequence_; }
    // Records durable after `from` (0 when the end is not known: no manifest): what a
    // catch-up from there will apply, for projection::expect_records.
    std::uint64_t records_after(const journal::journal_position& from) const noexcept {
        if (durable_sequence_ == UINT64_MAX) return 0;
        return durable_sequence_ - std::min(durable_sequence_, from.next_sequence);
    }
    // The hint that extended the manifest's end at open(), if one did.
    const std::optional<journal::durable_hint_value>& hint_used() const noexcept {
        return hint_used_;
    }
    // Hands out nothing from batch `end` on (two sources stopped at the same end).
    void stop_at(std::uint64_t end) noexcept {
        if (end < durable_batches_) durable_batches_ = end;
    }
    // Where reading stopped: after the last batch handed out.
    const journal::journal_position& position() const noexcept { return position_; }

  private:
    struct durable_view {
        std::uint64_t batches = 0;
        std::uint64_t sequence = 0;
        journal::journal_position end{};  // with batches < UINT64_MAX: where they end
        journal::journal_expectations expected{};
        std::optional<journal::durable_hint_value> hint_used;
        bool manifest_read = false;  // DIR/manifest existed
    };
    // Why `start` cannot be a position of the journal whose durable end is `view`'s.
    static std::optional<std::string> past_or_off_the_end(const journal::journal_position& start,
                                                          const durable_view& view);
    static std::expected<durable_view, std::string> read_durable_end(
        const std::filesystem::path& data_dir, const journal::durable_hint_view* hint,
        bool manifest_seen);

    journal_source(journal::reader reader, std::uint64_t durable_batches,
                   const journal::journal_position& start)
        : reader_(std::move(reader)), durable_batches_(durable_batches), position_(start) {}

    journal::reader reader_;
    std::uint64_t durable_batches_;  // UINT64_MAX: up to the journal's end (no manifest)
    journal::journal_position position_;
    std::optional<journal::durable_hint_value> hint_used_;
    std::filesystem::path data_dir_;
    journal::journal_expectations expected_{};  // the manifest's, at the last read
    std::uint64_t reopened_at_ = UINT64_MAX;    // next() reopened the reader here
    std::uint64_t durable_sequence_ = UINT64_MAX;
    bool manifest_seen_ = false;
};

}  // namespace ordo::projections
