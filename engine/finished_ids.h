#pragma once
// What the engine still knows of a reservation once it has finished (cancelled, expired, or
// confirmed in a conference whose sale closed) and its 64-byte record was given back for
// reuse (engine/booking_state.h): that its id was used, and how it ended, which is all the
// contract still asks of it (CONTRACT.md section 1: `reserve` with it is a duplicate; a
// confirm or cancel gets duplicate, not_active or conference_closed). Two bits an id.
//
// Two tiers, because clients issue ids two ways:
// - Dense pages: ids in increasing runs (counters, time-ordered ids) finish close to each
//   other, so they are kept as 2-bit states in pages of 16384 ids (4 KiB), found by the
//   page key (id >> 14) through a small directory. 2 bits per id of the page, plus 8 bytes
//   of key and about 8 of directory per page: 2.008 bits an id.
// - Scattered ids (random 64-bit ids): one entry each, 16 bytes (id, state) appended to a
//   log, found through an open-addressing index of 8-byte entries kept at most two-thirds
//   full (12 bytes an id): 28 bytes an id. The index is keyed by page key, so every
//   scattered id of one page sits in one probe run: when a page key gathers
//   `scattered_ids_before_page` ids, or the page before it already is dense (a run
//   crossing into the next page), the page is made and its scattered ids move into it
//   (their log entries stay behind, zeroed: at most 3 per page). Random 64-bit ids never
//   share a page key (2^50 keys), so they stay scattered, 28 bytes each, up to
//   `scattered_max` (booking_state reserves room for every live reservation there, so a
//   finish never fails; a reserve that would eat into that room is table_full).
//
// Snapshots carry the pages, their keys and the log as they lie (the snapshot guard covers
// every write to them); the directory and the index are rebuilt from them on decode.
//
// Thread: the state's owner (the sequencer; recovery before it starts).

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "engine/big_array.h"
#include "engine/snapshot_guard.h"
#include "base/assert.h"

namespace ordo::engine {

enum class finished_status : std::uint8_t { none = 0, cancelled = 1, expired = 2, closed = 3 };

inline constexpr std::uint32_t finished_page_id_shift = 14;
inline constexpr std::uint64_t finished_page_ids = std::uint64_t{1} << finished_page_id_shift;
inline constexpr std::uint32_t finished_pages_max = 1u << 18;  // 2^32 ids in pages, 1 GiB
inline constexpr std::uint32_t scattered_ids_before_page = 4;
inline constexpr std::uint32_t finished_page_none = 0xffff'ffffu;

struct finished_page {
    std::uint64_t words[finished_page_ids * 2 / 64];  // 32 ids a word, 2 bits each
};
static_assert(sizeof(finished_page) == snapshot_guard::chunk_bytes, "a page is a chunk");

struct finished_scattered_entry {
    std::uint64_t id;
    std::uint64_t status;  // a finished_status; 0: moved into a page since
};
static_assert(sizeof(finished_scattered_entry) == 16);

class finished_ids {
public:
    finished_ids() = default;
    explicit finished_ids(std::uint32_t scattered_max);

    finished_status find(std::uint64_t id) const noexcept;
    // `id` has not finished before.
    void insert(std::uint64_t id, finished_status status) noexcept;

    // Scattered entries still free: the most finishes this can take whatever their ids.
    std::uint64_t scattered_room() const noexcept { return scattered_max_ - log_count_; }
    std::uint32_t page_count() const noexcept { return page_count_; }
    std::uint64_t scattered_count() const noexcept { return log_count_; }
    std::uint64_t scattered_live() const noexcept { return scattered_live_; }
    // The bytes the structure grows by: pages with their keys, and scattered entries with
    // their share of the index at its design load (12 bytes); the directory is fixed.
    std::uint64_t grown_bytes() const noexcept;
    // The fixed part (the page directory), touched at start-up.
    static std::uint64_t fixed_bytes() noexcept;
    void prefault() noexcept { directory_.prefault(); }

    // Snapshots: pages, page keys, scattered log, as they are now.
    std::array<snapshot_table_span, 3> snapshot_tables() const noexcept;
    static std::array<std::uint64_t, 3> snapshot_table_capacity_bytes(
        std::uint32_t scattered_max) noexcept;
    // Decode: the three tables' bytes (a fresh object); rebuilds the directory and the
    // index. Fails (one line) on bytes no insert() could have made.
    std::expected<void, std::string> restore(std::span<const std::byte> pages,
                                             std::span<const std::byte> keys,
                                             std::span<const std::byte> log);

    void set_snapshot_guard(snapshot_guard* guard) noexcept { guard_ = guard; }

private:
    struct slot_entry {
        std::uint32_t fingerprint;
        std::uint32_t value_plus_one;  // page or log position + 1; 0: empty
    };
    static std::uint32_t fingerprint_of(std::uint64_t v) noexcept {
        return static_cast<std::uint32_t>(v) ^ static_cast<std::uint32_t>(v >> 32);
    }
    static std::uint64_t key_of(std::uint64_t id) noexcept { return id >> finished_page_id_shift; }

    std::uint32_t find_page(std::uint64_t key) const noexcept;
    std::uint32_t add_page(std::uint64_t key) noexcept;
    void set_in_page(std::uint32_t page, std::uint64_t id, finished_status status) noexcept;
    // Scattered index: the slot holding `id`, or the empty slot ending its key's run.
    std::uint32_t scattered_slot(std::uint64_t id) const noexcept;
    void scattered_index(std::uint64_t position) noexcept;
    void scattered_erase(std::uint32_t slot) noexcept;
    // Log positions of scattered ids of page `key`, up to `out.size()`; returns how many.
    std::uint32_t scattered_of_page(std::uint64_t key, std::span<std::uint64_t> out) const noexcept;
    void guard(snapshot_table table, std::uint64_t element) noexcept {
        if (guard_ != nullptr) [[unlikely]] guard_->before_write(table, element);
    }

    big_array<finished_page> pages_;
    big_array<std::uint64_t> page_keys_;
    big_array<slot_entry> directory_;  // page key -> page
    std::uint32_t directory_mask_ = 0;
    std::uint32_t directory_shift_ = 0;
    std::uint32_t page_count_ = 0;
    big_array<finished_scattered_entry> log_;
    big_array<slot_entry> index_;  // page key of the id -> log position
    std::uint32_t index_mask_ = 0;
    std::uint32_t index_shift_ = 0;
    std::uint32_t scattered_max_ = 0;
    std::uint64_t log_count_ = 0;
    std::uint64_t scattered_live_ = 0;  // log entries not moved into a page
    snapshot_guard* guard_ = nullptr;
};

}  // namespace ordo::engine
