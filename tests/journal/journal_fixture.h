#pragma once
// Helpers shared by the journal tests: temporary directories under /tmp (removed after),
// deterministic batches, and a full read-back through the reader.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "journal/format.h"
#include "journal/reader.h"
#include "journal/record.h"
#include "journal/writer.h"

namespace ordo::journal::test {

// A fresh directory under /tmp, removed with everything in it when the object dies.
class temp_dir {
public:
    temp_dir() {
        char pattern[] = "/tmp/ordo-journal-test-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        REQUIRE(made != nullptr);
        path_ = made;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path journal() const { return path_ / "journal"; }

private:
    std::filesystem::path path_;
};

// Payload byte i of record r in batch b: never zero, so tearing to zeros always changes it.
inline std::byte payload_byte(std::uint64_t batch, std::uint32_t record, std::uint32_t i) {
    return static_cast<std::byte>((batch * 31 + record * 7 + i) % 251 + 1);
}

// Fills a claimed area with `record_count` records of `payload_bytes` each; returns bytes.
inline std::uint32_t fill_records(std::span<std::byte> area, std::uint64_t batch,
                                  std::uint32_t record_count, std::uint32_t payload_bytes) {
    std::vector<std::byte> payload(payload_bytes);
    std::uint32_t used = 0;
    for (std::uint32_t r = 0; r < record_count; ++r) {
        for (std::uint32_t i = 0; i < payload_bytes; ++i) payload[i] = payload_byte(batch, r, i);
        used += write_record(area.subspan(used), static_cast<std::uint8_t>(1 + r % 200),
                             static_cast<std::uint8_t>(1), payload);
    }
    return used;
}

struct batch_shape {
    std::uint32_t record_count = 1;
    std::uint32_t payload_bytes = 8;
};

// Writes the batches, waits until all are durable, returns the writer's end position.
inline journal_position write_batches(writer& w, const std::vector<batch_shape>& shapes) {
    std::uint64_t last = 0;
    for (const batch_shape& shape : shapes) {
        auto area = w.claim();
        REQUIRE(area.has_value());
        const std::uint64_t batch = w.position().next_batch_number;
        const std::uint32_t bytes = fill_records(*area, batch, shape.record_count,
                                                 shape.payload_bytes);
        auto published = w.publish(bytes, shape.record_count, 1000 + batch);
        REQUIRE(published.has_value());
        REQUIRE(*published == batch);
        last = batch + 1;
    }
    auto durable = w.wait_durable(last);
    REQUIRE(durable.has_value());
    REQUIRE(*durable == last);
    return w.position();
}

struct read_result {
    std::vector<batch_view> batches;  // bodies are not kept valid: compare fields only
    std::uint64_t records = 0;
    bool payloads_match = true;
    std::optional<tail_report> tail;
    journal_position position;
    std::optional<journal_error> error;
};

// Reads everything, checking every record payload against payload_byte().
inline read_result read_all(const std::filesystem::path& dir, const journal_position& start = {},
                            const journal_expectations& expected = {}) {
    read_result result;
    auto opened = reader::open(dir, start, expected);
    if (!opened) {
        result.error = opened.error();
        return result;
    }
    for (;;) {
        auto next = opened->next();
        if (!next) {
            result.error = next.error();
            break;
        }
        if (!next->has_value()) break;
        const batch_view& view = **next;
        std::uint32_t r = 0;
        for (const record_view record : record_range(view.body, view.record_count)) {
            for (std::uint32_t i = 0; i < record.payload.size(); ++i) {
                // Padding after the payload is zero; payload bytes are never zero.
                if (record.payload[i] == std::byte{0}) break;
                if (record.payload[i] != payload_byte(view.batch_number, r, i)) {
                    result.payloads_match = false;
                }
            }
            ++r;
        }
        result.records += r;
        result.batches.push_back(view);
    }
    result.tail = opened->torn_tail();
    result.position = opened->position();
    return result;
}

inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::byte> bytes(std::filesystem::file_size(path));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

// Overwrites in place: truncating would make ext4 (auto_da_alloc) flush on close.
inline void write_file(const std::filesystem::path& path, const std::vector<std::byte>& bytes) {
    REQUIRE(std::filesystem::file_size(path) == bytes.size());
    std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

inline std::vector<std::filesystem::path> segment_paths(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (parse_segment_name(entry.path().filename().string())) paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

inline writer_options small_options(const std::filesystem::path& dir,
                                    io_backend_kind backend = io_backend_kind::automatic) {
    return writer_options{.dir = dir,
                          .sync = sync_mode::fdatasync,
                          .segment_bytes = segment_bytes_min,
                          .batch_bytes_max = 128u << 10,
                          .batches_in_flight = 4,
                          .direct_io = true,
                          .backend = backend};
}

// A closed journal of batches of these shapes in `dir` (small_options); where it ends.
inline journal_position write_journal(const std::filesystem::path& dir,
                                      const std::vector<batch_shape>& shapes) {
    auto w = writer::open(small_options(dir), {});
    REQUIRE(w.has_value());
    return write_batches(**w, shapes);
}

}  // namespace ordo::journal::test
