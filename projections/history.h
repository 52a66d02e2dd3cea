#pragma once
// History per reservation and per conference (CONTRACT.md section 4, `ordo query
// history`): the per-stream read of an event store. One entry for each command that named
// the stream (accepted, duplicate or rejected) and one for each expiry of a reservation (of
// it), in history order. A command names a conference through its `conference` field or,
// for confirm and cancel, through the reservation it names when that exists.
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

// Entries a history view holds at most: they are numbered (and linked) in 32 bits.
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
    // A stream's entries in history order (walked back from its latest entry at query time).
    std::vector<history_entry> of_reservation(std::uint64_t reservation) const;
    std::vector<history_entry> of_conference(std::uint64_t conference) const;
    std::vector<history_entry> of_stream(const history_stream& stream) const {
        return stream.by == history_stream::kind::reservation ? of_reservation(stream.id)
                                                              : of_conference(stream.id);
    }

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
    void prefetch_reservation(std::uint64_t reservation) const noexcept override {
        reservations_.prefetch(reservation);
    }
    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    static constexpr std::uint32_t no_entry = UINT32_MAX;
    // One entry of the whole history, stored once and linked into both of its streams.
    struct stored_entry {
        std::uint64_t command = 0;
        std::uint64_t t_ms = 0;
        std::uint64_t reservation = 0;  // 0: none
        std::uint64_t conference = 0;   // 0: none
        std::uint32_t previous_of_reservation = no_entry;
        std::uint32_t previous_of_conference = no_entry;
        std::uint8_t op = 0;
        engine::outcome result = engine::outcome::accepted;
    };
    static constexpr std::uint32_t no_conference = UINT32_MAX;
    // A reservation's stream: its conference's number in conferences_ (none until it is
    // held, or for an id never held) and its latest entry. Eight bytes, so the index's slots
    // are 16: most ids are named once, at random (mistyped), and its lines are what misses.
    struct reservation_stream {
        std::uint32_t conference = no_conference;
        std::uint32_t latest = no_entry;
    };
    // A conference's stream.
    struct conference_stream {
        std::uint64_t id = 0;
        std::uint32_t latest = no_entry;
    };

    // Appends the entry and links it into its reservation's (if any) and its conference's
    // (if any) streams.
    void record(std::uint64_t conference, const history_entry& entry);
    std::uint64_t conference_of(std::uint64_t reservation) const;
    // The conference's number in conferences_, numbering it when it is new.
    std::uint32_t conference_number(std::uint64_t conference);
    template <class Next>
    std::vector<history_entry> walk(std::uint32_t latest, Next next) const;

    // Every entry, in history order (append-only); the indexes find each stream's latest.
    big_vector<stored_entry> entries_;
    flat_index<reservation_stream> reservations_;
    std::vector<conference_stream> conferences_;    // in order of first mention
    flat_index<std::uint32_t> conference_numbers_;  // id -> number in conferences_
};

}  // namespace ordo::projections
