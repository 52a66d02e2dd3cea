#include "journal/segment.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "base/assert.h"
#include "journal/limits.h"

namespace ordo::journal {
namespace {

constexpr std::string_view prefix = "segment-";
constexpr std::string_view suffix = ".journal";
constexpr std::string_view prepared_suffix = ".prepared";
constexpr std::size_t index_digits = 6;
constexpr std::size_t sequence_digits = 20;

template <class T>
bool parse_digits(std::string_view text, T* value) {
    if (text.empty()) return false;
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
    return error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::string segment_name(std::uint32_t index, std::uint64_t first_sequence) {
    ORDO_ASSERT(index <= segment_index_max);
    char name[64];
    const int length = std::snprintf(name, sizeof(name), "segment-%06u-%020llu.journal", index,
                                     static_cast<unsigned long long>(first_sequence));
    ORDO_ASSERT(length > 0);
    ORDO_ASSERT(static_cast<std::size_t>(length) < sizeof(name));
    return std::string(name, static_cast<std::size_t>(length));
}

std::string prepared_segment_name(std::uint32_t index) {
    ORDO_ASSERT(index <= segment_index_max);
    char name[64];
    const int length = std::snprintf(name, sizeof(name), "segment-%06u.prepared", index);
    ORDO_ASSERT(length > 0);
    return std::string(name, static_cast<std::size_t>(length));
}

std::optional<segment_file> parse_segment_name(std::string_view name) {
    const std::size_t expected_length =
        prefix.size() + index_digits + 1 + sequence_digits + suffix.size();
    if (name.size() != expected_length) return std::nullopt;
    if (!name.starts_with(prefix)) return std::nullopt;
    if (!name.ends_with(suffix)) return std::nullopt;
    const std::string_view index_text = name.substr(prefix.size(), index_digits);
    if (name[prefix.size() + index_digits] != '-') return std::nullopt;
    const std::string_view sequence_text =
        name.substr(prefix.size() + index_digits + 1, sequence_digits);
    segment_file file{.name = std::string(name)};
    if (!parse_digits(index_text, &file.index)) return std::nullopt;
    if (!parse_digits(sequence_text, &file.first_sequence)) return std::nullopt;
    return file;
}

bool is_prepared_segment_name(std::string_view name) {
    return name.starts_with(prefix) && name.ends_with(prepared_suffix);
}

std::expected<std::vector<segment_file>, journal_error> sorted_segments(
    std::span<const std::string> names, const std::filesystem::path& dir) {
    std::vector<segment_file> segments;
    for (const std::string& name : names) {
        if (auto parsed = parse_segment_name(name)) segments.push_back(std::move(*parsed));
    }
    std::sort(segments.begin(), segments.end(),
              [](const segment_file& a, const segment_file& b) { return a.index < b.index; });
    for (std::size_t i = 1; i < segments.size(); ++i) {
        if (segments[i].index == segments[i - 1].index + 1) continue;
        const bool duplicate = segments[i].index == segments[i - 1].index;
        return std::unexpected(journal_error{
            .code = journal_errc::damaged,
            .path = (dir / segments[i].name).string(),
            .detail = duplicate ? "two segment files with one index"
                                : "segment index gap: segment " +
                                      std::to_string(segments[i - 1].index + 1) + " is missing"});
    }
    return segments;
}

}  // namespace ordo::journal
