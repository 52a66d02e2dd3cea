#pragma once
// A follower: the four projections of a data directory kept current from its segment files
// while another process may be writing them (`ordo follow`). Each poll re-reads DIR/manifest
// and the writer's hint DIR/durable_end and applies every batch up to the durable end they
// record (journal_source.h), so a batch
// a writer has not made durable, or has half written, is never seen; the reader's checks
// (checksums, the chain) hold on every batch. Segment rollover is the reader's: it opens
// the next segment file when one ends. Checkpoints make it survive its own restart (kill -9
// included): each projection resumes after the batch its checkpoint names, and a batch it
// applied again is skipped, so a restarted follower ends identical to one that never
// stopped.
//
// Thread: one thread owns it; a poll with a long backlog lends one of the views (sales) to a
// second thread for its duration. Lifecycle: open() (checkpoints loaded), poll() as often as
// wanted, checkpoint() now and then and before leaving.

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "journal/durable_hint.h"
#include "projections/availability.h"
#include "projections/background_checkpoint.h"
#include "projections/customers.h"
#include "projections/history.h"
#include "projections/journal_source.h"
#include "projections/point_checkpoints.h"
#include "projections/sales.h"

namespace ordo::projections {

// A poll with at least this many durable batches to apply runs the views on two threads
// (a catch-up); a follower keeping up with a writer applies the few new ones on its own.
inline constexpr std::uint64_t parallel_backlog_batches_min = 32;
// ... and at least this many records: a writer syncing fast writes small batches (a few
// hundred records), and a catch-up poll opens two fresh readers (each maps and populates a
// whole segment: milliseconds), which a follower keeping up must not pay at every poll.
inline constexpr std::uint64_t parallel_backlog_records_min = 1u << 20;

// A catch-up poll applies at most this many batches (up to 1 GiB of journal, about a second
// here), so that a follower's loop sees Ctrl-C and saves checkpoints during a long
// catch-up: in one poll, a follower started on a 30 M-command DIR answered SIGTERM after
// 3.4 s, and one killed during a catch-up of a long history started again from zero.
inline constexpr std::uint64_t catch_up_poll_batches_max = 1024;

struct poll_result {
    std::uint64_t batches = 0;  // read by this poll (by the thread that read the most)
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::uint64_t durable_batches = 0;  // the durable end this poll read up to
    bool more = false;  // stopped at catch_up_poll_batches_max before the durable end
    // The writer's durable-end hint when it set that end (further than the manifest's).
    std::optional<journal::durable_hint_value> hint_used;
};

class follower {
  public:
    // Loads each projection's checkpoint (one that does not load or that the journal does
    // not continue is rebuilt from the start, with a note).
    static std::expected<follower, std::string> open(const std::filesystem::path& data_dir);

    std::expected<poll_result, std::string> poll();
    // Saves each view's checkpoint, but for a view whose checkpoint on disk already holds
    // its place (checked from the file's header).
    std::expected<void, std::string> checkpoint() const;
    // Point-in-time checkpoints (point_checkpoints.h), each view's written by the thread
    // applying it right after the batch that crosses a multiple of policy.every_commands;
    // none until this is called. With `in_child`, a follower keeping up (a poll on its own
    // thread) forks a child (background_checkpoint.h) right after that batch to write them,
    // instead of pausing for the write (most of a second for a long history); at most one
    // such child runs (a crossing waits for the last one), and a catch-up, which runs a
    // second thread and cannot fork, writes them itself.
    void keep_point_checkpoints(const point_checkpoint_policy& policy, bool in_child = false) {
        points_ = policy;
        if (in_child && !points_child_) points_child_ = std::make_unique<background_checkpoint>();
        if (!in_child) points_child_.reset();
    }
    // Waits for the point-in-time checkpoints a child is writing: what it reported (an error
    // when one was not saved). Before leaving, so that none is cut short. Each poll also
    // reaps an ended child and fails with its error.
    std::expected<void, std::string> finish_point_checkpoints();

    // Batches applied by all four.
    std::uint64_t next_batch_number() const noexcept;
    std::uint64_t commands() const noexcept;
    // What open() and the polls since the last call noted (a checkpoint not used, a
    // rebuild from the journal), each handed out once.
    std::vector<std::string> take_notes() noexcept { return std::exchange(notes_, {}); }
    // DIR/durable_end once a poll found it, and whether a poll has used it (the writer
    // keeps it current: waiting on it is waking when a batch becomes durable).
    const journal::durable_hint_view* hint() const noexcept {
        return hint_.has_value() ? &*hint_ : nullptr;
    }
    bool hint_used_ever() const noexcept { return hint_used_ever_; }

    const availability& seats() const noexcept { return availability_; }
    const customers& by_customer() const noexcept { return customers_; }
    const history& streams() const noexcept { return history_; }
    const sales& sales_view() const noexcept { return sales_; }
    std::array<const projection*, 4> views() const noexcept {
        return {&availability_, &customers_, &history_, &sales_};
    }

  private:
    explicit follower(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
    std::array<projection*, 4> views_mutable() noexcept {
        return {&availability_, &customers_, &history_, &sales_};
    }

    std::filesystem::path data_dir_;
    availability availability_;
    customers customers_;
    history history_;
    sales sales_;
    std::vector<std::string> notes_;
    bool manifest_seen_ = false;  // a poll read DIR/manifest (journal_source.h)
    point_checkpoint_policy points_;
    std::unique_ptr<background_checkpoint> points_child_;  // with keep_point_checkpoints(.., true)
    std::optional<journal::durable_hint_view> hint_;
    std::optional<journal_source> tail_;  // the last poll's, kept while keeping up
    bool hint_used_ever_ = false;
};

}  // namespace ordo::projections
