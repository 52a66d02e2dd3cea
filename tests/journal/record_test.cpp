// Tests for journal/record.h: framing, iteration and validation of record sizes.

#include "journal/record.h"

#include <array>
#include <vector>

#include <catch2/catch.hpp>

using namespace ordo::journal;

TEST_CASE("records round trip through write_record and record_range") {
    // Proves: records of payload sizes 0..200 are 8-aligned, zero-padded, and iterate back
    // with their type, schema version and payload bytes.
    std::vector<std::byte> body(64 << 10);
    std::uint32_t used = 0;
    std::uint32_t count = 0;
    for (std::uint32_t size = 0; size <= 200; ++size) {
        std::vector<std::byte> payload(size, static_cast<std::byte>(size % 255 + 1));
        const std::uint32_t bytes = write_record(std::span(body).subspan(used),
                                                 static_cast<std::uint8_t>(size % 250 + 1),
                                                 static_cast<std::uint8_t>(size % 3), payload);
        REQUIRE(bytes % 8 == 0);
        REQUIRE(bytes == record_bytes_for(size));
        used += bytes;
        ++count;
    }
    const std::span<const std::byte> filled(body.data(), used);
    REQUIRE(validate_records(filled, count) == nullptr);
    std::uint32_t size = 0;
    for (const record_view r : record_range(filled, count)) {
        REQUIRE(r.type == size % 250 + 1);
        REQUIRE(r.schema_version == size % 3);
        REQUIRE(r.payload.size() == record_bytes_for(size) - record_header_bytes);
        for (std::uint32_t i = 0; i < r.payload.size(); ++i) {
            const auto expected = i < size ? static_cast<std::byte>(size % 255 + 1) : std::byte{0};
            REQUIRE(r.payload[i] == expected);
        }
        ++size;
    }
    REQUIRE(size == 201);
}

TEST_CASE("validate_records rejects every malformed framing") {
    // Proves: a size past the body, below the header, unaligned, type 0, a non-zero reserved
    // field, too few or too many records are each reported (damage at read time).
    std::array<std::byte, 64> body{};
    const std::array<std::byte, 8> payload{};
    write_record(body, 1, 1, payload);          // 16 bytes
    write_record(std::span(body).subspan(16), 2, 1, payload);  // 16 bytes
    const std::span<const std::byte> two(body.data(), 32);
    REQUIRE(validate_records(two, 2) == nullptr);
    REQUIRE(validate_records(two, 1) != nullptr);   // records do not fill the body
    REQUIRE(validate_records(two, 3) != nullptr);   // header past the body
    auto corrupt = [&](std::size_t at, std::byte value) {
        auto copy = body;
        copy[at] = value;
        return validate_records(std::span<const std::byte>(copy.data(), 32), 2);
    };
    REQUIRE(std::string(corrupt(0, std::byte{200})) == "record size runs past the body");
    REQUIRE(std::string(corrupt(0, std::byte{4})) == "record size below its header");
    REQUIRE(std::string(corrupt(0, std::byte{12})) == "record size not 8-aligned");
    REQUIRE(std::string(corrupt(2, std::byte{0})) == "record type 0");
    REQUIRE(std::string(corrupt(5, std::byte{1})) == "record reserved field not zero");
}
