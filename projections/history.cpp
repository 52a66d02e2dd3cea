#include "projections/history.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {
namespace {

// An entry's words in a checkpoint (encode_view): command, time, reservation, conference,
// op | outcome << 8.
constexpr std::size_t entry_words = 5;

// Reads one entry; false when the bytes ran out or it names no op or outcome.
bool read_entry(state_reader& in, history_entry& e, std::uint64_t& conference) noexcept {
    std::uint64_t kinds = 0;
    in.u64(e.command);
    in.u64(e.t_ms);
    in.u64(e.reservation);
    in.u64(conference);
    if (!in.u64(kinds)) return false;
    const std::uint64_t op = kinds & 0xff;
    const std::uint64_t result = kinds >> 8;
    if (op > engine::op_max || result >= engine::outcome_count) return false;
    e.op = static_cast<std::uint8_t>(op);
    e.result = static_cast<engine::outcome>(result);
    return true;
}

bool in_stream(const history_stream& stream, std::uint64_t reservation,
               std::uint64_t conference) noexcept {
    return (stream.by == history_stream::kind::reservation ? reservation : conference) ==
           stream.id;
}

history_entry accepted_entry(const event_context& at, engine::op kind, std::uint64_t reservation) {
    return history_entry{.command = at.command,
                         .t_ms = at.now_ms,
                         .reservation = reservation,
                         .op = static_cast<std::uint8_t>(kind),
                         .result = engine::outcome::accepted};
}

}  // namespace

static_assert(engine::op_max < 0xf && engine::outcome_count <= 16, "4 bits each in `packed`");

template <class F>
void history::for_each_entry(F&& f) const {
    std::uint64_t command = 0;
    std::uint64_t t_ms = 0;
    for (const stored_entry& s : entries_) {
        const auto op = static_cast<std::uint8_t>(s.packed >> 56 & 0xf);
        if (op == op_rebase) {
            command = s.reservation;
            t_ms = s.conference;
            continue;
        }
        command += s.packed & step_max;
        t_ms += s.packed >> step_bits & step_max;
        f(history_entry{.command = command,
                        .t_ms = t_ms,
                        .reservation = s.reservation,
                        .op = op,
                        .result = static_cast<engine::outcome>(s.packed >> 60)},
          s.conference);
    }
}

std::vector<history_entry> history::of_stream(const history_stream& stream) const {
    std::vector<history_entry> out;
    if (stream.id == 0) return out;  // ids start at 1: no stream is named 0
    for_each_entry([&](const history_entry& e, std::uint64_t conference) {
        if (in_stream(stream, e.reservation, conference)) out.push_back(e);
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
    const bool held = entry.op == static_cast<std::uint8_t>(engine::op::reserve) &&
                      entry.result == engine::outcome::accepted;
    if (held) {
        ORDO_ASSERT(conference != 0);
        held_.insert(entry.reservation, conference);  // asserts: ids are held once
    }
    std::uint64_t command_step = entry.command - last_command_;
    std::uint64_t t_step = entry.t_ms - last_t_ms_;
    if (command_step > step_max || entry.t_ms < last_t_ms_ || t_step > step_max) {
        entries_.push_back(stored_entry{.reservation = entry.command,
                                        .conference = entry.t_ms,
                                        .packed = std::uint64_t{op_rebase} << 56});
        command_step = 0;
        t_step = 0;
    }
    entries_.push_back(stored_entry{
        .reservation = entry.reservation,
        .conference = conference,
        .packed = command_step | t_step << step_bits | std::uint64_t{entry.op} << 56 |
                  std::uint64_t{static_cast<std::uint8_t>(entry.result)} << 60});
    last_command_ = entry.command;
    last_t_ms_ = entry.t_ms;
    entry_count_++;
}

void history::on_conference_created(const event_context& at, const engine::conference_created_v1& e,
                                    std::span<const engine::seat_item>) {
    record(e.conference, accepted_entry(at, engine::op::create_conference, 0));
}

void history::on_seats_changed(const event_context& at, const engine::seats_changed_v1& e,
                               bool added) {
    record(e.conference,
           accepted_entry(at, added ? engine::op::add_seats : engine::op::remove_seats, 0));
}

void history::on_held(const event_context& at, const engine::reservation_held_v1& e,
                      std::span<const engine::seat_item>) {
    ORDO_ASSERT(e.conference != 0);
    ORDO_ASSERT(conference_of(e.reservation) == 0);  // ids are unique for all time
    record(e.conference, accepted_entry(at, engine::op::reserve, e.reservation));
}

void history::on_confirmed(const event_context& at, std::uint64_t reservation) {
    ORDO_ASSERT(conference_of(reservation) != 0);
    record(conference_of(reservation), accepted_entry(at, engine::op::confirm, reservation));
}

void history::on_cancelled(const event_context& at, std::uint64_t reservation) {
    ORDO_ASSERT(conference_of(reservation) != 0);
    record(conference_of(reservation), accepted_entry(at, engine::op::cancel, reservation));
}

void history::on_expired(const event_context& at, const engine::reservation_expired_v1& e, bool) {
    ORDO_ASSERT(conference_of(e.reservation) != 0);
    record(conference_of(e.reservation), history_entry{.command = at.command,
                                                       .t_ms = at.now_ms,
                                                       .reservation = e.reservation,
                                                       .op = op_expire,
                                                       .result = engine::outcome::accepted});
}

void history::on_rejected(const event_context& at, const engine::command_rejected_v1& e) {
    const bool through_reservation = e.kind == engine::op::confirm || e.kind == engine::op::cancel;
    const std::uint64_t conference =
        through_reservation ? conference_of(e.reservation) : e.conference;
    record(conference, history_entry{.command = at.command,
                                     .t_ms = at.now_ms,
                                     .reservation = e.reservation,
                                     .op = static_cast<std::uint8_t>(e.kind),
                                     .result = e.result});
}

void history::on_closed(const event_context& at, const engine::conference_closed_v1& e) {
    record(e.conference, accepted_entry(at, engine::op::close_conference, 0));
}

void history::expect_records(std::uint64_t records) {
    // Nearly every record is an entry (all but ticks); the bound keeps the size valid.
    reserve_hint(entries_, std::min(entries_.size() + records, history_entries_max));
}

void history::encode_view(state_writer& out) const {
    // The entries in history order; the index of held reservations is rebuilt on decoding.
    out.reserve_words(1 + entry_count_ * entry_words);
    out.u64(entry_count_);
    for_each_entry([&](const history_entry& e, std::uint64_t conference) {
        out.u64(e.command);
        out.u64(e.t_ms);
        out.u64(e.reservation);
        out.u64(conference);
        out.u64(std::uint64_t{e.op} | std::uint64_t{static_cast<std::uint8_t>(e.result)} << 8);
    });
}

std::optional<std::vector<history_entry>> history::stream_as_of(std::span<const std::byte> state,
                                                                const history_stream& stream,
                                                                const stop_point& stop) {
    ORDO_ASSERT(stream.id != 0);
    state_reader in(state);
    std::uint64_t place = 0;
    for (std::size_t i = 0; i < place_words; i++) in.u64(place);
    std::uint64_t count = 0;
    if (!in.count(count, entry_words) || count > history_entries_max) return std::nullopt;
    const bool by_commands = stop.by == stop_point::kind::commands;
    std::vector<history_entry> found;
    std::uint64_t last_command = 0;
    for (std::uint64_t i = 0; i < count; i++) {
        history_entry e;
        std::uint64_t conference = 0;
        if (!read_entry(in, e, conference)) return std::nullopt;
        if (e.command < last_command) return std::nullopt;  // not in history order
        last_command = e.command;
        if ((by_commands ? e.command : e.t_ms) > stop.value) break;  // the rest is later
        if (in_stream(stream, e.reservation, conference)) found.push_back(e);
    }
    if (!in.ok()) return std::nullopt;
    return found;
}

bool history::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!in.count(count, entry_words) || count > history_entries_max) return false;
    entries_.reserve(count);
    // A held reservation's entry is indexed again, which misses cache as applying does:
    // prefetch the slot of the reservation an entry some entries ahead names (its third
    // word), as apply() does.
    constexpr std::size_t prefetch_entries_ahead = 16;
    for (std::uint64_t i = 0; i < count; i++) {
        if (const std::uint64_t ahead = in.peek_u64(prefetch_entries_ahead * entry_words + 2);
            ahead != 0) {
            held_.prefetch(ahead);
        }
        history_entry e;
        std::uint64_t conference = 0;
        if (!read_entry(in, e, conference)) return false;
        if (last_command_ > e.command) return false;
        const bool held = e.op == static_cast<std::uint8_t>(engine::op::reserve) &&
                          e.result == engine::outcome::accepted;
        if (held && (conference == 0 || e.reservation == 0 || conference_of(e.reservation) != 0)) {
            return false;
        }
        record(conference, e);
    }
    return in.ok();
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
