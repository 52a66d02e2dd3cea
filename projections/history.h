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
#include "projections/history_rules.h"
#include "projections/projection.h"

namespace ordo::projections {

// Entries a history view holds at most (a checkpoint's count is checked against it).
inline constexpr std::uint64_t history_entries_max = UINT32_MAX - 1;
// Stored entries a view holds at most: each entry, and a rebase before each at worst.
inline constexpr std::uint64_t history_stored_entries_max = 2 * history_entries_max;

// One stream: a reservation's or a conference's.
struct history_stream {
    enum class kind : std::uint8_t { reservation, conference };
    kind by = kind::reservation;
    std::uint64_t id = 0;
    // Whether an entry about `reservation`, naming `conference`, belongs to it.
    bool holds(std::uint64_t reservation, std::uint64_t conference) const noexcept {
        return (by == kind::reservation ? reservation : conference) == id;
    }
};

// A history state's stored entries, three words each, as history::encode_view writes them
// (its command and time are steps from the entry before; a step too large for its bits is
// preceded by a rebase entry holding the absolute command and time), read in history order
// from words that may be anything (a checkpoint's).
class history_words_reader {
  public:
    static constexpr std::size_t entry_words = 3;
    // A stored entry's third word: command step | time step << 28 | op << 56 | outcome << 60.
    static constexpr unsigned step_bits = 28;
    static constexpr std::uint64_t step_max = (std::uint64_t{1} << step_bits) - 1;
    // The op of a rebase entry: its first two words are the absolute command and time that
    // the steps of the entries after it start from (before a step too large for its bits).
    static constexpr std::uint8_t op_rebase = 0xf;
    static_assert(engine::op_max < op_rebase && engine::outcome_count <= 16, "4 bits each");

    enum class read : std::uint8_t { entry, rebase, bad };
    // The entry these words hold into `e`; bad when they are not words history could have
    // stored (an unknown op or outcome, commands going back). Inline: a query's pass over a
    // long history's checkpoint calls it for every entry.
    read next(std::uint64_t first, std::uint64_t second, std::uint64_t packed,
              history_entry& e) noexcept {
        const auto op = static_cast<std::uint8_t>(packed >> 56 & 0xf);
        if (op == op_rebase) {
            if (first < command_ || (packed & ~(std::uint64_t{0xf} << 56)) != 0) return read::bad;
            command_ = first;
            t_ms_ = second;
            return read::rebase;
        }
        const std::uint64_t result = packed >> 60;
        if (op > engine::op_max || result >= engine::outcome_count) return read::bad;
        const std::uint64_t command_step = packed & step_max;
        const std::uint64_t t_step = packed >> step_bits & step_max;
        if (command_ > UINT64_MAX - command_step || t_ms_ > UINT64_MAX - t_step) return read::bad;
        command_ += command_step;
        t_ms_ += t_step;
        e = history_entry{.command = command_,
                          .t_ms = t_ms_,
                          .reservation = first,
                          .op = op,
                          .result = static_cast<engine::outcome>(result)};
        return read::entry;
    }

  private:
    std::uint64_t command_ = 0;
    std::uint64_t t_ms_ = 0;
};

// What a reader of a history state's entries does after one (read_history_entries).
enum class entry_step : std::uint8_t { next, stop, bad };

// Reads the count of a history state's stored entries (history::encode_view: the count,
// then each entry in history_words_reader::entry_words words): false when the bytes cannot
// hold that many.
inline bool read_history_count(state_reader& in, std::uint64_t& count) noexcept {
    return in.count(count, history_words_reader::entry_words) &&
           count <= history_stored_entries_max;
}

// Reads `count` stored entries (after read_history_count) in history order: f(entry,
// conference) for each (rebases are the reader's own), which says whether to go on, stop
// there (true) or refuse the bytes (false). ahead(word) gets the reservation word of the
// entry sixteen further on (0 past the end) first, for a prefetch. False when the words are
// not ones history could have stored.
template <class F, class Ahead>
bool read_history_entries(state_reader& in, std::uint64_t count, F&& f, Ahead&& ahead) {
    constexpr std::size_t words_per_entry = history_words_reader::entry_words;
    constexpr std::size_t ahead_entries = 16;
    history_words_reader reader;
    for (std::uint64_t i = 0; i < count; i++) {
        ahead(in.peek_u64(ahead_entries * words_per_entry));
        std::uint64_t words[words_per_entry] = {};
        for (std::uint64_t& word : words) in.u64(word);
        if (!in.ok()) return false;
        history_entry e;
        const auto read = reader.next(words[0], words[1], words[2], e);
        if (read == history_words_reader::read::bad) return false;
        if (read == history_words_reader::read::rebase) continue;
        const entry_step step = f(e, words[1]);
        if (step == entry_step::bad) return false;
        if (step == entry_step::stop) break;
    }
    return in.ok();
}

class history final : public history_rules<history> {
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
    static std::optional<std::vector<history_entry>> stream_as_of(std::span<const std::byte> state,
                                                                  const history_stream& stream,
                                                                  const stop_point& stop);

  private:
    friend class history_rules<history>;
    void prefetch(std::span<const named_ids> ids) const noexcept override {
        for (const named_ids& named : ids) held_.prefetch(named.reservation);
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
    std::uint64_t conference_of_held(std::uint64_t reservation) const {
        const std::uint64_t conference = conference_of(reservation);
        ORDO_ASSERT(conference != 0);
        return conference;
    }
    // Calls f(entry, conference) for every entry in history order.
    template <class F>
    void for_each_entry(F&& f) const;

    big_vector<stored_entry> entries_;  // every entry, in history order (append-only)
    std::uint64_t entry_count_ = 0;     // entries_ less the rebases
    std::uint64_t last_command_ = 0;    // the newest entry's (the steps' base)
    std::uint64_t last_t_ms_ = 0;
    flat_index<std::uint64_t> held_;  // held reservation -> its conference
};

}  // namespace ordo::projections
