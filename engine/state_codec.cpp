#include "engine/state_codec.h"

#include <algorithm>
#include <cstring>

namespace ordo::engine {
namespace {

struct state_header_v1 {
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
    std::uint64_t reservation_count;
    std::uint32_t reservation_slot_count;  // restore at the same slots needs the same table
    std::uint32_t reserved_zero;
};
static_assert(sizeof(state_header_v1) == 88);
static_assert(std::has_unique_object_representations_v<state_header_v1>);

struct stored_reservation {
    std::uint32_t slot;
    std::uint32_t reserved_zero;
    reservation_state record;
};
static_assert(sizeof(stored_reservation) == 72);

template <class T>
void put(std::vector<std::byte>& out, const T& value) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
}

template <class T>
bool take(std::span<const std::byte>& in, T& value) {
    if (in.size() < sizeof(T)) return false;
    std::memcpy(&value, in.data(), sizeof(T));
    in = in.subspan(sizeof(T));
    return true;
}

}  // namespace

std::vector<std::byte> encode_state(const booking_state& state) {
    std::vector<std::byte> out;
    out.reserve(sizeof(state_header_v1) + state.conference_count() * sizeof(conference_state) +
                state.reservation_count() * sizeof(stored_reservation));
    put(out, state_header_v1{.magic = state_magic, .version = state_format_version,
                             .conference_count = state.conference_count(),
                             .now_ms = state.now_ms, .commands = state.commands,
                             .events = state.events, .held = state.counts.held,
                             .confirmed = state.counts.confirmed,
                             .cancelled = state.counts.cancelled,
                             .expired = state.counts.expired,
                             .reservation_count = state.reservation_count(),
                             .reservation_slot_count = state.reservation_slot_count(),
                             .reserved_zero = 0});
    for (std::uint32_t i = 0; i < state.conference_count(); i++) put(out, state.conference(i));
    std::uint64_t written = 0;
    for (std::uint32_t slot = 0; slot < state.reservation_slot_count(); slot++) {
        const reservation_state& r = state.reservation_at(slot);
        if (r.id == 0) continue;
        put(out, stored_reservation{.slot = slot, .reserved_zero = 0, .record = r});
        written++;
    }
    ORDO_ASSERT(written == state.reservation_count());
    return out;
}

std::expected<void, std::string> decode_state(std::span<const std::byte> bytes,
                                              booking_state& into) {
    ORDO_ASSERT(into.commands == 0);
    ORDO_ASSERT(into.conference_count() == 0);
    state_header_v1 h;
    if (!take(bytes, h) || h.magic != state_magic) return std::unexpected("not a state snapshot");
    if (h.version != state_format_version) {
        return std::unexpected("state format version " + std::to_string(h.version) +
                               " is not supported");
    }
    if (h.conference_count > into.options().conferences_max) {
        return std::unexpected("the snapshot holds " + std::to_string(h.conference_count) +
                               " conferences: raise --conferences-max");
    }
    if (h.reservation_slot_count != into.reservation_slot_count() ||
        h.reservation_count > into.options().reservations_max) {
        return std::unexpected("the snapshot was taken with another --reservations-max: use "
                               "the same value, or recover without snapshots");
    }
    for (std::uint32_t i = 0; i < h.conference_count; i++) {
        conference_state c;
        if (!take(bytes, c)) return std::unexpected("state snapshot truncated");
        const std::uint32_t index = into.insert_conference(c.id);
        into.conference(index) = c;
    }
    std::vector<expiry_entry> held;
    for (std::uint64_t i = 0; i < h.reservation_count; i++) {
        stored_reservation s;
        if (!take(bytes, s)) return std::unexpected("state snapshot truncated");
        if (s.slot >= into.reservation_slot_count() || s.record.id == 0 ||
            into.reservation_at(s.slot).id != 0) {
            return std::unexpected("state snapshot has an invalid reservation slot");
        }
        into.restore_reservation(s.slot, s.record);
        if (s.record.status == reservation_status::held) {
            held.push_back({.expires_at_ms = s.record.expires_at_ms, .reservation = s.record.id,
                            .slot = s.slot, .reserved_zero = 0});
        }
    }
    if (!bytes.empty()) return std::unexpected("state snapshot has trailing bytes");
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
