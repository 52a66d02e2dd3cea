#pragma once
// A projection: a view of the history built by applying the journal's events, never by
// deciding anything (it sees the event schema, engine/schema, and no engine code). This
// base class owns what every projection shares:
// - its place: the journal position after the last batch applied, the commands and the
//   stamped time so far. A batch before that place is skipped (applying a batch twice
//   changes nothing); a batch after it is a gap, refused;
// - the walk over a batch's records (engine/EVENTS.md), which numbers each record's
//   command (the 1-based position in the whole history: an expiry belongs to the command
//   it precedes) and calls the view's handler for its event;
// - time travel: a stop point cuts a batch after a command (CONTRACT.md section 3);
// - the state bytes behind its checkpoint (checkpoint.h).
//
// Thread: one thread owns a projection (its reader's); queries read it on that thread or
// after it stopped. Lifecycle: constructed empty, maybe restored from a checkpoint, then
// apply() batch after batch in journal order.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/schema/events.h"
#include "journal/position.h"
#include "journal/record.h"
#include "projections/batch.h"
#include "projections/state_bytes.h"

namespace ordo::projections {

// Where a reader stops: after the first `value` commands, or after the last command whose
// stamped time is <= `value` ms.
struct stop_point {
    enum class kind : std::uint8_t { commands, time_ms };
    kind by = kind::commands;
    std::uint64_t value = 0;
};

// What the handlers get beside the event.
struct event_context {
    std::uint64_t command = 0;  // the 1-based position of the command the record belongs to
    std::uint64_t now_ms = 0;   // its stamped time
};

// The ids a record names, for the views' prefetch (0: none; a customer only on a hold).
struct named_ids {
    std::uint64_t reservation = 0;
    std::uint64_t customer = 0;
};

// Why a record could not be applied (none: it was).
enum class projection_record_fault : std::uint8_t { none, unknown, time_backwards };

enum class applied : std::uint8_t {
    whole,    // every record of the batch
    skipped,  // already applied before (idempotence)
    cut,      // the stop point fell before its end: nothing after it may be applied
};

class projection {
  public:
    virtual ~projection() = default;
    virtual std::string_view name() const noexcept = 0;
    // Whether the view as of any earlier point is read from a later checkpoint of it (an
    // append-only view: history, history_as_of.h), so that point-in-time checkpoints of it
    // would cost disk and never be read (point_checkpoints.h writes none).
    virtual bool reads_earlier_points_from_checkpoint() const noexcept { return false; }
    // Whether the view holds the whole state its checkpoint file holds, so that it may be
    // saved to it and re-encodes to the bytes it loaded; false for a view that reads another
    // view's checkpoint and keeps a part of it (history_stream.h).
    virtual bool whole() const noexcept { return true; }

    // A hint before a catch-up that about `records` records are coming: a view that keeps
    // an entry per record reserves room for them, so that it grows once instead of doubling
    // (each doubling copies the entries and faults fresh pages in: on a catch-up from zero
    // that was most of history's time). A hint only: nothing happens when memory refuses.
    virtual void expect_records(std::uint64_t /*records*/) {}

    // Applies a batch once. An error for a gap or a record this ordo does not know.
    std::expected<applied, std::string> apply(const durable_batch& batch,
                                              const stop_point* stop = nullptr);
    // Applies a batch to several views in one walk over its records: each record is checked
    // and read once and handed to every view that has not applied the batch yet, so views
    // sharing a thread share the walk (on a long catch-up it cost about as much as a view's
    // own handlers). Each view ends as apply() would leave it; the result is the applying
    // views' (skipped when every view already held the batch).
    static std::expected<applied, std::string> apply_together(std::span<projection* const> views,
                                                              const durable_batch& batch,
                                                              const stop_point* stop = nullptr);
    // Views one walk applies at most (a follower's four, with room).
    static constexpr std::size_t together_max = 8;

    const journal::journal_position& position() const noexcept { return position_; }
    std::uint64_t commands() const noexcept { return commands_; }
    std::uint64_t now_ms() const noexcept { return now_ms_; }
    // Whether the projection already holds a command past the point.
    bool past(const stop_point& stop) const noexcept;

    // Checkpoint bytes: the place (place_words words), then the view's state.
    void encode(state_writer& out) const;
    static constexpr std::size_t position_words = 6;  // the place's first words
    static constexpr std::size_t place_words = 8;
    // The journal position a state's bytes (encode) record, without decoding the view.
    static std::optional<journal::journal_position> position_in(std::span<const std::byte> state);
    // False when the bytes are not a state of this projection (nothing is kept then).
    bool decode(std::span<const std::byte> bytes);
    // Back to the empty state at position 0.
    void reset();

  protected:
    // Handlers, one per event (engine/EVENTS.md); the default ignores the event.
    virtual void on_conference_created(const event_context&, const engine::conference_created_v1&,
                                       std::span<const engine::seat_item>) {}
    virtual void on_seats_changed(const event_context&, const engine::seats_changed_v1&, bool) {}
    virtual void on_held(const event_context&, const engine::reservation_held_v1&,
                         std::span<const engine::seat_item>) {}
    virtual void on_confirmed(const event_context&, std::uint64_t) {}
    virtual void on_cancelled(const event_context&, std::uint64_t) {}
    virtual void on_expired(const event_context&, const engine::reservation_expired_v1&, bool) {}
    virtual void on_rejected(const event_context&, const engine::command_rejected_v1&) {}
    virtual void on_closed(const event_context&, const engine::conference_closed_v1&) {}

    // Called for a block of records some records before their handlers run, with the ids
    // each names: a view whose index is far larger than the cache prefetches the ids' slots.
    // A block at a time, not a record: one call per view per block, in a loop that does not
    // branch on the record's type (per record, the call and the type's branches mispredicted
    // as the types changed).
    virtual void prefetch(std::span<const named_ids>) const noexcept {}

    virtual void encode_view(state_writer& out) const = 0;
    virtual bool decode_view(state_reader& in) = 0;
    virtual void clear_view() = 0;

  private:
    using record_fault = projection_record_fault;
    // Checks a record's type, version and sizes, reads its event and runs every view's
    // handler of it: one switch over the type per record, whatever the number of views.
    static record_fault deliver(std::span<projection* const> group, const journal::record_view& r,
                                const event_context& at);
    // Views that may share a walk: at the same place (or none is applied by the walk).
    bool same_place(const projection& other) const noexcept {
        return position_ == other.position_ && commands_ == other.commands_ &&
               now_ms_ == other.now_ms_;
    }
    std::expected<applied, std::string> walk(std::span<projection* const> group,
                                             const durable_batch& batch, const stop_point* stop);

    journal::journal_position position_{};
    std::uint64_t commands_ = 0;
    std::uint64_t now_ms_ = 0;
};

}  // namespace ordo::projections
