#include "projections/journal_source.h"

#include <limits>

#include "base/assert.h"
#include "journal/data_dir.h"

namespace ordo::projections {

std::expected<journal_source::durable_view, std::string> journal_source::read_durable_end(
    const std::filesystem::path& data_dir, const journal::durable_hint_view* hint,
    bool manifest_seen) {
    auto recorded = journal::read_manifest(data_dir);
    if (!recorded) return std::unexpected(recorded.error().message());
    if (!*recorded && manifest_seen) {
        return std::unexpected(journal::data_dir_layout::manifest(data_dir).string() +
                               ": gone since it was last read: the directory was deleted or "
                               "replaced while being read; run the command again on the "
                               "directory the writer writes");
    }
    durable_view view{.batches = std::numeric_limits<std::uint64_t>::max(),
                      .sequence = std::numeric_limits<std::uint64_t>::max()};
    if (*recorded) {
        view.manifest_read = true;
        view.expected = journal::expectations_of(**recorded);
        // An open manifest: a writer may be running, and only what it recorded as durable
        // is read. A closed one marks the exact end: stopping there spares the reader its
        // search of the rest of the last segment for a torn tail (a scan of up to a
        // segment's bytes that recovery and `ordo journal verify` do).
        view.batches = (*recorded)->durable_end.next_batch_number;
        view.sequence = (*recorded)->durable_end.next_sequence;
        view.end = (*recorded)->durable_end;
        // Read before the reader lists the segments: a segment the hint's end lies in
        // already exists (its name was durable before any batch in it was).
        if (hint != nullptr) view.hint_used = hint->end_for(**recorded);
        if (view.hint_used) {
            ORDO_ASSERT(view.hint_used->durable.next_batch_number > view.batches);
            view.batches = view.hint_used->durable.next_batch_number;
            view.sequence = view.hint_used->durable.next_sequence;
            view.end = view.hint_used->durable;
        }
    }
    return view;
}

std::optional<std::string> journal_source::past_or_off_the_end(
    const journal::journal_position& start, const durable_view& view) {
    if (view.batches == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
    const std::uint64_t batch = start.next_batch_number;
    if (batch > view.batches) {
        // A reader that read up to the writer's DIR/durable_end hint stands past the
        // manifest's end too, but only while that hint is there to be read.
        return "a position after batch " + std::to_string(batch - 1) +
               ", past the journal's durable end (batch " + std::to_string(view.batches) +
               "): another history's (or read up to a DIR/durable_end that is gone)";
    }
    if (batch == view.batches && batch > 0 &&
        (start.next_sequence != view.end.next_sequence ||
         start.previous_header_checksum != view.end.previous_header_checksum)) {
        return "a position at the journal's durable end (batch " + std::to_string(batch) +
               ") whose last batch is not this journal's: another history's";
    }
    return std::nullopt;
}

std::expected<journal_source, std::string> journal_source::open(
    const std::filesystem::path& data_dir, const journal::journal_position& start,
    const journal::durable_hint_view* hint, bool manifest_seen) {
    auto view = read_durable_end(data_dir, hint, manifest_seen);
    if (!view) return std::unexpected(view.error());
    if (auto foreign = past_or_off_the_end(start, *view)) return std::unexpected(*foreign);
    // Pages as read: a source tails live segments, whose rest is the preparer's zeros.
    auto reader = journal::reader::open(journal::data_dir_layout::journal(data_dir), start,
                                        view->expected, journal::segment_paging::on_demand);
    if (!reader) return std::unexpected(reader.error().message());
    journal_source source(std::move(*reader), view->batches, start);
    source.data_dir_ = data_dir;
    source.expected_ = view->expected;
    source.hint_used_ = view->hint_used;
    source.durable_sequence_ = view->sequence;
    source.manifest_seen_ = manifest_seen || view->manifest_read;
    return source;
}

std::expected<void, std::string> journal_source::refresh(const journal::durable_hint_view* hint) {
    auto view = read_durable_end(data_dir_, hint, manifest_seen_);
    if (!view) return std::unexpected(view.error());
    manifest_seen_ = manifest_seen_ || view->manifest_read;
    // Ends only grow (a manifest replaced by one of another history is the chain check's).
    if (view->batches > durable_batches_ || durable_batches_ == UINT64_MAX) {
        durable_batches_ = view->batches;
        durable_sequence_ = view->sequence;
        if (durable_batches_ != UINT64_MAX) reader_.read_ahead_exactly(view->end);
    }
    expected_ = view->expected;
    hint_used_ = view->hint_used;
    reopened_at_ = UINT64_MAX;
    return {};
}

std::expected<std::optional<durable_batch>, std::string> journal_source::next() {
    if (position_.next_batch_number >= durable_batches_) return std::nullopt;
    auto batch = reader_.next();
    if (!batch) return std::unexpected(batch.error().message());
    if (!batch->has_value() && durable_batches_ != UINT64_MAX &&
        reopened_at_ != position_.next_batch_number) {
        // Short of a durable end read after this reader opened: its segment list predates
        // a rollover (or it ended at what was then a torn tail). Once per position, a fresh
        // reader from here (it lists the segments and maps them again).
        reopened_at_ = position_.next_batch_number;
        auto reader = journal::reader::open(journal::data_dir_layout::journal(data_dir_), position_,
                                            expected_, journal::segment_paging::on_demand);
        if (!reader) return std::unexpected(reader.error().message());
        reader_ = std::move(*reader);
        batch = reader_.next();
        if (!batch) return std::unexpected(batch.error().message());
    }
    if (!batch->has_value()) return std::nullopt;
    const journal::batch_view& b = **batch;
    ORDO_ASSERT(b.batch_number == position_.next_batch_number);
    position_ = reader_.position();
    ORDO_ASSERT(position_.next_batch_number == b.batch_number + 1);
    return durable_batch{.batch_number = b.batch_number,
                         .first_sequence = b.first_sequence,
                         .record_count = b.record_count,
                         .body = b.body,
                         .end = position_};
}

}  // namespace ordo::projections
