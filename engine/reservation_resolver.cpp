#include "engine/reservation_resolver.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "engine/apply.h"

namespace ordo::engine {
namespace {

// The reservation a known record names (0: none). Every event about a reservation has its
// id right after now_ms (engine/EVENTS.md).
std::uint64_t reservation_named(const journal::record_header& header,
                                const std::byte* record) noexcept {
    switch (static_cast<event_type>(header.type)) {
        case event_type::reservation_held:
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
        case event_type::reservation_expired:
        case event_type::reservation_expired_at_close: {
            std::uint64_t id;
            std::memcpy(&id, record + sizeof(journal::record_header) + 8, sizeof(id));
            return id;
        }
        default: return 0;
    }
}

// Index lines are prefetched this many reservation records ahead: enough to cover a miss
// to memory at one probe every ~15 ns.
constexpr std::uint32_t prefetch_distance = 32;
constexpr std::uint32_t window_ids = 64;  // a power of two above prefetch_distance
static_assert(std::has_single_bit(window_ids));
static_assert(window_ids > prefetch_distance);

}  // namespace

reservation_resolver::reservation_resolver(booking_state& state)
    : index_(state.reservation_index_view()),
      reservations_max_(state.options().reservations_max),
      existing_records_(state.reservation_records()),
      existing_(state.reservation_count()),
      next_record_(state.reservation_count()),
      new_ids_(std::max<std::size_t>(1, reservations_max_ - existing_)) {
    ORDO_ASSERT(existing_ <= reservations_max_);
}

std::uint32_t reservation_resolver::resolve(std::span<const std::byte> body,
                                            std::uint32_t record_count,
                                            std::span<std::uint32_t> found) noexcept {
    if (stopped_) return 0;
    struct named {
        std::uint64_t id;
        event_type type;
    };
    // The reservation records of the batch, walked prefetch_distance ahead of the probes.
    named window[window_ids];
    std::uint32_t walked_ids = 0, probed_ids = 0;
    const std::byte* cursor = body.data();
    const std::byte* const end = cursor + body.size();
    std::uint32_t walked = 0;
    bool stop = false;  // the walk met a record apply_resolved will stop at
    auto walk_one = [&] {
        ORDO_ASSERT(cursor < end);
        const journal::record_header header = record_header_at(cursor);
        ORDO_ASSERT(header.size_bytes <= end - cursor);
        if (!is_known_record(header)) {
            stop = true;
            return;
        }
        if (const std::uint64_t id = reservation_named(header, cursor)) {
            window[walked_ids % window_ids] =
                named{.id = id, .type = static_cast<event_type>(header.type)};
            walked_ids++;
            index_.prefetch(id);
        }
        __builtin_prefetch(cursor + 4096);  // hardware prefetchers stop at each page
        cursor += header.size_bytes;
        walked++;
    };
    auto ids = [this](std::uint32_t record) { return id_of(record); };
    std::uint32_t found_count = 0;
    auto probe_one = [&]() -> bool {
        const named n = window[probed_ids % window_ids];
        const booking_state::reservation_lookup where =
            index_.find(n.id, ids);
        if (n.type == event_type::reservation_held) {
            // apply_resolved stops here with reservations_full: so does the index.
            if (next_record_ >= reservations_max_) {
                stopped_ = true;
                return false;
            }
            ORDO_ASSERT(where.record == index_none);  // ids are unique for all time
            index_.insert(where, next_record_);
            new_ids_[next_record_ - existing_] = n.id;
            next_record_++;
        } else {
            ORDO_ASSERT(where.record != index_none);
            ORDO_ASSERT(found_count < found.size());
            found[found_count++] = where.record;
        }
        probed_ids++;
        return true;
    };
    while (walked < record_count && !stop) {
        walk_one();
        while (walked_ids - probed_ids > prefetch_distance) {
            if (!probe_one()) return found_count;
        }
    }
    while (probed_ids < walked_ids) {
        if (!probe_one()) return found_count;
    }
    ORDO_ASSERT(stop || cursor == end);
    stopped_ = stop;
    return found_count;
}

}  // namespace ordo::engine
