#include "projections/follower.h"

#include <algorithm>

#include "base/assert.h"
#include "projections/checkpoint.h"
#include "projections/journal_source.h"

namespace ordo::projections {

std::expected<follower, std::string> follower::open(const std::filesystem::path& data_dir) {
    follower f(data_dir);
    for (projection* view : f.views_mutable()) {
        // The journal's chain check at the first poll proves the checkpoint belongs to it.
        auto loaded = load_checkpoint(data_dir, *view);
        if (!loaded) {
            f.notes_.push_back("rebuilding " + std::string(view->name()) +
                               " from the journal: " + loaded.error());
            view->reset();
        }
    }
    return f;
}

std::uint64_t follower::next_batch_number() const noexcept {
    std::uint64_t lowest = UINT64_MAX;
    for (const projection* view : views()) {
        lowest = std::min(lowest, view->position().next_batch_number);
    }
    return lowest;
}

std::uint64_t follower::commands() const noexcept {
    std::uint64_t lowest = UINT64_MAX;
    for (const projection* view : views()) lowest = std::min(lowest, view->commands());
    return lowest;
}

std::expected<poll_result, std::string> follower::poll() {
    // The laggard's position: the others skip what they already hold.
    const projection* start = &availability_;
    for (const projection* view : views()) {
        if (view->position().next_batch_number < start->position().next_batch_number) {
            start = view;
        }
    }
    auto source = journal_source::open(data_dir_, start->position());
    if (!source && start->position().next_batch_number > 0) {
        // The journal does not continue the checkpoints (another history): rebuild.
        notes_.push_back("rebuilding every view from the journal: " + source.error());
        for (projection* view : views_mutable()) view->reset();
        source = journal_source::open(data_dir_, {});
    }
    if (!source) return std::unexpected(source.error());
    poll_result result{.durable_batches = source->durable_batches()};
    for (;;) {
        auto batch = source->next();
        if (!batch) return std::unexpected(batch.error());
        if (!batch->has_value()) break;
        for (projection* view : views_mutable()) {
            auto done = view->apply(**batch);
            if (!done) return std::unexpected(done.error());
            ORDO_ASSERT(*done != applied::cut);
        }
        result.batches++;
        result.records += (*batch)->record_count;
        result.bytes += (*batch)->body.size();
    }
    if (result.durable_batches == UINT64_MAX) result.durable_batches = next_batch_number();
    return result;
}

std::expected<void, std::string> follower::checkpoint() const {
    for (const projection* view : views()) {
        if (auto saved = save_checkpoint(data_dir_, *view); !saved) return saved;
    }
    return {};
}

}  // namespace ordo::projections
