#pragma once
// Appends event records to the body of the batch being filled (memory the journal writer
// lent through claim(), or a plain buffer with no journal). The sequencer checks room
// before each command, so an append never fails.
//
// Thread: the sequencer thread; lifecycle: reset() onto each new batch body.

#include <cstddef>
#include <cstdint>
#include <array>
#include <bit>
#include <cstring>
#include <type_traits>
#include <span>

#include "engine/schema/events.h"
#include "base/assert.h"
#include "journal/record.h"

namespace ordo::engine {

inline constexpr std::uint32_t record_bytes(std::uint32_t payload_bytes) noexcept {
    return (static_cast<std::uint32_t>(sizeof(journal::record_header)) + payload_bytes + 7u) & ~7u;
}
inline constexpr std::uint32_t event_record_bytes_max = record_bytes(event_payload_bytes_max);

class event_buffer {
public:
    void reset(std::span<std::byte> body) noexcept {
        ORDO_ASSERT(body.size() >= event_record_bytes_max);
        data_ = body.data();
        capacity_ = static_cast<std::uint32_t>(body.size());
        used_ = 0;
        records_ = 0;
    }
    std::uint32_t used_bytes() const noexcept { return used_; }
    std::uint32_t record_count() const noexcept { return records_; }
    std::uint32_t free_bytes() const noexcept { return capacity_ - used_; }
    std::span<const std::byte> body() const noexcept { return {data_, used_}; }

    // Starts a record with `payload_bytes` of payload and returns where the payload goes.
    // The padding up to the next 8 bytes is zeroed, so the body is fully determined. The
    // callers bound payload_bytes at compile time (event_record_bytes_max).
    [[gnu::always_inline]] std::byte* append_raw(event_type type,
                                                 std::uint32_t payload_bytes) noexcept {
        const std::uint32_t size = record_bytes(payload_bytes);
        ORDO_ASSERT(size <= capacity_ - used_);
        std::byte* at = data_ + used_;
        const journal::record_header header{.size_bytes = static_cast<std::uint16_t>(size),
                                            .type = static_cast<std::uint8_t>(type),
                                            .schema_version = event_schema_version,
                                            .reserved_zero = 0};
        std::memcpy(at, &header, sizeof(header));
        std::memset(at + size - 8, 0, 8);  // padding, overwritten by the payload if any
        used_ += size;
        records_++;
        return at + sizeof(header);
    }
    template <class T>
    void append(event_type type, const T& payload) noexcept {
        static_assert(record_bytes(sizeof(T)) <= event_record_bytes_max);
        store_words(append_raw(type, sizeof(T)), payload);
    }
    // A record whose payload is `fixed` followed by the command's seat items, of which the
    // event allows at most items_max.
    template <std::uint32_t items_max, class T>
    void append_with_items(event_type type, const T& fixed, command_view cmd) noexcept {
        static_assert(record_bytes(sizeof(T) + items_max * sizeof(seat_item)) <=
                      event_record_bytes_max);
        const std::uint32_t count = cmd.item_count();
        ORDO_ASSERT(count <= items_max);
        std::byte* at = append_raw(type, sizeof(T) + count * sizeof(seat_item));
        store_words(at, fixed);
        for (std::uint32_t i = 0; i < count; i++) {
            const seat_item item = cmd.item(i);
            std::memcpy(at + sizeof(T) + i * sizeof(seat_item), &item, sizeof(item));
        }
    }

private:
    // Stores an event as 8-byte words. A plain memcpy of a payload just built field by field
    // loads it back in 16- or 32-byte pieces, which wait for store forwarding to fail (seen
    // at 5% of the sequencer's time); words built in registers go straight to the buffer.
    template <class T>
    static void store_words(std::byte* at, const T& value) noexcept {
        static_assert(sizeof(T) % sizeof(std::uint64_t) == 0);
        static_assert(std::has_unique_object_representations_v<T>);
        const auto words = std::bit_cast<std::array<std::uint64_t, sizeof(T) / 8>>(value);
        for (std::size_t i = 0; i < words.size(); i++) {
            std::memcpy(at + i * sizeof(std::uint64_t), &words[i], sizeof(std::uint64_t));
        }
    }

    std::byte* data_ = nullptr;
    std::uint32_t capacity_ = 0;
    std::uint32_t used_ = 0;
    std::uint32_t records_ = 0;
};

}  // namespace ordo::engine
