#include "engine/booking_state.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

namespace ordo::engine {
namespace {
// Tables stay at most two-thirds full so a miss probes a few slots, and a power of two so the
// home slot is a mask.
std::uint32_t table_slots_for(std::uint32_t entries_max) {
    return static_cast<std::uint32_t>(std::bit_ceil(std::uint64_t{entries_max} * 3 / 2 + 1));
}
// Room for scattered finished ids (engine/finished_ids.h): at least twice the live table,
// since every live reservation keeps one in reserve.
std::uint32_t scattered_max_for(std::uint32_t reservations_max) {
    return std::max<std::uint32_t>(1u << 21, 2 * reservations_max);
}
static_assert(2ull * reservations_max_limit < 0xffff'ffffu);
// The reservation index is at least two cache lines of entries (line_grouped_home_slot).
std::uint32_t index_slots_for(std::uint32_t reservations_max) {
    return std::max(table_slots_for(reservations_max), index_slots_min);
}
}  // namespace

std::optional<std::string> validate(const state_options& options) {
    if (options.conferences_max < 1 || options.conferences_max > conferences_max_limit) {
        return "--conferences-max must be 1.." + std::to_string(conferences_max_limit);
    }
    if (options.reservations_max < 1 || options.reservations_max > reservations_max_limit) {
        return "--reservations-max must be 1.." + std::to_string(reservations_max_limit);
    }
    return std::nullopt;
}

booking_state::booking_state(const state_options& options)
    : options_(options),
      conferences_(options.conferences_max),
      conference_slots_(table_slots_for(options.conferences_max)),
      conference_mask_(table_slots_for(options.conferences_max) - 1),
      conference_shift_(hash_shift_for(table_slots_for(options.conferences_max))),
      reservations_(options.reservations_max),
      reservation_index_(index_slots_for(options.reservations_max)),
      index_(reservation_index_.data(), index_slots_for(options.reservations_max)),
      conference_live_head_(options.conferences_max),
      live_links_(options.reservations_max),
      expiries_(options.reservations_max, reservations_.data()),
      finished_(scattered_max_for(options.reservations_max)),
      close_scratch_(options.reservations_max) {
    ORDO_ASSERT(!validate(options).has_value());
    ORDO_ASSERT(reservation_index_.size() == index_.slot_count());
    ORDO_ASSERT(conference_slots_.size() == std::size_t{conference_mask_} + 1);
    ORDO_ASSERT(conferences_.bytes() + conference_slots_.bytes() + reservations_.bytes() +
                    reservation_index_.bytes() + expiries_.bytes() + close_scratch_.bytes() +
                    conference_live_head_.bytes() + live_links_.bytes() +
                    finished_ids::fixed_bytes() ==
                table_bytes(options));
}

std::uint64_t booking_state::table_bytes(const state_options& options) noexcept {
    return std::uint64_t{options.conferences_max} * sizeof(conference_state) +
           std::uint64_t{table_slots_for(options.conferences_max)} * sizeof(conference_slot) +
           std::uint64_t{options.reservations_max} * sizeof(reservation_state) +
           std::uint64_t{index_slots_for(options.reservations_max)} *
               sizeof(reservation_index_entry) +
           expiry_queue::bytes_for(options.reservations_max) +
           std::uint64_t{options.reservations_max} * sizeof(std::uint32_t) +  // close scratch
           std::uint64_t{options.conferences_max} * sizeof(std::uint32_t) +   // live heads
           std::uint64_t{options.reservations_max} * sizeof(live_link) +
           finished_ids::fixed_bytes();
}

void booking_state::populate_concurrently(std::stop_token stop) const noexcept {
    if (!reservation_index_.populate(0, reservation_index_.size())) return;
    // Chunks of 1/64: small enough to stay ahead of a replay, large enough that the
    // madvise calls cost nothing.
    constexpr std::size_t chunks = 64;
    const std::size_t records = reservations_.size();
    for (std::size_t c = 0; c < chunks && !stop.stop_requested(); c++) {
        const std::size_t first = records * c / chunks;
        const std::size_t last = records * (c + 1) / chunks;
        reservations_.populate(first, last - first);
        live_links_.populate(first, last - first);
        expiries_.populate(first, last - first);
    }
    if (stop.stop_requested()) return;
    conferences_.populate(0, conferences_.size());
    conference_slots_.populate(0, conference_slots_.size());
    conference_live_head_.populate(0, conference_live_head_.size());
    expiries_.populate_heap();
}

void booking_state::prefault() noexcept {
    // On two threads: first touch is bound by the host's page faults (1-3 GB/s a core
    // here), and the default tables of `ordo simulate` are ~0.5 GB.
    const std::size_t half = reservations_.size() / 2;
    bool first_half = false, second_half = false;
    {
        std::jthread helper([this, half, &second_half] {
            second_half = reservations_.populate(half, reservations_.size() - half);
            expiries_.prefault();
            live_links_.prefault();
        });
        conferences_.prefault();
        conference_live_head_.prefault();
        finished_.prefault();
        conference_slots_.prefault();
        reservation_index_.prefault();
        first_half = reservations_.populate(0, half);
    }  // joined: second_half is settled
    // Kernels before 5.14 cannot populate: touch every page instead.
    if (!first_half || !second_half) reservations_.prefault();
}

std::uint32_t booking_state::insert_conference(std::uint64_t id) noexcept {
    ORDO_ASSERT(id != 0);
    ORDO_ASSERT(!conferences_full());
    std::uint32_t slot = home_slot(id, conference_shift_);
    while (conference_slots_[slot].id != 0) {
        ORDO_ASSERT(conference_slots_[slot].id != id);
        slot = (slot + 1) & conference_mask_;
    }
    const std::uint32_t index = conference_count_++;
    guard_write(snapshot_table::conferences, index);
    conference_slots_[slot] = conference_slot{.id = id, .index = index, .reserved_zero = 0};
    conferences_[index] = conference_state{};
    conferences_[index].id = id;
    return index;
}

std::uint32_t booking_state::add_reservation(const reservation_lookup& where, std::uint64_t id,
                                             std::uint32_t conference_index) noexcept {
    ORDO_ASSERT(id != 0);
    ORDO_ASSERT(!reservations_full());
    ORDO_ASSERT(conference_index < conference_count_);
    std::uint32_t record;
    if (free_head_ != 0) {
        record = free_head_ - 1;
        reservation_state& r = reservation(record);
        ORDO_ASSERT(r.id == 0);
        ORDO_ASSERT(free_count_ > 0);
        free_head_ = static_cast<std::uint32_t>(r.customer);
        free_count_--;
        r.customer = 0;  // now all zero, as a fresh record
    } else {
        record = reservation_count_++;
        guard_write(snapshot_table::reservations, record);
        // A fresh arena record is still all zero (never written since the mapping was
        // made). Not asserted: reading the fresh line first would turn the store below,
        // which can retire before its miss is served, into a load the sequencer waits for.
    }
    index_.insert(where, record);
    reservations_.data()[record].id = id;
    link_live(record, conference_index);
    return record;
}

void booking_state::link_live(std::uint32_t record, std::uint32_t conference_index) noexcept {
    std::uint32_t& head = conference_live_head_[conference_index];
    live_links_[record] = live_link{.prev_plus_one = 0, .next_plus_one = head};
    if (head != 0) live_links_[head - 1].prev_plus_one = record + 1;
    head = record + 1;
}

void booking_state::unlink_live(std::uint32_t record, std::uint32_t conference_index) noexcept {
    const live_link link = live_links_[record];
    if (link.prev_plus_one != 0) {
        live_links_[link.prev_plus_one - 1].next_plus_one = link.next_plus_one;
    } else {
        ORDO_ASSERT(conference_live_head_[conference_index] == record + 1);
        conference_live_head_[conference_index] = link.next_plus_one;
    }
    if (link.next_plus_one != 0) {
        live_links_[link.next_plus_one - 1].prev_plus_one = link.prev_plus_one;
    }
    live_links_[record] = live_link{.prev_plus_one = 0, .next_plus_one = 0};
}

void booking_state::free_record(std::uint32_t record) noexcept {
    reservation_state& r = reservation(record);
    r = reservation_state{};
    r.customer = free_head_;
    free_head_ = record + 1;
    free_count_++;
    ORDO_ASSERT(free_count_ <= reservation_count_);
}

void booking_state::finish_reservation(std::uint32_t record, finished_status status) noexcept {
    ORDO_ASSERT(status != finished_status::none);
    const reservation_state& r = std::as_const(*this).reservation(record);
    const std::uint64_t id = r.id;
    ORDO_ASSERT(id != 0);
    unlink_live(record, r.conference_index);
    const reservation_lookup found = find_reservation(id);
    ORDO_ASSERT(found.record == record);
    index_.erase(found.index_slot, [this](std::uint32_t other) {
        ORDO_ASSERT(other < reservation_count_);
        return reservations_.data()[other].id;
    });
    finished_.insert(id, status);
    free_record(record);
}

std::uint32_t booking_state::live_of_conference(std::uint32_t conference_index,
                                                std::span<std::uint32_t> out) const noexcept {
    ORDO_ASSERT(conference_index < conference_count_);
    std::uint32_t found = 0;
    for (std::uint32_t at = conference_live_head_[conference_index]; at != 0;
         at = live_links_[at - 1].next_plus_one) {
        ORDO_ASSERT(found < out.size());
        ORDO_ASSERT(reservation(at - 1).conference_index == conference_index);
        out[found++] = at - 1;
    }
    return found;
}

void booking_state::finish_confirmed_of_closed(std::uint32_t conference_index) noexcept {
    const std::span<std::uint32_t> scratch = close_scratch();
    const std::uint32_t count = live_of_conference(conference_index, scratch);
    std::sort(scratch.begin(), scratch.begin() + count, [this](std::uint32_t a, std::uint32_t b) {
        return reservations_.data()[a].id < reservations_.data()[b].id;
    });
    for (std::uint32_t i = 0; i < count; i++) {
        ORDO_ASSERT(reservations_.data()[scratch[i]].status == reservation_status::confirmed);
        finish_reservation(scratch[i], finished_status::closed);
    }
    ORDO_ASSERT(conference_live_head_[conference_index] == 0);
}

void booking_state::restore_reservation(const reservation_state& r) noexcept {
    ORDO_ASSERT(reservation_count_ < options_.reservations_max);
    const std::uint32_t record = reservation_count_++;
    reservations_[record] = r;
    if (r.id == 0) return;  // free: its link is restored as it was
    const reservation_lookup where = find_reservation(r.id);
    ORDO_ASSERT(where.record == index_none);
    index_.insert(where, record);
    link_live(record, r.conference_index);
}

void booking_state::restore_free_list(std::uint32_t head, std::uint32_t count) noexcept {
    ORDO_ASSERT(free_head_ == 0);
    ORDO_ASSERT(count <= reservation_count_);
    free_head_ = head;
    free_count_ = count;
}

std::array<snapshot_table_span, 5> booking_state::snapshot_tables() const noexcept {
    static_assert(static_cast<int>(snapshot_table::conferences) == 0);
    static_assert(static_cast<int>(snapshot_table::reservations) == 1);
    static_assert(static_cast<int>(snapshot_table::finished_pages) == 2);
    static_assert(static_cast<int>(snapshot_table::finished_scattered) == 4);
    const std::array<snapshot_table_span, 3> finished = finished_.snapshot_tables();
    return {snapshot_table_span{.base = reinterpret_cast<const std::byte*>(conferences_.data()),
                                .bytes = sizeof(conference_state) * conference_count_,
                                .element_bytes = sizeof(conference_state)},
            snapshot_table_span{.base = reinterpret_cast<const std::byte*>(reservations_.data()),
                                .bytes = sizeof(reservation_state) * reservation_count_,
                                .element_bytes = sizeof(reservation_state)},
            finished[0], finished[1], finished[2]};
}

std::array<std::uint64_t, 5> booking_state::snapshot_table_capacity_bytes(
    const state_options& options) noexcept {
    const std::array<std::uint64_t, 3> finished =
        finished_ids::snapshot_table_capacity_bytes(scattered_max_for(options.reservations_max));
    return {std::uint64_t{options.conferences_max} * sizeof(conference_state),
            std::uint64_t{options.reservations_max} * sizeof(reservation_state), finished[0],
            finished[1], finished[2]};
}

}  // namespace ordo::engine
