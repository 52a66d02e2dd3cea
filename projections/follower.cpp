#include "projections/follower.h"

#include <algorithm>
#include <span>
#include <thread>

#include "base/assert.h"
#include "base/cpu.h"
#include "projections/checkpoint.h"
#include "projections/journal_source.h"

namespace ordo::projections {

std::expected<follower, std::string> follower::open(const std::filesystem::path& data_dir) {
    follower f(data_dir);
    // The journal's chain check at the first poll proves a checkpoint belongs to it.
    const auto load = [&data_dir](projection& view) -> std::optional<std::string> {
        auto loaded = load_checkpoint(data_dir, view);
        if (loaded) return std::nullopt;
        view.reset();
        return "rebuilding " + std::string(view.name()) + " from the journal: " + loaded.error();
    };
    // History's checkpoint, most of a long history's (2.7 GB of 4.2 at 132 M commands), loads
    // on a second thread while this one loads the other three: loading is mostly faulting
    // fresh memory in (60-70% of the samples zeroing pages), which two CPUs do twice as
    // fast. The views and their files share nothing.
    std::array<std::optional<std::string>, 4> notes;  // in the order of views()
    std::thread history_loader([&] { notes[2] = load(f.history_); });
    notes[0] = load(f.availability_);
    notes[1] = load(f.customers_);
    notes[3] = load(f.sales_);
    history_loader.join();
    for (const std::optional<std::string>& note : notes) {
        if (note.has_value()) f.notes_.push_back(*note);
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

namespace {

const projection* laggard(std::span<projection* const> group) {
    ORDO_ASSERT(!group.empty());
    const projection* start = group[0];
    for (const projection* view : group) {
        if (view->position().next_batch_number < start->position().next_batch_number) {
            start = view;
        }
    }
    return start;
}

// What a child that wrote point-in-time checkpoints reported, when it ended (waiting for it
// with `wait`): nothing when none runs or it still runs.
std::expected<void, std::string> reap_points(background_checkpoint* child, bool wait) {
    if (child == nullptr || !child->running()) return {};
    const auto ended = child->done(wait);
    if (!ended || *ended) return {};
    return std::unexpected("point-in-time checkpoint not saved: " + ended->error());
}

// After a batch that took group[i] from commands_before[i] commands: the point-in-time
// checkpoints of the views that crossed a point, written by a child forked now (`child`,
// when given: the caller's thread is the process's only one) or else here.
std::expected<void, std::string> save_points(std::span<projection* const> group,
                                             std::span<const std::uint64_t> commands_before,
                                             const std::filesystem::path& data_dir,
                                             const point_checkpoint_policy& points,
                                             background_checkpoint* child) {
    ORDO_ASSERT(group.size() == commands_before.size());
    const auto crossed = [&](std::size_t i) {
        return crosses_point(*group[i], commands_before[i], points);
    };
    bool any = false;
    for (std::size_t i = 0; i < group.size(); i++) any = any || crossed(i);
    if (!any) return {};
    const auto save = [&]() -> std::expected<void, std::string> {
        for (std::size_t i = 0; i < group.size(); i++) {
            if (auto saved = after_batch(data_dir, *group[i], commands_before[i], points); !saved) {
                return saved;
            }
        }
        return {};
    };
    const auto save_here = [&]() -> std::expected<void, std::string> {
        if (auto saved = save(); !saved) {
            return std::unexpected("point-in-time checkpoint not saved: " + saved.error());
        }
        return {};
    };
    if (child == nullptr) return save_here();
    // One child at a time: two would prune the same views' files at once.
    if (auto last = reap_points(child, true); !last) return last;
    // The child saves the views as they are now, whatever this thread applies next.
    if (child->start(save)) return {};
    return save_here();  // no child to be had (out of processes or memory): here, as before
}

// Applies every batch the source hands out to the views of the group in one walk (each
// skips what it already holds), saving point-in-time checkpoints as they fall due
// (save_points; `child` only when this thread is the process's only one).
std::expected<poll_result, std::string> apply_all(journal_source& source,
                                                  std::span<projection* const> group,
                                                  const std::filesystem::path& data_dir,
                                                  const point_checkpoint_policy& points,
                                                  background_checkpoint* child = nullptr) {
    poll_result result{.durable_batches = source.durable_batches()};
    for (;;) {
        auto batch = source.next();
        if (!batch) return std::unexpected(batch.error());
        if (!batch->has_value()) break;
        std::array<std::uint64_t, projection::together_max> commands_before{};
        ORDO_ASSERT(group.size() <= commands_before.size());
        for (std::size_t i = 0; i < group.size(); i++) commands_before[i] = group[i]->commands();
        auto done = projection::apply_together(group, **batch);
        if (!done) return std::unexpected(done.error());
        ORDO_ASSERT(*done != applied::cut);
        const auto before = std::span(commands_before).first(group.size());
        if (auto saved = save_points(group, before, data_dir, points, child); !saved) {
            return std::unexpected(saved.error());
        }
        result.batches++;
        result.records += (*batch)->record_count;
        result.bytes += (*batch)->body.size();
    }
    return result;
}

// The group's own reader, from its laggard, stopped at the same durable end as the rest.
std::expected<poll_result, std::string> apply_group(const std::filesystem::path& data_dir,
                                                    std::span<projection* const> group,
                                                    std::uint64_t durable_batches,
                                                    const point_checkpoint_policy& points,
                                                    bool manifest_seen) {
    // The writer's hint too, as the poll's own source read it: the group may stand past the
    // manifest's end. A view of its own (a hint view is one thread's).
    const std::optional<journal::durable_hint_view> hint =
        journal::durable_hint_view::open(data_dir);
    auto source = journal_source::open(data_dir, laggard(group)->position(),
                                       hint ? &*hint : nullptr, manifest_seen);
    if (!source) return std::unexpected(source.error());
    source->stop_at(durable_batches);
    return apply_all(*source, group, data_dir, points);
}

}  // namespace

std::expected<void, std::string> follower::finish_point_checkpoints() {
    return reap_points(points_child_.get(), true);
}

std::expected<poll_result, std::string> follower::poll() {
    if (auto ended = reap_points(points_child_.get(), false); !ended) {
        return std::unexpected(ended.error());
    }
    const std::array<projection*, 4> all = views_mutable();
    // The laggard's position: the others skip what they already hold.
    const projection* start = laggard(all);
    if (!hint_) hint_ = journal::durable_hint_view::open(data_dir_);  // a writer may make it
    const journal::durable_hint_view* hint = hint_ ? &*hint_ : nullptr;
    // The last poll's source, when every view stopped where it did (a follower keeping up):
    // refreshed, not reopened (opening one maps and populates a whole segment).
    const bool together = std::all_of(all.begin(), all.end(), [&](const projection* view) {
        return view->position() == start->position();
    });
    std::expected<journal_source, std::string> source = std::unexpected(std::string());
    if (tail_ && together && tail_->position() == start->position()) {
        if (auto refreshed = tail_->refresh(hint); refreshed) source = std::move(*tail_);
    }
    tail_.reset();
    if (!source) source = journal_source::open(data_dir_, start->position(), hint, manifest_seen_);
    if (!source && start->position().next_batch_number > 0) {
        // The journal does not continue the checkpoints (another history): rebuild, once
        // the journal reads from its start (else the error stands and the views stay).
        auto from_start = journal_source::open(data_dir_, {}, hint, manifest_seen_);
        if (from_start) {
            notes_.push_back("rebuilding every view from the journal: " + source.error());
            for (projection* view : all) view->reset();
            source = std::move(from_start);
        }
    }
    if (!source) return std::unexpected(source.error());
    manifest_seen_ = manifest_seen_ || source->manifest_seen();
    const std::uint64_t durable = source->durable_batches();
    const std::optional<journal::durable_hint_value> hint_used = source->hint_used();
    if (hint_used) hint_used_ever_ = true;
    const std::uint64_t from = start->position().next_batch_number;
    std::expected<poll_result, std::string> result;
    const std::uint64_t durable_sequence = source->durable_sequence();
    const std::uint64_t applied_sequence = start->position().next_sequence;
    if (durable - std::min(durable, from) < parallel_backlog_batches_min ||
        durable_sequence - std::min(durable_sequence, applied_sequence) <
            parallel_backlog_records_min) {
        result = apply_all(*source, all, data_dir_, points_, points_child_.get());
        if (result) tail_.emplace(std::move(*source));
    } else {
        // Two threads write point-in-time checkpoints themselves: none may be written by a
        // child meanwhile (prunes of the same files).
        if (auto ended = reap_points(points_child_.get(), true); !ended) {
            return std::unexpected(ended.error());
        }
        for (projection* view : all) view->expect_records(source->records_after(view->position()));
        // This poll's end: the durable end, or a bounded step towards it.
        const std::uint64_t end = std::min(durable, from + catch_up_poll_batches_max);
        // A long backlog (a catch-up): two threads, each with its own reader (the batches
        // are verified twice, which costs little beside applying them).
        // The views share nothing, so the threads never wait for each other until the end.
        // Split so that each thread has about half the work: sales alone cost about what
        // the other three cost in one walk (3 M commands, thread times over 4 runs: sales
        // 87-104 ms against 108-121 ms for the three). Since sales got cheaper, splitting
        // two and two ({history, customers} or {history, availability} beside sales) measured
        // the same: the two threads slow each other more than either's share decides
        // (bench/RESULTS.md).
        const std::array<projection*, 3> first = {&history_, &customers_, &availability_};
        const std::array<projection*, 1> second = {&sales_};
        std::expected<poll_result, std::string> helped;
        std::thread helper([&] {
            // Free of any CPU the caller keeps off (ordo follow: a live writer's sequencer's):
            // a catch-up wants both halves running at once.
            static_cast<void>(base::let_current_thread_run_anywhere());
            helped = apply_group(data_dir_, second, end, points_, manifest_seen_);
        });
        source->stop_at(end);
        // The source opened above serves the first group when it starts where that group's
        // laggard does (opening a reader maps and populates its segment: not for free).
        result = laggard(first)->position().next_batch_number == from
                     ? apply_all(*source, first, data_dir_, points_)
                     : apply_group(data_dir_, first, end, points_, manifest_seen_);
        helper.join();
        if (result && !helped) result = std::unexpected(helped.error());
        if (result && helped->records > result->records) {
            result = poll_result{.batches = helped->batches,
                                 .records = helped->records,
                                 .bytes = helped->bytes,
                                 .durable_batches = result->durable_batches};
        }
        if (result) {
            result->durable_batches = durable;  // the sources' ends were cut to `end`
            result->more = end < durable && next_batch_number() == end;
        }
    }
    if (!result) return result;
    result->hint_used = hint_used;
    if (result->durable_batches == UINT64_MAX) result->durable_batches = next_batch_number();
    return result;
}

std::expected<void, std::string> follower::checkpoint() const {
    for (const projection* view : views()) {
        // A checkpoint of this very place is on disk already (loaded, or saved before by
        // this process or a child): writing it again changes nothing and costs as much as
        // the view is large (an idle follower of 132 M commands rewrote 4.2 GB at each stop).
        const auto on_disk = peek_checkpoint_place(checkpoint_path(data_dir_, *view));
        if (on_disk && on_disk->position == view->position() &&
            on_disk->commands == view->commands() && on_disk->now_ms == view->now_ms()) {
            continue;
        }
        if (auto saved = save_checkpoint(data_dir_, *view); !saved) return saved;
    }
    return {};
}

}  // namespace ordo::projections
