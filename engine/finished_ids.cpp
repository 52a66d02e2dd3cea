#include "engine/finished_ids.h"

#include <bit>
#include <cstring>

#include "engine/hash.h"

namespace ordo::engine {
namespace {
// Open-addressing tables at most two-thirds full, a power of two of slots.
std::uint32_t slots_for(std::uint64_t entries_max) {
    return static_cast<std::uint32_t>(std::bit_ceil(entries_max * 3 / 2 + 1));
}
}  // namespace

finished_ids::finished_ids(std::uint32_t scattered_max)
    : pages_(finished_pages_max),
      page_keys_(finished_pages_max),
      directory_(slots_for(finished_pages_max)),
      directory_mask_(slots_for(finished_pages_max) - 1),
      directory_shift_(hash_shift_for(slots_for(finished_pages_max))),
      log_(scattered_max),
      index_(slots_for(scattered_max)),
      index_mask_(slots_for(scattered_max) - 1),
      index_shift_(hash_shift_for(slots_for(scattered_max))),
      scattered_max_(scattered_max) {
    ORDO_ASSERT(scattered_max >= 1);
    ORDO_ASSERT(index_.size() >= 2);
}

std::uint64_t finished_ids::fixed_bytes() noexcept {
    return std::uint64_t{slots_for(finished_pages_max)} * sizeof(slot_entry);
}

std::uint64_t finished_ids::grown_bytes() const noexcept {
    return std::uint64_t{page_count_} * (sizeof(finished_page) + sizeof(std::uint64_t)) +
           log_count_ * sizeof(finished_scattered_entry) + scattered_live_ * 12;
}

std::uint32_t finished_ids::find_page(std::uint64_t key) const noexcept {
    const std::uint32_t fingerprint = fingerprint_of(key);
    std::uint32_t slot = home_slot(key, directory_shift_);
    for (;;) {
        const slot_entry e = directory_.data()[slot];  // slot & mask is in range
        if (e.value_plus_one == 0) return finished_page_none;
        if (e.fingerprint == fingerprint && page_keys_[e.value_plus_one - 1] == key) {
            return e.value_plus_one - 1;
        }
        slot = (slot + 1) & directory_mask_;
    }
}

std::uint32_t finished_ids::add_page(std::uint64_t key) noexcept {
    ORDO_ASSERT(page_count_ < finished_pages_max);
    ORDO_ASSERT(find_page(key) == finished_page_none);
    std::uint32_t slot = home_slot(key, directory_shift_);
    while (directory_[slot].value_plus_one != 0) slot = (slot + 1) & directory_mask_;
    const std::uint32_t page = page_count_++;
    guard(snapshot_table::finished_page_keys, page);
    page_keys_[page] = key;
    directory_[slot] = slot_entry{.fingerprint = fingerprint_of(key), .value_plus_one = page + 1};
    // The page is fresh (never written since the mapping was made): all zero, none finished.
    return page;
}

void finished_ids::set_in_page(std::uint32_t page, std::uint64_t id,
                               finished_status status) noexcept {
    ORDO_ASSERT(page < page_count_);
    ORDO_ASSERT(page_keys_[page] == key_of(id));
    ORDO_ASSERT(status != finished_status::none);
    const std::uint64_t offset = id & (finished_page_ids - 1);
    const std::uint32_t shift = static_cast<std::uint32_t>(offset & 31) * 2;
    guard(snapshot_table::finished_pages, page);
    std::uint64_t& word = pages_[page].words[offset >> 5];
    ORDO_ASSERT(((word >> shift) & 3) == 0);  // an id finishes once
    word |= std::uint64_t{static_cast<std::uint8_t>(status)} << shift;
}

std::uint32_t finished_ids::scattered_slot(std::uint64_t id) const noexcept {
    const std::uint32_t fingerprint = fingerprint_of(id);
    std::uint32_t slot = home_slot(key_of(id), index_shift_);
    for (;;) {
        const slot_entry e = index_.data()[slot];
        if (e.value_plus_one == 0) return slot;
        if (e.fingerprint == fingerprint && log_[e.value_plus_one - 1].id == id) return slot;
        slot = (slot + 1) & index_mask_;
    }
}

void finished_ids::scattered_index(std::uint64_t position) noexcept {
    const std::uint64_t id = log_[position].id;
    const std::uint32_t slot = scattered_slot(id);
    ORDO_ASSERT(index_[slot].value_plus_one == 0);  // not there yet
    index_[slot] = slot_entry{.fingerprint = fingerprint_of(id),
                              .value_plus_one = static_cast<std::uint32_t>(position + 1)};
}

void finished_ids::scattered_erase(std::uint32_t slot) noexcept {
    ORDO_ASSERT(index_[slot].value_plus_one != 0);
    std::uint32_t hole = slot;
    for (std::uint32_t next = (slot + 1) & index_mask_;; next = (next + 1) & index_mask_) {
        const slot_entry e = index_[next];
        if (e.value_plus_one == 0) break;
        const std::uint32_t home = home_slot(key_of(log_[e.value_plus_one - 1].id), index_shift_);
        if (((next - home) & index_mask_) >= ((next - hole) & index_mask_)) {
            index_[hole] = e;
            hole = next;
        }
    }
    index_[hole] = slot_entry{.fingerprint = 0, .value_plus_one = 0};
}

std::uint32_t finished_ids::scattered_of_page(std::uint64_t key,
                                              std::span<std::uint64_t> out) const noexcept {
    // Every scattered id of the page has the page key's home: all are in this one run.
    std::uint32_t found = 0;
    for (std::uint32_t slot = home_slot(key, index_shift_);; slot = (slot + 1) & index_mask_) {
        const slot_entry e = index_[slot];
        if (e.value_plus_one == 0) return found;
        if (key_of(log_[e.value_plus_one - 1].id) != key) continue;
        ORDO_ASSERT(found < out.size());
        out[found++] = e.value_plus_one - 1;
    }
}

finished_status finished_ids::find(std::uint64_t id) const noexcept {
    ORDO_ASSERT(id != 0);
    const std::uint32_t page = find_page(key_of(id));
    if (page != finished_page_none) {
        const std::uint64_t offset = id & (finished_page_ids - 1);
        const std::uint64_t word = pages_[page].words[offset >> 5];
        return static_cast<finished_status>((word >> ((offset & 31) * 2)) & 3);
    }
    const slot_entry e = index_[scattered_slot(id)];
    if (e.value_plus_one == 0) return finished_status::none;
    const finished_scattered_entry& entry = log_[e.value_plus_one - 1];
    ORDO_ASSERT(entry.status >= 1);
    ORDO_ASSERT(entry.status <= 3);
    return static_cast<finished_status>(entry.status);
}

void finished_ids::insert(std::uint64_t id, finished_status status) noexcept {
    ORDO_ASSERT(id != 0);
    ORDO_ASSERT(status != finished_status::none);
    const std::uint64_t key = key_of(id);
    std::uint32_t page = find_page(key);
    if (page == finished_page_none && page_count_ < finished_pages_max) {
        std::uint64_t positions[scattered_ids_before_page];
        const std::uint32_t scattered = scattered_of_page(key, positions);
        const bool run = key > 0 && find_page(key - 1) != finished_page_none;
        if (run || scattered + 1 >= scattered_ids_before_page) {
            page = add_page(key);
            for (std::uint32_t i = 0; i < scattered; i++) {
                const std::uint64_t position = positions[i];
                const finished_scattered_entry moved = log_[position];
                ORDO_ASSERT(moved.id != id);
                set_in_page(page, moved.id, static_cast<finished_status>(moved.status));
                scattered_erase(scattered_slot(moved.id));
                guard(snapshot_table::finished_scattered, position);
                log_[position] = finished_scattered_entry{.id = moved.id, .status = 0};
                scattered_live_--;
            }
        }
    }
    if (page != finished_page_none) {
        set_in_page(page, id, status);
        return;
    }
    ORDO_ASSERT(log_count_ < scattered_max_);  // booking_state keeps room for every live one
    const std::uint64_t position = log_count_++;
    guard(snapshot_table::finished_scattered, position);
    log_[position] =
        finished_scattered_entry{.id = id, .status = static_cast<std::uint8_t>(status)};
    scattered_index(position);
    scattered_live_++;
}

std::array<snapshot_table_span, 3> finished_ids::snapshot_tables() const noexcept {
    return {snapshot_table_span{.base = reinterpret_cast<const std::byte*>(pages_.data()),
                                .bytes = std::uint64_t{page_count_} * sizeof(finished_page),
                                .element_bytes = sizeof(finished_page)},
            snapshot_table_span{.base = reinterpret_cast<const std::byte*>(page_keys_.data()),
                                .bytes = std::uint64_t{page_count_} * sizeof(std::uint64_t),
                                .element_bytes = sizeof(std::uint64_t)},
            snapshot_table_span{.base = reinterpret_cast<const std::byte*>(log_.data()),
                                .bytes = log_count_ * sizeof(finished_scattered_entry),
                                .element_bytes = sizeof(finished_scattered_entry)}};
}

std::array<std::uint64_t, 3> finished_ids::snapshot_table_capacity_bytes(
    std::uint32_t scattered_max) noexcept {
    return {std::uint64_t{finished_pages_max} * sizeof(finished_page),
            std::uint64_t{finished_pages_max} * sizeof(std::uint64_t),
            std::uint64_t{scattered_max} * sizeof(finished_scattered_entry)};
}

std::expected<void, std::string> finished_ids::restore(std::span<const std::byte> pages,
                                                       std::span<const std::byte> keys,
                                                       std::span<const std::byte> log) {
    ORDO_ASSERT(page_count_ == 0);
    ORDO_ASSERT(log_count_ == 0);
    const std::uint64_t page_count = keys.size() / sizeof(std::uint64_t);
    if (pages.size() != page_count * sizeof(finished_page) ||
        keys.size() != page_count * sizeof(std::uint64_t) || page_count > finished_pages_max) {
        return std::unexpected("state snapshot has a damaged finished-id page table");
    }
    if (log.size() % sizeof(finished_scattered_entry) != 0 ||
        log.size() / sizeof(finished_scattered_entry) > scattered_max_) {
        return std::unexpected("state snapshot has more scattered finished ids than this "
                               "ordo keeps");
    }
    for (std::uint64_t p = 0; p < page_count; p++) {
        std::uint64_t key;
        std::memcpy(&key, keys.data() + p * sizeof(key), sizeof(key));
        if (find_page(key) != finished_page_none) {
            return std::unexpected("state snapshot has a finished-id page twice");
        }
        const std::uint32_t page = add_page(key);
        std::memcpy(&pages_[page], pages.data() + p * sizeof(finished_page),
                    sizeof(finished_page));
    }
    const std::uint64_t entries = log.size() / sizeof(finished_scattered_entry);
    for (std::uint64_t i = 0; i < entries; i++) {
        finished_scattered_entry e;
        std::memcpy(&e, log.data() + i * sizeof(e), sizeof(e));
        const std::uint64_t position = log_count_++;
        log_[position] = e;
        if (e.status == 0) {
            // Moved into its page: the page must exist.
            if (e.id == 0 || find_page(key_of(e.id)) == finished_page_none) {
                return std::unexpected("state snapshot has a damaged finished-id log");
            }
            continue;
        }
        const bool bad = e.id == 0 || e.status > 3 ||
                         find_page(key_of(e.id)) != finished_page_none ||
                         index_[scattered_slot(e.id)].value_plus_one != 0;
        if (bad) return std::unexpected("state snapshot has a damaged finished-id log");
        scattered_index(position);
        scattered_live_++;
    }
    return {};
}

}  // namespace ordo::engine
