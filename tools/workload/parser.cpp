#include "tools/workload/parser.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "engine/limits.h"
#include "base/assert.h"

namespace ordo::workload {
namespace {

using json = nlohmann::json;

// Every field name any op may carry. The order is the order in which missing and
// unexpected fields are reported, so errors are deterministic whatever the key order.
enum class field : std::uint8_t {
    op,
    t,
    conference,
    reservation,
    customer,
    seats,
    seat_type,
    quantity,
    hold_ttl_ms,
};
inline constexpr std::size_t field_count = 9;
using field_mask = std::uint16_t;
static_assert(field_count <= 16);

constexpr field_mask bit(field f) noexcept {
    return static_cast<field_mask>(1u << static_cast<unsigned>(f));
}

struct field_spec {
    std::string_view name;
    std::uint64_t min;  // integer fields only; op and seats are not integers
    std::uint64_t max;
};
inline constexpr std::uint64_t id_max = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::array<field_spec, field_count> fields{{
    {"op", 0, 0},
    {"t", 0, engine::time_ms_max},
    {"conference", 1, id_max},
    {"reservation", 1, id_max},
    {"customer", 1, id_max},
    {"seats", 0, 0},
    {"seat_type", 1, engine::seat_type_max},
    {"quantity", 0, engine::wire_u32_max},
    {"hold_ttl_ms", 0, engine::wire_u32_max},
}};

struct op_spec {
    std::string_view name;
    engine::op kind;
    field_mask required;
    field_mask optional;
};
inline constexpr field_mask base_fields = bit(field::op) | bit(field::t);
inline constexpr field_mask seats_change_fields =
    base_fields | bit(field::conference) | bit(field::seat_type) | bit(field::quantity);
inline constexpr std::array<op_spec, engine::op_max> ops{{
    {"create_conference", engine::op::create_conference,
     base_fields | bit(field::conference) | bit(field::seats), bit(field::hold_ttl_ms)},
    {"add_seats", engine::op::add_seats, seats_change_fields, 0},
    {"remove_seats", engine::op::remove_seats, seats_change_fields, 0},
    {"reserve", engine::op::reserve,
     base_fields | bit(field::conference) | bit(field::reservation) | bit(field::customer) |
         bit(field::seats),
     0},
    {"confirm", engine::op::confirm, base_fields | bit(field::reservation), 0},
    {"cancel", engine::op::cancel, base_fields | bit(field::reservation), 0},
    {"tick", engine::op::tick, base_fields, 0},
    {"close_conference", engine::op::close_conference, base_fields | bit(field::conference), 0},
}};
static_assert(ops.back().kind == static_cast<engine::op>(engine::op_max), "every op has a spec");

// Error texts quote what the file said; this keeps them one printable line of bounded
// length whatever the input holds (decoded strings may contain newlines or controls).
inline constexpr std::size_t quoted_bytes_max = 64;
std::string error_quoted(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size(); i++) {
        if (i == quoted_bytes_max) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    return out;
}

// One JSON scalar as the SAX interface delivered it, with the text errors should show.
struct scalar {
    enum class kind : std::uint8_t { integer, out_of_range, other, string } type;
    std::uint64_t value;    // integer only
    std::string_view text;  // the value as written (strings: decoded); empty for integer
};

// The value as an error message shows it: as JSON would write it, bounded.
std::string shown(const scalar& value) {
    if (value.type == scalar::kind::integer) return fmt::to_string(value.value);
    if (value.type == scalar::kind::string) return error_quoted(value.text);
    return std::string(value.text);
}

// Decimal seat type key: digits only, no sign, no leading zero, 1..seat_type_max.
std::expected<std::uint16_t, std::string> parse_seat_type_key(std::string_view key) {
    const bool digits =
        !key.empty() && key.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits || (key.size() > 1 && key[0] == '0')) {
        return std::unexpected(fmt::format(
            "field \"seats\": key {} is not a seat type (decimal, no sign, no leading zeros)",
            error_quoted(key)));
    }
    std::uint64_t value = 0;
    for (const char c : key) {
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
        if (value > engine::seat_type_max) break;  // stops before any overflow
    }
    if (value < 1 || value > engine::seat_type_max) {
        return std::unexpected(fmt::format("field \"seats\": seat type {} is out of range 1..{}",
                                           error_quoted(key), engine::seat_type_max));
    }
    return static_cast<std::uint16_t>(value);
}

// UTF-8's encoding of U+FEFF, which some editors write at the start of a file.
inline constexpr std::string_view byte_order_mark = "\xef\xbb\xbf";

// Receives one line's SAX events and builds the command in place. Reused across the lines
// of a file so that nothing here allocates per line (only nlohmann's lexer does). Owned
// by one parse_file / parse_line call on the caller's thread.
class line_parser {
  public:
    // Returns false and sets error() when the line is not a well-formed command.
    bool parse(std::string_view text) {
        reset();
        // Byte-level checks the JSON lexer would not make: it takes a NUL byte for the end
        // of its input (so `{...}<NUL>junk` would pass), and skips a byte order mark at
        // the start of each input it is given, which here is every line.
        if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
            const auto column = static_cast<const char*>(nul) - text.data() + 1;
            return fail(fmt::format("NUL byte at column {}", column));
        }
        if (text.starts_with(byte_order_mark)) {
            return fail("byte order mark (U+FEFF): allowed only at the start of the file");
        }
        const bool ok = json::sax_parse(text.data(), text.data() + text.size(), this);
        if (ok) ORDO_ASSERT(state_ == state::done);
        if (!ok) ORDO_ASSERT(!error_.empty());
        return ok;
    }
    const engine::command& command() const noexcept { return command_; }
    const std::string& error() const noexcept { return error_; }

    // --- nlohmann SAX interface; returning false stops the parse. ---
    bool null() { return on_scalar({scalar::kind::other, 0, "null"}); }
    bool boolean(bool value) {
        return on_scalar({scalar::kind::other, 0, value ? "true" : "false"});
    }
    bool number_unsigned(json::number_unsigned_t value) {
        // No text: the digits are rendered from the value only if an error shows them.
        return on_scalar({scalar::kind::integer, value, {}});
    }
    bool number_integer(json::number_integer_t value) {
        // The lexer only reports signed numbers written with '-': "-0" is the integer 0.
        if (value == 0) return number_unsigned(0);
        ORDO_ASSERT(value < 0);
        std::array<char, 24> digits{};
        const auto end = fmt::format_to_n(digits.data(), digits.size(), "{}", value).out;
        const std::string_view text(digits.data(), static_cast<std::size_t>(end - digits.data()));
        return on_scalar({scalar::kind::out_of_range, 0, text});
    }
    bool number_float(json::number_float_t, const std::string& text) {
        // An integer too large for 64 bits arrives as a float; it is still an integer
        // that is out of range, not a value of the wrong type.
        const std::string_view digits =
            text.starts_with('-') ? std::string_view(text).substr(1) : std::string_view(text);
        const bool integral =
            !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
        return on_scalar({integral ? scalar::kind::out_of_range : scalar::kind::other, 0, text});
    }
    bool string(std::string& value) { return on_scalar({scalar::kind::string, 0, value}); }
    bool binary(json::binary_t&) {
        ORDO_ASSERT(false);  // only binary formats (CBOR, ...) produce these
        return false;
    }
    bool start_object(std::size_t);
    bool end_object();
    bool key(std::string& name);
    bool start_array(std::size_t) { return wrong_type("an array"); }
    bool end_array() {
        ORDO_ASSERT(false);  // start_array always stops the parse
        return false;
    }
    bool parse_error(std::size_t position, const std::string&, const json::exception& ex);

  private:
    enum class state : std::uint8_t {
        line_start,
        top_key,
        top_value,
        seats_key,
        seats_value,
        done
    };

    void reset();
    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }
    bool on_scalar(const scalar& value);
    bool wrong_type(std::string_view got);
    std::string context() const;
    std::optional<std::uint64_t> integer_in_range(const scalar& value, std::uint64_t min,
                                                  std::uint64_t max);
    bool finish();

    state state_ = state::line_start;
    field field_ = field::op;      // the field whose value comes next (top_value)
    std::uint16_t seat_type_ = 0;  // the seat type whose value comes next (seats_value)
    std::uint32_t seat_keys_ = 0;  // keys seen in "seats", even past command_items_max
    field_mask seen_ = 0;
    const op_spec* op_ = nullptr;
    std::array<std::uint64_t, field_count> values_{};
    engine::command command_{};
    // Duplicate seat types must be caught even past the items the command stores.
    std::bitset<engine::seat_type_max + 1> seat_types_seen_{};
    std::string error_;
};

void line_parser::reset() {
    // Clearing only the bits this line set keeps the per-line cost independent of the
    // 64 Ki-bit set; when the command could not store every key, clear all of it.
    if (seat_keys_ <= command_.item_count) {
        for (std::uint32_t i = 0; i < command_.item_count; i++) {
            seat_types_seen_.reset(command_.items[i].seat_type);
        }
    } else {
        seat_types_seen_.reset();
    }
    // (No `none()` check here: scanning 8 KiB per line was half the parse time; the tests
    // reuse one parser across wide and narrow lines instead.)
    state_ = state::line_start;
    seat_keys_ = 0;
    seen_ = 0;
    op_ = nullptr;
    values_ = {};
    command_ = engine::command{};
    error_.clear();
}

std::string line_parser::context() const {
    if (state_ == state::seats_value) return fmt::format("field \"seats\" item \"{}\"", seat_type_);
    return fmt::format("field \"{}\"", fields[static_cast<std::size_t>(field_)].name);
}

bool line_parser::wrong_type(std::string_view got) {
    switch (state_) {
        case state::line_start:
            return fail(fmt::format("expected a JSON object, got {}", got));
        case state::top_value:
            if (field_ == field::op)
                return fail(fmt::format("{}: expected a string, got {}", context(), got));
            if (field_ == field::seats)
                return fail(fmt::format("{}: expected an object, got {}", context(), got));
            return fail(fmt::format("{}: expected an integer, got {}", context(), got));
        case state::seats_value:
            return fail(fmt::format("{}: expected an integer, got {}", context(), got));
        default:
            // Scalars and arrays only arrive where a value is expected.
            ORDO_ASSERT(false);
            return false;
    }
}

std::optional<std::uint64_t> line_parser::integer_in_range(const scalar& value, std::uint64_t min,
                                                           std::uint64_t max) {
    ORDO_ASSERT(min <= max);
    if (value.type == scalar::kind::integer && value.value >= min && value.value <= max) {
        return value.value;
    }
    if (value.type == scalar::kind::integer || value.type == scalar::kind::out_of_range) {
        fail(fmt::format("{}: {} is out of range {}..{}", context(), shown(value), min, max));
    } else {
        wrong_type(shown(value));
    }
    ORDO_ASSERT(!error_.empty());
    return std::nullopt;
}

bool line_parser::on_scalar(const scalar& value) {
    if (state_ == state::seats_value) {
        const auto quantity = integer_in_range(value, 0, engine::wire_u32_max);
        if (!quantity) return false;
        command_.add_item(seat_type_, static_cast<std::uint32_t>(*quantity));
        state_ = state::seats_key;
        return true;
    }
    if (state_ != state::top_value) {
        ORDO_ASSERT(state_ == state::line_start);
        return wrong_type(shown(value));
    }
    if (field_ == field::op) {
        if (value.type != scalar::kind::string) return wrong_type(shown(value));
        for (const op_spec& spec : ops) {
            if (spec.name == value.text) op_ = &spec;
        }
        if (op_ == nullptr) return fail(fmt::format("unknown op {}", error_quoted(value.text)));
    } else if (field_ == field::seats) {
        return wrong_type(shown(value));
    } else {
        const field_spec& spec = fields[static_cast<std::size_t>(field_)];
        const auto number = integer_in_range(value, spec.min, spec.max);
        if (!number) return false;
        values_[static_cast<std::size_t>(field_)] = *number;
    }
    state_ = state::top_key;
    return true;
}

bool line_parser::start_object(std::size_t) {
    if (state_ == state::line_start) {
        state_ = state::top_key;
        return true;
    }
    if (state_ == state::top_value && field_ == field::seats) {
        state_ = state::seats_key;
        return true;
    }
    return wrong_type("an object");
}

bool line_parser::key(std::string& name) {
    if (state_ == state::seats_key) {
        const auto seat_type = parse_seat_type_key(name);
        if (!seat_type) return fail(seat_type.error());
        if (seat_types_seen_.test(*seat_type)) {
            return fail(fmt::format("duplicate key {} in \"seats\"", error_quoted(name)));
        }
        seat_types_seen_.set(*seat_type);
        seat_keys_++;
        seat_type_ = *seat_type;
        state_ = state::seats_value;
        return true;
    }
    ORDO_ASSERT(state_ == state::top_key);
    std::size_t index = 0;
    while (index < field_count && fields[index].name != name) index++;
    if (index == field_count) return fail(fmt::format("unexpected field {}", error_quoted(name)));
    field_ = static_cast<field>(index);
    if ((seen_ & bit(field_)) != 0)
        return fail(fmt::format("duplicate key {}", error_quoted(name)));
    seen_ |= bit(field_);
    state_ = state::top_value;
    return true;
}

bool line_parser::end_object() {
    if (state_ == state::seats_key) {
        state_ = state::top_key;
        return true;
    }
    ORDO_ASSERT(state_ == state::top_key);
    if (!finish()) return false;
    state_ = state::done;
    return true;
}

// The whole object has been read: only now is the op known for certain, whatever the key
// order, so the field set is checked here and the command completed.
bool line_parser::finish() {
    if (op_ == nullptr) return fail("missing field \"op\"");
    for (std::size_t index = 0; index < field_count; index++) {
        const field_mask f = static_cast<field_mask>(1u << index);
        const bool allowed = ((op_->required | op_->optional) & f) != 0;
        if ((seen_ & f) != 0 && !allowed) {
            return fail(fmt::format("unexpected field \"{}\" for op \"{}\"", fields[index].name,
                                    op_->name));
        }
        if ((seen_ & f) == 0 && (op_->required & f) != 0) {
            return fail(
                fmt::format("missing field \"{}\" for op \"{}\"", fields[index].name, op_->name));
        }
    }
    const auto value = [this](field f) { return values_[static_cast<std::size_t>(f)]; };
    command_.kind = op_->kind;
    command_.t_ms = value(field::t);
    command_.conference = value(field::conference);
    command_.reservation = value(field::reservation);
    command_.customer = value(field::customer);
    if (op_->kind == engine::op::create_conference) {
        const bool has_ttl = (seen_ & bit(field::hold_ttl_ms)) != 0;
        command_.hold_ttl_ms = static_cast<std::uint32_t>(has_ttl ? value(field::hold_ttl_ms)
                                                                  : engine::hold_ttl_ms_default);
    }
    if (op_->kind == engine::op::add_seats || op_->kind == engine::op::remove_seats) {
        // Same layout as engine::make_seats_change: the single change is items[0].
        ORDO_ASSERT(command_.item_count == 0);
        command_.add_item(static_cast<std::uint16_t>(value(field::seat_type)),
                          static_cast<std::uint32_t>(value(field::quantity)));
    }
    ORDO_ASSERT(command_.item_count <= engine::command_items_max);
    return true;
}

bool line_parser::parse_error(std::size_t position, const std::string&, const json::exception& ex) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 5: reason";
    // the line is ours to report, so keep the reason and say where in the line it is.
    std::string_view reason = ex.what();
    if (const auto colon = reason.find(": "); colon != std::string_view::npos) {
        reason.remove_prefix(colon + 2);
    }
    constexpr std::size_t reason_bytes_max = 160;
    std::string reason_text(reason.substr(0, reason_bytes_max));
    if (reason.size() > reason_bytes_max) reason_text += "...";
    // The lexer quotes what it read, raw: keep the line printable and valid UTF-8.
    std::string shown_reason;
    for (const char c : reason_text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20) {
            shown_reason += ' ';
        } else if (byte >= 0x7f) {
            shown_reason += fmt::format("\\x{:02x}", byte);
        } else {
            shown_reason += c;
        }
    }
    return fail(fmt::format("not valid JSON at column {}: {}", position, shown_reason));
}

// Reads a file as lines in large chunks into one reused buffer, so that a workload of
// millions of lines costs a few hundred read() calls and no allocation per line. Any
// readable file works (a pipe, a FIFO, a terminal): it is read once, front to back. Owned
// by one scan on the caller's thread.
class line_reader {
  public:
    line_reader(int fd, const std::atomic<int>* interrupted)
        : fd_(fd), interrupted_(interrupted), buffer_(first_buffer_bytes(fd)) {
        ORDO_ASSERT(fd_ >= 0);
        ORDO_ASSERT(buffer_.size() >= block_bytes);
        ORDO_ASSERT(buffer_.size() <= chunk_bytes);
    }
    line_reader(const line_reader&) = delete;
    line_reader& operator=(const line_reader&) = delete;
    ~line_reader() { ::close(fd_); }

    // An upper bound of the commands in a regular file: its lines that are neither blank
    // nor comments, read ahead with pread so that the result vector is sized once
    // (growing a vector of 576-byte commands cost a fifth of the parse time). 0 for pipes
    // and on any error, which the parse itself then reports.
    std::size_t count_command_lines() {
        struct stat info {};
        if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) return 0;
        std::size_t lines = 0;
        bool in_indent = true;  // still in the leading blanks of a line
        off_t offset = 0;
        while (true) {
            const ssize_t got = ::pread(fd_, buffer_.data(), buffer_.size(), offset);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return got == 0 ? lines : 0;
            offset += got;
            const char* at = buffer_.data();
            const char* const end = at + got;
            while (at < end) {
                if (in_indent) {
                    while (at < end && (*at == ' ' || *at == '\t' || *at == '\r')) at++;
                    if (at == end) break;
                    if (*at != '\n' && *at != '#') lines++;
                    in_indent = false;
                }
                const void* const newline =
                    std::memchr(at, '\n', static_cast<std::size_t>(end - at));
                if (newline == nullptr) break;
                at = static_cast<const char*>(newline) + 1;
                in_indent = true;
            }
        }
    }

    enum class status : std::uint8_t { line, end, too_long, read_error, interrupted };
    // On status::line, `line` views the buffer until the next call; on read_error, errno
    // holds the cause.
    status next(std::string_view& line) {
        while (true) {
            const char* const base = buffer_.data();
            const void* const newline = std::memchr(base + scanned_, '\n', end_ - scanned_);
            // The bound holds however the line arrived: in one read, many, or at the end.
            const std::size_t line_end =
                newline != nullptr
                    ? static_cast<std::size_t>(static_cast<const char*>(newline) - base)
                    : end_;
            if (line_end - begin_ > line_bytes_max) return status::too_long;
            if (newline != nullptr || eof_) {
                if (newline == nullptr && begin_ == end_) return status::end;
                line = std::string_view(base + begin_, line_end - begin_);
                begin_ = newline != nullptr ? line_end + 1 : end_;  // the last may lack '\n'
                scanned_ = begin_;
                return status::line;
            }
            scanned_ = end_;
            if (const status filled = fill(); filled != status::line) return filled;
        }
    }

  private:
    static constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
    static constexpr std::size_t block_bytes = 4096;

    // A chunk, or less for a regular file smaller than one: the whole file and a byte to
    // see its end in one buffer, so checking a small file does not fault in a MiB of fresh
    // pages (the parser's fuzz target runs thousands a second). A file that grows meanwhile
    // still reads whole: fill() grows the buffer as it must.
    static std::size_t first_buffer_bytes(int fd) {
        struct stat info {};
        if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return chunk_bytes;
        const auto file_bytes = static_cast<std::size_t>(info.st_size);
        if (file_bytes >= chunk_bytes) return chunk_bytes;
        return (file_bytes + block_bytes) / block_bytes * block_bytes;  // > file_bytes
    }

    bool interrupted() const noexcept {
        return interrupted_ != nullptr && interrupted_->load(std::memory_order_relaxed) != 0;
    }

    // Moves the unfinished line to the front, doubles the buffer if that line fills more
    // than half of it (or of a chunk), then reads once more (status::line when it did). A pipe's read() that a signal
    // interrupts returns EINTR (the CLI's handlers do not ask for restarts): the flag is
    // checked then, so Ctrl-C stops a check waiting on a writer that never finishes.
    status fill() {
        const std::size_t kept = end_ - begin_;
        std::memmove(buffer_.data(), buffer_.data() + begin_, kept);
        begin_ = 0;
        end_ = kept;
        scanned_ = kept;
        if (buffer_.size() - end_ < std::min(buffer_.size(), chunk_bytes) / 2) {
            buffer_.resize(buffer_.size() * 2);
        }
        ORDO_ASSERT(end_ < buffer_.size());
        while (true) {
            if (interrupted()) return status::interrupted;
            const ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return status::read_error;
            if (got == 0) eof_ = true;
            end_ += static_cast<std::size_t>(got);
            ORDO_ASSERT(end_ <= buffer_.size());
            return status::line;
        }
    }

    int fd_;
    const std::atomic<int>* interrupted_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;    // first byte of the next line
    std::size_t scanned_ = 0;  // bytes before this hold no newline of the next line
    std::size_t end_ = 0;      // bytes read so far
    bool eof_ = false;
};

// JSON whitespace only: a line of other control characters is an error, not blank.
bool skipped(std::string_view line) noexcept {
    const std::size_t first = line.find_first_not_of(" \t\r");
    return first == std::string_view::npos || line[first] == '#';
}

std::string errno_text(int error) {
    return std::error_code(error, std::generic_category()).message();
}

check_error input_error(std::string message) {
    return check_error{.what = check_error::kind::input, .message = std::move(message)};
}

// What a scan is told besides its file: every field may stay empty.
struct scan_hooks {
    const std::atomic<int>* interrupted = nullptr;
    const std::function<void(std::uint64_t)>* on_progress = nullptr;
};

// Reads `path` line by line and hands each command to on_command, which returns true to
// go on, false to stop, or a check_error to fail; on_open(reader) runs once the file is
// open (parse_file sizes its vector there). The one loop behind every entry point, so they
// accept and refuse exactly the same files with the same error text.
template <class OnOpen, class OnCommand>
std::expected<std::uint64_t, check_error> scan_file(const std::filesystem::path& path,
                                                    const scan_hooks& hooks, OnOpen&& on_open,
                                                    OnCommand&& on_command) {
    const std::string name = path.string();
    // Opening a FIFO waits for its writer; a signal interrupts that wait (EINTR, the CLI's
    // handlers ask for no restart): Ctrl-C then stops the check, another signal retries.
    int fd = -1;
    while (true) {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0 || errno != EINTR) break;
        if (hooks.interrupted != nullptr && hooks.interrupted->load(std::memory_order_relaxed)) {
            return std::unexpected(check_error{.what = check_error::kind::interrupted});
        }
    }
    if (fd < 0) {
        return std::unexpected(
            input_error(fmt::format("{}: cannot open: {}", name, errno_text(errno))));
    }
    line_reader reader(fd, hooks.interrupted);
    on_open(reader);
    const auto parser = std::make_unique<line_parser>();
    std::uint64_t line_number = 0;
    std::uint64_t count = 0;
    std::string_view line;
    while (true) {
        const line_reader::status status = reader.next(line);
        if (status == line_reader::status::end) break;
        if (status == line_reader::status::interrupted ||
            (hooks.interrupted != nullptr && hooks.interrupted->load(std::memory_order_relaxed))) {
            return std::unexpected(check_error{.what = check_error::kind::interrupted});
        }
        line_number++;
        if (status == line_reader::status::read_error) {
            return std::unexpected(
                input_error(fmt::format("{}: cannot read: {}", name, errno_text(errno))));
        }
        if (status == line_reader::status::too_long) {
            return std::unexpected(input_error(fmt::format("{}:{}: line is longer than {} bytes",
                                                           name, line_number, line_bytes_max)));
        }
        if (line_number > std::numeric_limits<std::uint32_t>::max()) {
            return std::unexpected(input_error(fmt::format(
                "{}: more than {} lines", name, std::numeric_limits<std::uint32_t>::max())));
        }
        if (hooks.on_progress != nullptr && line_number % progress_lines == 0) {
            (*hooks.on_progress)(line_number);
        }
        // A byte order mark may open the file (editors write one); it is not part of line 1.
        if (line_number == 1 && line.starts_with(byte_order_mark)) {
            line.remove_prefix(byte_order_mark.size());
        }
        if (skipped(line)) continue;
        if (!parser->parse(line)) {
            return std::unexpected(
                input_error(fmt::format("{}:{}: {}", name, line_number, parser->error())));
        }
        count++;
        const std::expected<bool, check_error> go_on = on_command(
            workload_command{static_cast<std::uint32_t>(line_number), parser->command()});
        if (!go_on) return std::unexpected(go_on.error());
        if (!*go_on) break;
    }
    return count;
}

std::expected<std::uint64_t, std::string> as_text(
    const std::expected<std::uint64_t, check_error>& scanned) {
    if (scanned) return *scanned;
    ORDO_ASSERT(scanned.error().what == check_error::kind::input);  // no hooks, no spool
    return std::unexpected(scanned.error().message);
}

}  // namespace

std::expected<std::uint64_t, std::string> for_each_command(
    const std::filesystem::path& path,
    const std::function<bool(const workload_command&)>& on_command) {
    ORDO_ASSERT(static_cast<bool>(on_command));
    return as_text(scan_file(
        path, scan_hooks{}, [](line_reader&) {},
        [&](const workload_command& c) -> std::expected<bool, check_error> {
            return on_command(c);
        }));
}

std::expected<std::uint64_t, std::string> validate_file(const std::filesystem::path& path) {
    return as_text(scan_file(
        path, scan_hooks{}, [](line_reader&) {},
        [](const workload_command&) -> std::expected<bool, check_error> { return true; }));
}

std::expected<command_spool, check_error> check_workload(const std::filesystem::path& path,
                                                         const check_options& options) {
    auto spool = command_spool::create(options.spool_dir);
    if (!spool) {
        return std::unexpected(
            check_error{.what = check_error::kind::spool, .message = spool.error()});
    }
    const scan_hooks hooks{.interrupted = options.interrupted,
                           .on_progress = options.on_progress ? &options.on_progress : nullptr};
    const auto scanned = scan_file(
        path, hooks, [](line_reader&) {},
        [&](const workload_command& c) -> std::expected<bool, check_error> {
            if (auto appended = spool->append(c); !appended) {
                return std::unexpected(
                    check_error{.what = check_error::kind::spool, .message = appended.error()});
            }
            return true;
        });
    if (!scanned) return std::unexpected(scanned.error());
    if (auto finished = spool->finish(); !finished) {
        return std::unexpected(
            check_error{.what = check_error::kind::spool, .message = finished.error()});
    }
    ORDO_ASSERT(spool->command_count() == *scanned);
    return std::move(*spool);
}

std::expected<std::vector<workload_command>, std::string> parse_file(
    const std::filesystem::path& path) {
    std::vector<workload_command> commands;
    const auto reserve = [&commands](line_reader& reader) {
        try {
            commands.reserve(reader.count_command_lines());
        } catch (const std::bad_alloc&) {
            // Only a hint: a file of garbage lines may ask for more than the machine has,
            // and is refused at its first line anyway. Real workloads fit as it grows.
        }
    };
    const auto scanned = as_text(scan_file(
        path, scan_hooks{}, reserve,
        [&commands](const workload_command& c) -> std::expected<bool, check_error> {
            commands.push_back(c);
            return true;
        }));
    if (!scanned) return std::unexpected(scanned.error());
    ORDO_ASSERT(*scanned == commands.size());
    return commands;
}

std::expected<engine::command, std::string> parse_line(std::string_view text) {
    // Heap-allocated: the parser carries an 8 KiB bitset, too much for small stacks.
    const auto parser = std::make_unique<line_parser>();
    if (!parser->parse(text)) return std::unexpected(parser->error());
    return parser->command();
}

}  // namespace ordo::workload
