#include "engine/state_codec.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

namespace ordo::engine {
namespace {

struct state_header_v3 {
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
    std::uint64_t reservation_count;  // arena records (live and free) that follow
    std::uint32_t free_head;          // free record + 1, 0: none
    std::uint32_t free_count;
    std::uint64_t finished_page_count;  // finished-id pages (and as many keys) that follow
    std::uint64_t finished_scattered_count;  // then scattered finished-id entries
};
static_assert(sizeof(state_header_v3) == 104);
static_assert(std::has_unique_object_representations_v<state_header_v3>);

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
    if (r.id == 0) {
        // A free record: all zero but its free-list link.
        reservation_state zero{};
        zero.customer = r.customer;
        if (std::memcmp(&zero, &r, sizeof(r)) != 0 ||
            r.customer > into.options().reservations_max) {
            return "state snapshot has an invalid free record";
        }
        return std::nullopt;
    }
    // Only live reservations keep a record: held, or confirmed in an open conference.
    const bool status_ok = r.status == reservation_status::held ||
                           r.status == reservation_status::confirmed;
    const bool items_ok = r.item_count >= 1 && r.item_count <= reservation_items_max;
    const bool fields_ok = r.customer != 0 && r.reserved_zero == 0;
    if (!status_ok || !items_ok || !fields_ok || r.conference_index >= into.conference_count()) {
        return "state snapshot has an invalid reservation " + std::to_string(r.id);
    }
    const conference_state& c = into.conference(r.conference_index);
    if (c.closed != 0) return "state snapshot has a live reservation of a closed conference";
    if (into.find_reservation(r.id).record != index_none) {
        return "state snapshot has reservation " + std::to_string(r.id) + " twice";
    }
    if (into.find_finished(r.id) != finished_status::none) {
        return "state snapshot has reservation " + std::to_string(r.id) + " live and finished";
    }
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

// The header's counters must not overflow, nor its lengths exceed what the tables hold,
// before any is trusted (they size what is read).
std::optional<std::string> check_counts(const state_header_v3& h) {
    const std::uint64_t finished = h.cancelled + h.expired;
    const std::uint64_t live = h.held + h.confirmed;
    const bool overflow = finished < h.cancelled || live < h.held || live + finished < live;
    if (overflow || h.free_count > h.reservation_count || h.free_head > h.reservation_count ||
        (h.free_count == 0) != (h.free_head == 0) || h.held > h.reservation_count) {
        return "state snapshot's reservation counts do not add up";
    }
    return std::nullopt;
}

// The free list must reach exactly the free records, each once, and end.
std::optional<std::string> check_free_list(const booking_state& state) {
    std::vector<bool> seen(state.reservation_count());
    std::uint32_t at = state.free_head();
    for (std::uint32_t i = 0; i < state.free_count(); i++) {
        if (at == 0 || at > state.reservation_count() || seen[at - 1]) {
            return "state snapshot has a damaged free list";
        }
        const reservation_state& r = state.reservation(at - 1);
        if (r.id != 0) return "state snapshot has a damaged free list";
        seen[at - 1] = true;
        at = static_cast<std::uint32_t>(r.customer);
    }
    if (at != 0) return "state snapshot has a damaged free list";
    return std::nullopt;
}

}  // namespace

state_parts describe_state(const booking_state& state) noexcept {
    static_assert(sizeof(state_header_v3) == state_header_bytes);
    state_parts parts;
    const state_header_v3 header{.magic = state_magic, .version = state_format_version,
                                 .conference_count = state.conference_count(),
                                 .now_ms = state.now_ms, .commands = state.commands,
                                 .events = state.events, .held = state.counts.held,
                                 .confirmed = state.counts.confirmed,
                                 .cancelled = state.counts.cancelled,
                                 .expired = state.counts.expired,
                                 .reservation_count = state.reservation_count(),
                                 .free_head = state.free_head(),
                                 .free_count = state.free_count(),
                                 .finished_page_count = state.finished().page_count(),
                                 .finished_scattered_count = state.finished().scattered_count()};
    std::memcpy(parts.header.data(), &header, sizeof(header));
    parts.tables = state.snapshot_tables();
    // The layout decode_state reads: the conference records, the reservation arena, the
    // finished ids' pages, their keys, and the scattered log.
    ORDO_ASSERT(parts.tables[0].bytes == state.conference_count() * sizeof(conference_state));
    ORDO_ASSERT(parts.tables[1].bytes == state.reservation_count() * sizeof(reservation_state));
    ORDO_ASSERT(parts.tables[2].bytes == header.finished_page_count * sizeof(finished_page));
    ORDO_ASSERT(parts.tables[4].bytes ==
                header.finished_scattered_count * sizeof(finished_scattered_entry));
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

namespace {

// The next `bytes` of `in`, or nullopt when it is shorter.
std::optional<std::span<const std::byte>> take_bytes(std::span<const std::byte>& in,
                                                     std::uint64_t bytes) {
    if (in.size() < bytes) return std::nullopt;
    const std::span<const std::byte> part = in.first(bytes);
    in = in.subspan(bytes);
    return part;
}

std::expected<void, std::string> decode_reservations(std::span<const std::byte> records,
                                                     const state_header_v3& h,
                                                     booking_state& into) {
    std::vector<expiry_entry> held;
    held.reserve(h.held);
    std::array<std::uint64_t, 5> by_status{};  // by reservation_status (1..4)
    std::uint64_t free_records = 0;
    for (std::uint64_t i = 0; i < h.reservation_count; i++) {
        reservation_state r;
        std::memcpy(&r, records.data() + i * sizeof(r), sizeof(r));
        if (auto bad = check_reservation(r, into)) return std::unexpected(*bad);
        into.restore_reservation(r);
        if (r.id == 0) {
            free_records++;
            continue;
        }
        if (r.status == reservation_status::held) {
            held.push_back({.expires_at_ms = r.expires_at_ms, .reservation = r.id,
                            .record = static_cast<std::uint32_t>(i), .reserved_zero = 0});
        }
        by_status[static_cast<std::size_t>(r.status)]++;
    }
    if (free_records != h.free_count || by_status[1] != h.held || by_status[2] > h.confirmed) {
        return std::unexpected("state snapshot's reservation counts disagree with its records");
    }
    into.restore_free_list(h.free_head, h.free_count);
    if (auto bad = check_free_list(into)) return std::unexpected(*bad);
    std::sort(held.begin(), held.end(),
              [](const expiry_entry& a, const expiry_entry& b) { return a.before(b); });
    for (const expiry_entry& e : held) into.expiries().push(e);
    return {};
}

}  // namespace

std::expected<void, std::string> decode_state(std::span<const std::byte> bytes,
                                              booking_state& into) {
    ORDO_ASSERT(into.commands == 0);
    ORDO_ASSERT(into.conference_count() == 0);
    state_header_v3 h;
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
                               " reservation records: raise --reservations-max");
    }
    if (auto bad = check_counts(h)) return std::unexpected(*bad);
    for (std::uint32_t i = 0; i < h.conference_count; i++) {
        conference_state c;
        if (!take(bytes, c)) return std::unexpected("state snapshot truncated");
        if (auto bad = check_conference(c, into)) return std::unexpected(*bad);
        const std::uint32_t index = into.insert_conference(c.id);
        into.conference(index) = c;
    }
    if (h.finished_page_count > finished_pages_max ||
        h.finished_scattered_count > (std::uint64_t{1} << 40)) {
        return std::unexpected("state snapshot's finished-id counts are out of range");
    }
    const auto records = take_bytes(bytes, h.reservation_count * sizeof(reservation_state));
    const auto pages = take_bytes(bytes, h.finished_page_count * sizeof(finished_page));
    const auto keys = take_bytes(bytes, h.finished_page_count * sizeof(std::uint64_t));
    const auto log =
        take_bytes(bytes, h.finished_scattered_count * sizeof(finished_scattered_entry));
    if (!records || !pages || !keys || !log) return std::unexpected("state snapshot truncated");
    if (!bytes.empty()) return std::unexpected("state snapshot has trailing bytes");
    // The finished ids first: a live record must not be among them.
    if (auto restored = into.finished_for_restore().restore(*pages, *keys, *log); !restored) {
        return restored;
    }
    if (auto decoded = decode_reservations(*records, h, into); !decoded) return decoded;
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
