#include "engine/booking_state.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <thread>

namespace ordo::engine {
namespace {
// Tables stay at most two-thirds full so a miss probes a few slots, and a power of two so the
// home slot is a mask.
std::uint32_t table_slots_for(std::uint32_t entries_max) {
    return static_cast<std::uint32_t>(std::bit_ceil(std::uint64_t{entries_max} * 3 / 2 + 1));
}
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
      expiries_(options.reservations_max, reservations_.data()),
      close_scratch_(options.reservations_max) {
    ORDO_ASSERT(!validate(options).has_value());
    ORDO_ASSERT(reservation_index_.size() == index_.slot_count());
    ORDO_ASSERT(conference_slots_.size() == std::size_t{conference_mask_} + 1);
    ORDO_ASSERT(conferences_.bytes() + conference_slots_.bytes() + reservations_.bytes() +
                    reservation_index_.bytes() + expiries_.bytes() + close_scratch_.bytes() ==
                table_bytes(options));
}

std::uint64_t booking_state::table_bytes(const state_options& options) noexcept {
    return std::uint64_t{options.conferences_max} * sizeof(conference_state) +
           std::uint64_t{table_slots_for(options.conferences_max)} * sizeof(conference_slot) +
           std::uint64_t{options.reservations_max} * sizeof(reservation_state) +
           std::uint64_t{index_slots_for(options.reservations_max)} *
               sizeof(reservation_index_entry) +
           expiry_queue::bytes_for(options.reservations_max) +
           std::uint64_t{options.reservations_max} * sizeof(std::uint32_t);  // close scratch
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
        expiries_.populate(first, last - first);
    }
    if (stop.stop_requested()) return;
    conferences_.populate(0, conferences_.size());
    conference_slots_.populate(0, conference_slots_.size());
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
        });
        conferences_.prefault();
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

std::array<snapshot_table_span, 2> booking_state::snapshot_tables() const noexcept {
    static_assert(static_cast<int>(snapshot_table::conferences) == 0);
    static_assert(static_cast<int>(snapshot_table::reservations) == 1);
    return {snapshot_table_span{.base = reinterpret_cast<const std::byte*>(conferences_.data()),
                                .bytes = sizeof(conference_state) * conference_count_,
                                .element_bytes = sizeof(conference_state)},
            snapshot_table_span{.base = reinterpret_cast<const std::byte*>(reservations_.data()),
                                .bytes = sizeof(reservation_state) * reservation_count_,
                                .element_bytes = sizeof(reservation_state)}};
}

std::array<std::uint64_t, 2> booking_state::snapshot_table_capacity_bytes(
    const state_options& options) noexcept {
    return {std::uint64_t{options.conferences_max} * sizeof(conference_state),
            std::uint64_t{options.reservations_max} * sizeof(reservation_state)};
}

}  // namespace ordo::engine
