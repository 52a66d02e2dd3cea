#include "projections/history.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {
namespace {

constexpr unsigned step_bits = history_words_reader::step_bits;
constexpr std::uint64_t step_max = history_words_reader::step_max;
constexpr std::uint8_t op_rebase = history_words_reader::op_rebase;
// An entry's words in a checkpoint (encode_view): the three stored words.
constexpr std::size_t entry_words = history_words_reader::entry_words;

std::uint64_t pack(std::uint64_t command_step, std::uint64_t t_step, std::uint8_t op,
                   engine::outcome result) noexcept {
    ORDO_ASSERT(command_step <= step_max && t_step <= step_max && op <= op_rebase);
    return command_step | t_step << step_bits | std::uint64_t{op} << 56 |
           std::uint64_t{static_cast<std::uint8_t>(result)} << 60;
}

}  // namespace

template <class F>
void history::for_each_entry(F&& f) const {
    history_words_reader reader;
    for (const stored_entry& s : entries_) {
        history_entry e;
        const auto read = reader.next(s.reservation, s.conference, s.packed, e);
        ORDO_ASSERT(read != history_words_reader::read::bad);  // record() stored it
        if (read == history_words_reader::read::entry) f(e, s.conference);
    }
}

std::vector<history_entry> history::of_stream(const history_stream& stream) const {
    std::vector<history_entry> out;
    if (stream.id == 0) return out;  // ids start at 1: no stream is named 0
    for_each_entry([&](const history_entry& e, std::uint64_t conference) {
        if (stream.holds(e.reservation, conference)) out.push_back(e);
    });
    return out;
}

std::vector<history_entry> history::of_reservation(std::uint64_t reservation) const {
    return of_stream(history_stream{.by = history_stream::kind::reservation, .id = reservation});
}

std::vector<history_entry> history::of_conference(std::uint64_t conference) const {
    return of_stream(history_stream{.by = history_stream::kind::conference, .id = conference});
}

std::uint64_t history::conference_of(std::uint64_t reservation) const {
    const std::uint64_t* conference = held_.find(reservation);
    return conference == nullptr ? 0 : *conference;
}

void history::record(std::uint64_t conference, const history_entry& entry) {
    ORDO_ASSERT(entry_count_ < history_entries_max);
    ORDO_ASSERT(last_command_ <= entry.command);
    ORDO_ASSERT(entry.op <= engine::op_max);
    ORDO_ASSERT(static_cast<std::uint32_t>(entry.result) < engine::outcome_count);
    // A reserve accepted names the reservation's conference for good.
    if (holds_reservation(entry)) {
        ORDO_ASSERT(conference != 0);
        held_.insert(entry.reservation, conference);  // asserts: ids are held once
    }
    std::uint64_t command_step = entry.command - last_command_;
    std::uint64_t t_step = entry.t_ms - last_t_ms_;
    if (command_step > step_max || entry.t_ms < last_t_ms_ || t_step > step_max) {
        entries_.push_back(stored_entry{.reservation = entry.command,
                                        .conference = entry.t_ms,
                                        .packed = pack(0, 0, op_rebase, {})});
        command_step = 0;
        t_step = 0;
    }
    entries_.push_back(stored_entry{.reservation = entry.reservation,
                                    .conference = conference,
                                    .packed = pack(command_step, t_step, entry.op, entry.result)});
    last_command_ = entry.command;
    last_t_ms_ = entry.t_ms;
    entry_count_++;
}

void history::expect_records(std::uint64_t records) {
    // Nearly every record is an entry (all but ticks); the bound keeps the size valid.
    reserve_hint(entries_, std::min(entries_.size() + records, history_entries_max));
}

void history::encode_view(state_writer& out) const {
    // The stored entries as they are, in history order; the index of held reservations is
    // rebuilt on decoding.
    out.reserve_words(1 + entries_.size() * entry_words);
    out.u64(entries_.size());
    for (const stored_entry& e : entries_) {
        out.u64(e.reservation);
        out.u64(e.conference);
        out.u64(e.packed);
    }
}

std::optional<std::vector<history_entry>> history::stream_as_of(std::span<const std::byte> state,
                                                                const history_stream& stream,
                                                                const stop_point& stop) {
    ORDO_ASSERT(stream.id != 0);
    state_reader in(state);
    std::uint64_t place = 0;
    for (std::size_t i = 0; i < place_words; i++) in.u64(place);
    std::uint64_t count = 0;
    if (!read_history_count(in, count)) return std::nullopt;
    const bool by_commands = stop.by == stop_point::kind::commands;
    std::vector<history_entry> found;
    const bool read = read_history_entries(
        in, count,
        [&](const history_entry& e, std::uint64_t conference) {
            if ((by_commands ? e.command : e.t_ms) > stop.value) return entry_step::stop;
            if (stream.holds(e.reservation, conference)) found.push_back(e);
            return entry_step::next;
        },
        [](std::uint64_t) {});
    if (!read) return std::nullopt;
    return found;
}

bool history::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!read_history_count(in, count)) return false;
    entries_.reserve(count);
    return read_history_entries(
        in, count,
        [&](const history_entry& e, std::uint64_t conference) {
            if (entry_count_ >= history_entries_max) return entry_step::bad;
            if (holds_reservation(e) &&
                (conference == 0 || e.reservation == 0 || conference_of(e.reservation) != 0)) {
                return entry_step::bad;
            }
            record(conference, e);  // stores it as it was stored (its own rebases)
            return entry_step::next;
        },
        // A held reservation's entry is indexed again, which misses cache as applying does:
        // the slot of the reservation an entry ahead names is asked for, as apply() does.
        [&](std::uint64_t ahead) {
            if (ahead != 0) held_.prefetch(ahead);
        });
}

void history::clear_view() {
    entries_.clear();
    entries_.shrink_to_fit();
    entry_count_ = 0;
    last_command_ = 0;
    last_t_ms_ = 0;
    held_.clear();
}

}  // namespace ordo::projections
