#include "projections/catch_up.h"

#include "base/assert.h"
#include "projections/checkpoint.h"
#include "projections/journal_source.h"
#include "projections/point_checkpoints.h"

namespace ordo::projections {
namespace {

// Applies every durable batch after the view's position (or up to the stop point).
std::expected<void, std::string> read_journal(const std::filesystem::path& data_dir,
                                              projection& view, const catch_up_options& how,
                                              catch_up_result& result) {
    const std::optional<journal::durable_hint_view> hint =
        journal::durable_hint_view::open(data_dir);
    auto source = journal_source::open(data_dir, view.position(), hint ? &*hint : nullptr);
    if (!source) return std::unexpected(source.error());
    view.expect_records(source->records_after(view.position()));
    base::progress_timer<catch_up_result> progress(how.on_progress);
    for (;;) {
        auto batch = source->next();
        if (!batch) return std::unexpected(batch.error());
        if (!batch->has_value()) return {};
        auto done = view.apply(**batch, how.stop);
        if (!done) return std::unexpected(done.error());
        if (*done == applied::cut) {
            result.cut = true;
            return {};
        }
        result.batches++;
        result.records += (*batch)->record_count;
        result.bytes += (*batch)->body.size();
        progress.step(result);
    }
}

}  // namespace

std::expected<catch_up_result, std::string> catch_up(const std::filesystem::path& data_dir,
                                                     projection& view,
                                                     const catch_up_options& how) {
    catch_up_result result;
    view.reset();
    if (how.use_checkpoint) {
        // One past the point is passed over unread: loading it costs as much as the view is
        // large, and it would be dropped anyway.
        const auto place = how.stop != nullptr
                               ? peek_checkpoint_place(checkpoint_path(data_dir, view))
                               : std::nullopt;
        auto loaded = place && place->past(*how.stop)
                          ? std::expected<checkpoint_load, std::string>(checkpoint_load::none)
                          : load_checkpoint(data_dir, view);
        if (!loaded) {
            result.notes.push_back("rebuilding " + std::string(view.name()) +
                                   " from the journal: " + loaded.error());
        } else if (*loaded == checkpoint_load::loaded) {
            result.from_checkpoint = true;
            // A checkpoint past the point cannot be wound back: start from the beginning,
            // or from a point-in-time checkpoint (below).
            if (how.stop != nullptr && view.past(*how.stop)) {
                view.reset();
                result.from_checkpoint = false;
            }
        }
        if (how.stop != nullptr && !result.from_checkpoint) {
            result.point_checkpoint_commands =
                load_point_checkpoint(data_dir, view, *how.stop, result.notes);
            result.from_checkpoint = result.point_checkpoint_commands.has_value();
            if (result.from_checkpoint) ORDO_ASSERT(!view.past(*how.stop));
        }
    }
    auto read = read_journal(data_dir, view, how, result);
    if (!read && result.from_checkpoint) {
        result.notes.push_back("rebuilding " + std::string(view.name()) +
                               " from the journal: the journal does not continue its "
                               "checkpoint (" +
                               read.error() + ")");
        view.reset();
        result = catch_up_result{.notes = std::move(result.notes)};
        read = read_journal(data_dir, view, how, result);
    }
    if (!read) return std::unexpected(read.error());
    return result;
}

}  // namespace ordo::projections
