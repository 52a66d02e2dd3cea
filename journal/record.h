#pragma once
// Record framing inside a batch body (journal/FORMAT.md). The journal knows a record only
// as size + type + schema version + payload; what the payload means is the engine's.
// Framing is validated once when a batch is read (validate_records); iteration afterwards
// asserts, because a batch that passed validation can only fail it through a bug.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <type_traits>

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal {

struct record_header {
    std::uint16_t size_bytes;  // header + payload + padding; a multiple of 8
    std::uint8_t type;         // 0 is never a valid type
    std::uint8_t schema_version;
    std::uint32_t reserved_zero;
};
static_assert(sizeof(record_header) == 8);
static_assert(std::has_unique_object_representations_v<record_header>);

inline constexpr std::uint32_t record_header_bytes = sizeof(record_header);

// Bytes a record with this payload occupies (8-byte aligned).
inline constexpr std::uint32_t record_bytes_for(std::size_t payload_bytes) noexcept {
    const std::size_t raw = record_header_bytes + payload_bytes;
    return static_cast<std::uint32_t>((raw + record_alignment_bytes - 1) /
                                      record_alignment_bytes * record_alignment_bytes);
}

// Writes one record at the start of `area` (header, payload, zero padding) and returns its
// size. The caller sized `area`; a record that does not fit is a bug.
inline std::uint32_t write_record(std::span<std::byte> area, std::uint8_t type,
                                  std::uint8_t schema_version,
                                  std::span<const std::byte> payload) noexcept {
    const std::uint32_t size_bytes = record_bytes_for(payload.size());
    ORDO_ASSERT(type != 0);
    ORDO_ASSERT(size_bytes <= record_bytes_max);
    ORDO_ASSERT(size_bytes <= area.size());
    const record_header header{.size_bytes = static_cast<std::uint16_t>(size_bytes),
                               .type = type,
                               .schema_version = schema_version,
                               .reserved_zero = 0};
    std::memcpy(area.data(), &header, sizeof(header));
    if (!payload.empty()) std::memcpy(area.data() + sizeof(header), payload.data(), payload.size());
    const std::size_t used = sizeof(header) + payload.size();
    std::memset(area.data() + used, 0, size_bytes - used);
    return size_bytes;
}

// Checks that `record_count` records tile `body` exactly. Returns nullptr when they do, else
// a static description of the first violation (the reader turns it into a damage error).
inline const char* validate_records(std::span<const std::byte> body,
                                    std::uint32_t record_count) noexcept {
    std::size_t offset = 0;
    for (std::uint32_t index = 0; index < record_count; ++index) {
        if (body.size() - offset < record_header_bytes) return "record header past the body";
        record_header header;
        std::memcpy(&header, body.data() + offset, sizeof(header));
        if (header.size_bytes < record_header_bytes) return "record size below its header";
        if (header.size_bytes % record_alignment_bytes != 0) return "record size not 8-aligned";
        if (header.size_bytes > body.size() - offset) return "record size runs past the body";
        if (header.type == 0) return "record type 0";
        if (header.reserved_zero != 0) return "record reserved field not zero";
        offset += header.size_bytes;
    }
    if (offset != body.size()) return "records do not fill the body";
    return nullptr;
}

// One record inside a batch body; spans point into the body (valid while it is).
struct record_view {
    std::uint8_t type = 0;
    std::uint8_t schema_version = 0;
    std::span<const std::byte> payload;  // may include up to 7 bytes of zero padding
    std::span<const std::byte> bytes;    // the whole record, header included
};

// Iterates the records of a validated batch body:
//   for (record_view r : record_range(body, record_count)) ...
// Single-threaded value type; it borrows `body`.
class record_range {
public:
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = record_view;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(std::span<const std::byte> body, std::uint32_t remaining) noexcept
            : body_(body), remaining_(remaining) {}

        record_view operator*() const noexcept {
            ORDO_ASSERT(remaining_ > 0);
            ORDO_ASSERT(body_.size() - offset_ >= record_header_bytes);
            record_header header;
            std::memcpy(&header, body_.data() + offset_, sizeof(header));
            ORDO_ASSERT(header.size_bytes >= record_header_bytes);
            ORDO_ASSERT(header.size_bytes <= body_.size() - offset_);
            const auto bytes = body_.subspan(offset_, header.size_bytes);
            return record_view{.type = header.type,
                               .schema_version = header.schema_version,
                               .payload = bytes.subspan(record_header_bytes),
                               .bytes = bytes};
        }
        iterator& operator++() noexcept {
            ORDO_ASSERT(remaining_ > 0);
            std::uint16_t size_bytes = 0;
            std::memcpy(&size_bytes, body_.data() + offset_, sizeof(size_bytes));
            ORDO_ASSERT(size_bytes >= record_header_bytes);
            offset_ += size_bytes;
            --remaining_;
            return *this;
        }
        void operator++(int) noexcept { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.remaining_ == 0;
        }

    private:
        std::span<const std::byte> body_;
        std::size_t offset_ = 0;
        std::uint32_t remaining_ = 0;
    };

    record_range(std::span<const std::byte> body, std::uint32_t record_count) noexcept
        : body_(body), record_count_(record_count) {
        ORDO_ASSERT(body.size() <= batch_bytes_max);
        ORDO_ASSERT(record_count <= body.size() / record_header_bytes);
    }
    iterator begin() const noexcept { return iterator(body_, record_count_); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    std::span<const std::byte> body_;
    std::uint32_t record_count_;
};

}  // namespace ordo::journal
