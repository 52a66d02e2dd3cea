#include "projections/history.h"

#include <algorithm>

#include "base/assert.h"

namespace ordo::projections {
namespace {

const std::vector<history_entry> no_entries;

history_entry accepted_entry(const event_context& at, engine::op kind, std::uint64_t reservation) {
    return history_entry{.command = at.command,
                         .t_ms = at.now_ms,
                         .reservation = reservation,
                         .op = static_cast<std::uint8_t>(kind),
                         .result = engine::outcome::accepted};
}

void encode_entries(state_writer& out,
                    const std::unordered_map<std::uint64_t, std::vector<history_entry>>& map) {
    const std::vector<std::uint64_t> keys = sorted_keys(map);
    out.u64(keys.size());
    for (const std::uint64_t key : keys) {
        const std::vector<history_entry>& entries = map.at(key);
        out.u64(key);
        out.u64(entries.size());
        for (const history_entry& e : entries) {
            out.u64(e.command);
            out.u64(e.t_ms);
            out.u64(e.reservation);
            out.u64(std::uint64_t{e.op} | std::uint64_t{static_cast<std::uint8_t>(e.result)} << 8);
        }
    }
}

bool decode_entries(state_reader& in,
                    std::unordered_map<std::uint64_t, std::vector<history_entry>>& map) {
    std::uint64_t keys = 0;
    if (!in.count(keys, 2)) return false;
    for (std::uint64_t k = 0; k < keys; k++) {
        std::uint64_t key = 0;
        std::uint64_t count = 0;
        in.u64(key);
        if (!in.count(count, 4)) return false;
        std::vector<history_entry>& entries = map[key];
        for (std::uint64_t i = 0; i < count; i++) {
            history_entry e;
            std::uint64_t kinds = 0;
            in.u64(e.command);
            in.u64(e.t_ms);
            in.u64(e.reservation);
            in.u64(kinds);
            const std::uint64_t op = kinds & 0xff;
            const std::uint64_t result = kinds >> 8;
            if (op > engine::op_max || result >= engine::outcome_count) return false;
            e.op = static_cast<std::uint8_t>(op);
            e.result = static_cast<engine::outcome>(result);
            entries.push_back(e);
        }
    }
    return in.ok();
}

}  // namespace

const std::vector<history_entry>& history::of_reservation(std::uint64_t reservation) const {
    auto found = by_reservation_.find(reservation);
    return found == by_reservation_.end() ? no_entries : found->second;
}

const std::vector<history_entry>& history::of_conference(std::uint64_t conference) const {
    auto found = by_conference_.find(conference);
    return found == by_conference_.end() ? no_entries : found->second;
}

std::uint64_t history::conference_of(std::uint64_t reservation) const {
    auto found = reservation_conference_.find(reservation);
    return found == reservation_conference_.end() ? 0 : found->second;
}

void history::record(std::uint64_t conference, const history_entry& entry) {
    if (entry.reservation != 0) by_reservation_[entry.reservation].push_back(entry);
    if (conference != 0) by_conference_[conference].push_back(entry);
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
    const bool inserted = reservation_conference_.emplace(e.reservation, e.conference).second;
    ORDO_ASSERT(inserted);
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

void history::encode_view(state_writer& out) const {
    write_sorted_pairs(out, reservation_conference_);
    encode_entries(out, by_reservation_);
    encode_entries(out, by_conference_);
}

bool history::decode_view(state_reader& in) {
    std::uint64_t count = 0;
    if (!in.count(count, 2)) return false;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t reservation = 0;
        std::uint64_t conference = 0;
        in.u64(reservation);
        in.u64(conference);
        reservation_conference_[reservation] = conference;
    }
    return decode_entries(in, by_reservation_) && decode_entries(in, by_conference_);
}

void history::clear_view() {
    reservation_conference_.clear();
    by_reservation_.clear();
    by_conference_.clear();
}

}  // namespace ordo::projections
