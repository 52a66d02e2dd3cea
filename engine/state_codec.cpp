#include "engine/state_codec.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <optional>
#include <thread>

namespace ordo::engine {
namespace {

struct state_header_v2 {
    std::uint64_t magic;
    std::uint32_t version;
    std::uint32_t conference_count;
    std::uint64_t now_ms;
    std::uint64_t commands;
    std::uint64_t events;
    std::uint64_t held;
    std::uint64_t confirmed;
    std::uint64_t cancelled;
    std::uint64_t expired;
    std::uint64_t reservation_count;  // followed by that many reservation_state records
    std::uint64_t reserved_zero;
};
static_assert(sizeof(state_header_v2) == 88);
static_assert(std::has_unique_object_representations_v<state_header_v2>);

template <class T>
bool take(std::span<const std::byte>& in, T& value) {
    if (in.size() < sizeof(T)) return false;
    std::memcpy(&value, in.data(), sizeof(T));
    in = in.subspan(sizeof(T));
    return true;
}

// A restored record must be one apply() could have made: a decoded snapshot is trusted
// only as far as it is checked (its checksum says the bytes are the ones written, not that
// this ordo wrote them).
std::optional<std::string> check_reservation(const reservation_state& r,
                                             const booking_state& into) {
    if (r.id == 0) return "state snapshot has a reservation with id 0";
    const bool status_ok = r.status >= reservation_status::held &&
                           r.status <= reservation_status::expired;
    const bool items_ok = r.item_count >= 1 && r.item_count <= reservation_items_max;
    const bool fields_ok = r.customer != 0 && r.reserved_zero == 0;
    if (!status_ok || !items_ok || !fields_ok || r.conference_index >= into.conference_count()) {
        return "state snapshot has an invalid reservation " + std::to_string(r.id);
    }
    const conference_state& c = into.conference(r.conference_index);
    for (std::uint32_t i = 0; i < reservation_items_max; i++) {
        const reserved_item& item = r.items[i];
        const bool ok = i < r.item_count
                            ? item.type_index < c.type_count && item.quantity >= 1 &&
                                  item.quantity <= reserve_quantity_max && item.reserved_zero == 0
                            : item.type_index == 0 && item.quantity == 0 && item.reserved_zero == 0;
        if (!ok) return "state snapshot has an invalid reservation " + std::to_string(r.id);
    }
    return std::nullopt;
}

// A restored conference must be one apply() could have made, for the same reason: an id
// used once, a ttl in range, 1..64 distinct seat types (create_conference makes at least
// one and none is ever removed), counters that add up (apply and the state printer assert
// `held + confirmed <= capacity`), unused type slots all zero, `closed` 0 or 1.
std::optional<std::string> check_conference(const conference_state& c,
                                            const booking_state& into) {
    const std::string bad = "state snapshot has an invalid conference " + std::to_string(c.id);
    if (c.id == 0) return "state snapshot has a conference with id 0";
    if (into.find_conference(c.id) != index_none) {
        return "state snapshot has conference " + std::to_string(c.id) + " twice";
    }
    if (c.hold_ttl_ms < hold_ttl_ms_min || c.hold_ttl_ms > hold_ttl_ms_max) return bad;
    if (c.type_count < 1 || c.type_count > seat_types_per_conference_max) return bad;
    if (c.closed > 1 || c.reserved_zero != 0) return bad;
    for (std::uint32_t i = 0; i < seat_types_per_conference_max; i++) {
        const seat_counts& s = c.seats[i];
        if (i >= c.type_count) {
            if (c.type_ids[i] != 0 || s.capacity != 0 || s.held != 0 || s.confirmed != 0) {
                return bad;
            }
            continue;
        }
        if (c.type_ids[i] == 0) return bad;
        for (std::uint32_t j = 0; j < i; j++) {
            if (c.type_ids[j] == c.type_ids[i]) return bad;  // find_type would find j
        }
        if (s.capacity > capacity_max || std::uint64_t{s.held} + s.confirmed > s.capacity) {
            return bad;
        }
    }
    return std::nullopt;
}

// The header's counters must describe the records that follow, before any is trusted
// (held sizes an allocation).
std::optional<std::string> check_counts(const state_header_v2& h) {
    const std::uint64_t finished = h.cancelled + h.expired;
    const std::uint64_t live = h.held + h.confirmed;
    const bool overflow = finished < h.cancelled || live < h.held || live + finished < live;
    if (overflow || live + finished != h.reservation_count || h.reserved_zero != 0) {
        return "state snapshot's reservation counts do not add up";
    }
    return std::nullopt;
}

}  // namespace

state_parts describe_state(const booking_state& state) noexcept {
    static_assert(sizeof(state_header_v2) == state_header_bytes);
    state_parts parts;
    const state_header_v2 header{.magic = state_magic, .version = state_format_version,
                                 .conference_count = state.conference_count(),
                                 .now_ms = state.now_ms, .commands = state.commands,
                                 .events = state.events, .held = state.counts.held,
                                 .confirmed = state.counts.confirmed,
                                 .cancelled = state.counts.cancelled,
                                 .expired = state.counts.expired,
                                 .reservation_count = state.reservation_count(),
                                 .reserved_zero = 0};
    std::memcpy(parts.header.data(), &header, sizeof(header));
    parts.tables = state.snapshot_tables();
    // The layout decode_state reads: the conference records, then the reservation arena.
    ORDO_ASSERT(parts.tables[0].bytes == state.conference_count() * sizeof(conference_state));
    ORDO_ASSERT(parts.tables[1].bytes == state.reservation_count() * sizeof(reservation_state));
    return parts;
}

std::vector<std::byte> encode_state(const booking_state& state) {
    const state_parts parts = describe_state(state);
    std::vector<std::byte> out(parts.bytes());
    std::memcpy(out.data(), parts.header.data(), parts.header.size());
    std::size_t at = parts.header.size();
    for (const snapshot_table_span& t : parts.tables) {
        if (t.bytes > 0) std::memcpy(out.data() + at, t.base, t.bytes);
        at += t.bytes;
    }
    ORDO_ASSERT(at == out.size());
    return out;
}

std::expected<void, std::string> decode_state(std::span<const std::byte> bytes,
                                              booking_state& into) {
    ORDO_ASSERT(into.commands == 0);
    ORDO_ASSERT(into.conference_count() == 0);
    state_header_v2 h;
    if (!take(bytes, h) || h.magic != state_magic) return std::unexpected("not a state snapshot");
    if (h.version != state_format_version) {
        return std::unexpected("state format version " + std::to_string(h.version) +
                               " is not supported");
    }
    if (h.conference_count > into.options().conferences_max) {
        return std::unexpected("the snapshot holds " + std::to_string(h.conference_count) +
                               " conferences: raise --conferences-max");
    }
    if (h.reservation_count > into.options().reservations_max) {
        return std::unexpected("the snapshot holds " + std::to_string(h.reservation_count) +
                               " reservations: raise --reservations-max");
    }
    if (auto bad = check_counts(h)) return std::unexpected(*bad);
    for (std::uint32_t i = 0; i < h.conference_count; i++) {
        conference_state c;
        if (!take(bytes, c)) return std::unexpected("state snapshot truncated");
        if (auto bad = check_conference(c, into)) return std::unexpected(*bad);
        const std::uint32_t index = into.insert_conference(c.id);
        into.conference(index) = c;
    }
    std::vector<expiry_entry> held;
    if (bytes.size() / sizeof(reservation_state) < h.reservation_count) {
        return std::unexpected("state snapshot truncated");
    }
    held.reserve(h.held);
    const std::uint64_t count = h.reservation_count;
    auto id_at = [&](std::uint64_t i) {
        std::uint64_t id;
        std::memcpy(&id, bytes.data() + i * sizeof(reservation_state), sizeof(id));
        return id;
    };
    // Two halves on two threads, as in a replay (engine/replay.h): the index is rebuilt
    // from the ids in the snapshot's bytes (probed at random: its lines are asked for
    // ahead), while this thread checks and copies the records. Inserting in the arena's
    // order rebuilds the index exactly as the live run built it. Each half stops at its
    // first bad record; the earlier one is reported.
    // The indexer's: where it found an id twice. This thread stops there too (a hint while
    // the indexer runs, the answer after the join).
    std::atomic<std::uint64_t> duplicate_at{count};
    std::array<std::uint64_t, 5> by_status{};  // by reservation_status (1..4)
    {
        const reservation_index index = into.reservation_index_view();
        std::jthread indexer([&, index] {
            auto id_of = [&](std::uint32_t record) { return id_at(record); };
            constexpr std::uint64_t prefetch_ahead = 16;
            for (std::uint64_t i = 0; i < std::min(prefetch_ahead, count); i++) {
                if (const std::uint64_t id = id_at(i)) index.prefetch(id);
            }
            for (std::uint64_t i = 0; i < count; i++) {
                if (i + prefetch_ahead < count) {
                    if (const std::uint64_t id = id_at(i + prefetch_ahead)) index.prefetch(id);
                }
                const std::uint64_t id = id_at(i);
                if (id == 0) break;  // check_reservation refuses it
                const reservation_lookup where = index.find(id, id_of);
                if (where.record != index_none) {
                    duplicate_at.store(i, std::memory_order_relaxed);
                    break;
                }
                index.insert(where, static_cast<std::uint32_t>(i));
            }
        });
        for (std::uint64_t i = 0; i < count && i <= duplicate_at.load(std::memory_order_relaxed);
             i++) {
            reservation_state r;
            std::memcpy(&r, bytes.data() + i * sizeof(reservation_state), sizeof(r));
            if (auto bad = check_reservation(r, into)) {
                indexer.join();
                if (duplicate_at.load(std::memory_order_relaxed) < i) break;  // reported below
                return std::unexpected(*bad);
            }
            const std::uint32_t record = into.append_reservation(r.id);
            ORDO_ASSERT(record == i);
            into.reservation(record) = r;
            if (r.status == reservation_status::held) {
                held.push_back({.expires_at_ms = r.expires_at_ms, .reservation = r.id,
                                .record = record, .reserved_zero = 0});
            }
            by_status[static_cast<std::size_t>(r.status)]++;
        }
    }  // joined
    if (const std::uint64_t twice = duplicate_at.load(std::memory_order_relaxed); twice < count) {
        return std::unexpected("state snapshot has reservation " + std::to_string(id_at(twice)) +
                               " twice");
    }
    bytes = bytes.subspan(h.reservation_count * sizeof(reservation_state));
    if (!bytes.empty()) return std::unexpected("state snapshot has trailing bytes");
    if (by_status[1] != h.held || by_status[2] != h.confirmed || by_status[3] != h.cancelled ||
        by_status[4] != h.expired) {
        return std::unexpected("state snapshot's reservation counts disagree with its records");
    }
    std::sort(held.begin(), held.end(),
              [](const expiry_entry& a, const expiry_entry& b) { return a.before(b); });
    for (const expiry_entry& e : held) into.expiries().push(e);
    into.now_ms = h.now_ms;
    into.commands = h.commands;
    into.events = h.events;
    into.counts = reservation_counts{.held = h.held, .confirmed = h.confirmed,
                                     .cancelled = h.cancelled, .expired = h.expired};
    return {};
}

journal::checksum128 state_digest(const booking_state& state) {
    return journal::checksum(std::span<const std::byte>(encode_state(state)));
}

}  // namespace ordo::engine
