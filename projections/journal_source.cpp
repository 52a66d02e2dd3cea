#include "projections/journal_source.h"

#include <limits>

#include "base/assert.h"
#include "journal/data_dir.h"

namespace ordo::projections {

std::expected<journal_source, std::string> journal_source::open(
    const std::filesystem::path& data_dir, const journal::journal_position& start) {
    auto recorded = journal::read_manifest(data_dir);
    if (!recorded) return std::unexpected(recorded.error().message());
    journal::journal_expectations expected{};
    std::uint64_t durable_batches = std::numeric_limits<std::uint64_t>::max();
    if (*recorded) {
        expected = journal::expectations_of(**recorded);
        // An open manifest: a writer may be running, and only what it recorded as durable
        // is read. A closed one marks the exact end: stopping there spares the reader its
        // search of the rest of the last segment for a torn tail (a scan of up to a
        // segment's bytes that recovery and `ordo journal verify` do).
        durable_batches = (*recorded)->durable_end.next_batch_number;
    }
    auto reader =
        journal::reader::open(journal::data_dir_layout::journal(data_dir), start, expected);
    if (!reader) return std::unexpected(reader.error().message());
    return journal_source(std::move(*reader), durable_batches, start);
}

std::expected<std::optional<durable_batch>, std::string> journal_source::next() {
    if (position_.next_batch_number >= durable_batches_) return std::nullopt;
    auto batch = reader_.next();
    if (!batch) return std::unexpected(batch.error().message());
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
