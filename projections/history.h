#pragma once
// History per reservation and per conference (CONTRACT.md section 4, `ordo query
// history`): the per-stream read of an event store. One entry for each command that named
// the stream (accepted, duplicate or rejected) and one for each expiry of a reservation (of
// it), in history order. A command names a conference through its `conference` field or,
// for confirm and cancel, through the reservation it names when that exists.
//
// Layout: one append-only array of entries in history order, each with the reservation and
// the conference it belongs to, and an index of held reservations (their conference), the
// only lookup applying needs (confirm, cancel and expiry name their conference through it).
// No per-stream index: most ids a workload names are never held (mistyped, rejected), and
// indexing every one of them made applying miss the cache on nearly every record (9 M
// records/s); a stream is found by one sequential pass over the entries at query time.
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "projections/flat_index.h"
#include "projections/projection.h"

namespace ordo::projections {

// An entry's op: a command's (engine::op, 1..8), or an expiry.
inline constexpr std::uint8_t op_expire = 0;

struct history_entry {
    std::uint64_t command = 0;      // 1-based; an expiry: the command it preceded
    std::uint64_t t_ms = 0;         // stamped time
    std::uint64_t reservation = 0;  // the reservation it is about (0: none)
    std::uint8_t op = 0;            // op_expire or an engine::op
    engine::outcome result = engine::outcome::accepted;
};

// Entries a history view holds at most (a checkpoint's count is checked against it).
inline constexpr std::uint64_t history_entries_max = UINT32_MAX - 1;

// One stream: a reservation's or a conference's.
struct history_stream {
    enum class kind : std::uint8_t { reservation, conference };
    kind by = kind::reservation;
    std::uint64_t id = 0;
};

class history final : public projection {
  public:
    std::string_view name() const noexcept override { return "history"; }
    bool reads_earlier_points_from_checkpoint() const noexcept override { return true; }
    // A stream's entries in history order (one pass over every entry).
    std::vector<history_entry> of_reservation(std::uint64_t reservation) const;
    std::vector<history_entry> of_conference(std::uint64_t conference) const;
    std::vector<history_entry> of_stream(const history_stream& stream) const;

    // Time travel without building the view: a stream as of `stop`, read straight from
    // `state`, the bytes of a checkpoint of this view (projection::encode) that is past the
    // stop. History is append-only, so a stream as of a point is the stream's entries up to
    // the point: those of commands 1..N (an expiry counts as the command it preceded), or
    // stamped at or before T, exactly what applying the journal up to the point records.
    // One sequential pass over the entries before the point; no index is built. nullopt
    // when the bytes are not a state of this view.
    static std::optional<std::vector<history_entry>> stream_as_of(
        std::span<const std::byte> state, const history_stream& stream, const stop_point& stop);

  private:
    void on_conference_created(const event_context&, const engine::conference_created_v1&,
                               std::span<const engine::seat_item>) override;
    void on_seats_changed(const event_context&, const engine::seats_changed_v1&,
                          bool added) override;
    void on_held(const event_context&, const engine::reservation_held_v1&,
                 std::span<const engine::seat_item>) override;
    void on_confirmed(const event_context&, std::uint64_t reservation) override;
    void on_cancelled(const event_context&, std::uint64_t reservation) override;
    void on_expired(const event_context&, const engine::reservation_expired_v1&,
                    bool at_close) override;
    void on_rejected(const event_context&, const engine::command_rejected_v1&) override;
    void on_closed(const event_context&, const engine::conference_closed_v1&) override;
    void prefetch(const named_ids& ids) const noexcept override {
        held_.prefetch(ids.reservation);
    }
    void expect_records(std::uint64_t records) override;
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    // One entry of the whole history in 24 bytes, with the streams it belongs to (0: none):
    // its command and time are steps from the entry before (an entry a record, so these
    // 24 bytes rather than 40 are most of the view's memory, and of its checkpoint, which
    // holds these words as they are). A step too large for its bits is preceded by a
    // rebase entry holding the absolute command and time (history.cpp, entry_reader).
    struct stored_entry {
        std::uint64_t reservation = 0;
        std::uint64_t conference = 0;
        std::uint64_t packed = 0;  // command step | time step << 28 | op << 56 | result << 60
    };

    // Appends the entry; a reserve accepted also indexes its reservation's conference.
    void record(std::uint64_t conference, const history_entry& entry);
    std::uint64_t conference_of(std::uint64_t reservation) const;
    // Calls f(entry, conference) for every entry in history order.
    template <class F>
    void for_each_entry(F&& f) const;

    big_vector<stored_entry> entries_;   // every entry, in history order (append-only)
    std::uint64_t entry_count_ = 0;      // entries_ less the rebases
    std::uint64_t last_command_ = 0;     // the newest entry's (the steps' base)
    std::uint64_t last_t_ms_ = 0;
    flat_index<std::uint64_t> held_;     // held reservation -> its conference
};

}  // namespace ordo::projections
