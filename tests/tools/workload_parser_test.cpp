#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/limits.h"
#include "tools/workload/parser.h"

namespace {

using ordo::engine::op;
using ordo::workload::for_each_command;
using ordo::workload::parse_file;
using ordo::workload::parse_line;
using ordo::workload::validate_file;
using ordo::workload::workload_command;

// A workload file written by the test and removed when the test ends.
class temp_file {
  public:
    explicit temp_file(const std::string& content) {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("ordo_parser_test_" + std::to_string(::getpid()) + "_" +
                 std::to_string(counter++) + ".jsonl");
        std::ofstream out(path_, std::ios::binary);
        out << content;
        REQUIRE(out.good());
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() { std::filesystem::remove(path_); }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

ordo::engine::command parsed(std::string_view text) {
    auto result = parse_line(text);
    INFO(text);
    INFO((result ? std::string() : result.error()));
    REQUIRE(result.has_value());
    return *result;
}

std::string line_error(std::string_view text) {
    auto result = parse_line(text);
    INFO(text);
    REQUIRE_FALSE(result.has_value());
    return result.error();
}

// The error parse_file gives for a file; the file must be refused.
std::string file_error(const std::string& content) {
    const temp_file file(content);
    auto result = parse_file(file.path());
    INFO(content);
    REQUIRE_FALSE(result.has_value());
    return result.error();
}

std::string seats_json(std::uint32_t count, std::uint32_t first_type) {
    std::string seats = "{";
    for (std::uint32_t i = 0; i < count; i++) {
        if (i > 0) seats += ",";
        // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "lit" + string&&.
        seats += '"';
        seats += std::to_string(first_type + i);
        seats += "\":";
        seats += std::to_string(i);
    }
    return seats + "}";
}

}  // namespace

TEST_CASE("create_conference parses with its ttl, or the default, and seats in written order") {
    // Proves field mapping, the default hold_ttl_ms and that items keep the object's order.
    const auto c =
        parsed(R"({"op":"create_conference","t":5,"conference":7,"seats":{"9":500,"2":40,"300":0},)"
               R"("hold_ttl_ms":600000})");
    CHECK(c.kind == op::create_conference);
    CHECK(c.t_ms == 5);
    CHECK(c.conference == 7);
    CHECK(c.reservation == 0);
    CHECK(c.customer == 0);
    CHECK(c.hold_ttl_ms == 600000);
    REQUIRE(c.item_count == 3);
    CHECK(c.items[0].seat_type == 9);
    CHECK(c.items[0].quantity == 500);
    CHECK(c.items[1].seat_type == 2);
    CHECK(c.items[1].quantity == 40);
    CHECK(c.items[2].seat_type == 300);
    CHECK(c.items[2].quantity == 0);

    const auto d = parsed(R"({"seats":{"1":1},"conference":3,"t":0,"op":"create_conference"})");
    CHECK(d.kind == op::create_conference);
    CHECK(d.hold_ttl_ms == ordo::engine::hold_ttl_ms_default);
    CHECK(d.conference == 3);
    REQUIRE(d.item_count == 1);
    CHECK(d.items[0].seat_type == 1);
}

TEST_CASE("add_seats and remove_seats put their change in items[0]") {
    // Proves the seats-change layout matches engine::make_seats_change.
    for (const auto& [name, kind] :
         {std::pair{"add_seats", op::add_seats}, std::pair{"remove_seats", op::remove_seats}}) {
        const auto c = parsed(std::string(R"({"op":")") + name +
                              R"(","t":12,"conference":4,"seat_type":65535,"quantity":20000})");
        const auto expected = ordo::engine::make_seats_change(kind, 12, 4, 65535, 20000);
        CHECK(c.kind == kind);
        CHECK(c.t_ms == 12);
        CHECK(c.conference == 4);
        CHECK(c.hold_ttl_ms == 0);
        REQUIRE(c.item_count == 1);
        CHECK(c.items[0].seat_type == expected.items[0].seat_type);
        CHECK(c.items[0].quantity == expected.items[0].quantity);
    }
}

TEST_CASE("reserve, confirm, cancel, tick and close_conference parse to their fields") {
    // Proves every remaining op maps each JSON field to the right command field.
    const auto r =
        parsed(R"({"op":"reserve","t":15,"conference":1,"reservation":9001,"customer":77,)"
               R"("seats":{"2":1,"1":2}})");
    CHECK(r.kind == op::reserve);
    CHECK(r.t_ms == 15);
    CHECK(r.conference == 1);
    CHECK(r.reservation == 9001);
    CHECK(r.customer == 77);
    REQUIRE(r.item_count == 2);
    CHECK(r.items[0].seat_type == 2);
    CHECK(r.items[0].quantity == 1);
    CHECK(r.items[1].seat_type == 1);
    CHECK(r.items[1].quantity == 2);

    const auto confirm = parsed(R"({"op":"confirm","t":30,"reservation":9001})");
    CHECK(confirm.kind == op::confirm);
    CHECK(confirm.t_ms == 30);
    CHECK(confirm.reservation == 9001);
    CHECK(confirm.item_count == 0);
    const auto cancel = parsed(R"(  {"reservation":8,"op":"cancel","t":31}  )");
    CHECK(cancel.kind == op::cancel);
    CHECK(cancel.t_ms == 31);
    CHECK(cancel.reservation == 8);
    const auto tick = parsed(R"({"op":"tick","t":700000})");
    CHECK(tick.kind == op::tick);
    CHECK(tick.t_ms == 700000);
    CHECK(tick.conference == 0);
    CHECK(tick.item_count == 0);
    const auto close =
        parsed(R"({"conference":18446744073709551615,"op":"close_conference","t":40})");
    CHECK(close.kind == op::close_conference);
    CHECK(close.t_ms == 40);
    CHECK(close.conference == 18446744073709551615ull);
    CHECK(close.reservation == 0);
    CHECK(close.item_count == 0);
}

TEST_CASE("business-rule violations are well-formed input") {
    // Proves the parser leaves quantity 0/20000, capacity 1000001, ttl 999, empty seats,
    // 9 and 66 items to the engine, and that item storage caps at command_items_max.
    CHECK(parsed(R"({"op":"add_seats","t":0,"conference":1,"seat_type":1,"quantity":0})")
              .items[0]
              .quantity == 0);
    CHECK(parsed(R"({"op":"create_conference","t":0,"conference":3,"seats":{"1":1000001}})")
              .items[0]
              .quantity == 1000001);
    CHECK(parsed(R"({"op":"create_conference","t":0,"conference":4,"seats":{"1":5},)"
                 R"("hold_ttl_ms":999})")
              .hold_ttl_ms == 999);
    CHECK(parsed(R"({"op":"create_conference","t":0,"conference":2,"seats":{}})").item_count == 0);
    const std::string reserve = R"({"op":"reserve","t":1,"conference":1,"reservation":2,)"
                                R"("customer":3,"seats":)";
    CHECK(parsed(reserve + seats_json(9, 1) + "}").item_count == 9);

    const auto big = parsed(R"({"op":"create_conference","t":0,"conference":8,"seats":)" +
                            seats_json(66, 100) + "}");
    CHECK(big.item_count == ordo::engine::command_items_max);
    CHECK(big.items[0].seat_type == 100);
    CHECK(big.items[64].seat_type == 164);
    CHECK(big.items[64].quantity == 64);
}

TEST_CASE("boundary values of every numeric range") {
    // Proves each range's ends are accepted and the first value past them is refused.
    const std::string max_id = "18446744073709551615";
    CHECK(parsed(R"({"op":"confirm","t":0,"reservation":)" + max_id + "}").reservation ==
          18446744073709551615ull);
    CHECK(line_error(R"({"op":"confirm","t":0,"reservation":0})") ==
          R"(field "reservation": 0 is out of range 1..18446744073709551615)");
    CHECK(line_error(R"({"op":"confirm","t":0,"reservation":18446744073709551616})") ==
          R"(field "reservation": 18446744073709551616 is out of range 1..18446744073709551615)");
    CHECK(line_error(R"({"op":"confirm","t":0,"reservation":-5})") ==
          R"(field "reservation": -5 is out of range 1..18446744073709551615)");

    CHECK(parsed(R"({"op":"tick","t":9223372036854775807})").t_ms == 9223372036854775807ull);
    CHECK(line_error(R"({"op":"tick","t":9223372036854775808})") ==
          R"(field "t": 9223372036854775808 is out of range 0..9223372036854775807)");
    CHECK(parsed(R"({"op":"tick","t":-0})").t_ms == 0);

    const std::string seats = R"({"op":"create_conference","t":0,"conference":1,"seats":)";
    CHECK(parsed(seats + R"({"65535":1}})").items[0].seat_type == 65535);
    CHECK(line_error(seats + R"({"65536":1}})") ==
          R"(field "seats": seat type "65536" is out of range 1..65535)");
    CHECK(line_error(seats + R"({"0":1}})") ==
          R"(field "seats": seat type "0" is out of range 1..65535)");
    for (const char* key : {"01", "+1", "-1", " 1", "1 ", "", "1a", "0x10", "1.0"}) {
        CHECK(line_error(seats + "{\"" + key + "\":1}}") ==
              std::string(R"(field "seats": key ")") + key +
                  R"(" is not a seat type (decimal, no sign, no leading zeros))");
    }
    const std::string change = R"({"op":"add_seats","t":0,"conference":1,)";
    CHECK(parsed(change + R"("seat_type":65535,"quantity":1})").items[0].seat_type == 65535);
    CHECK(line_error(change + R"("seat_type":65536,"quantity":1})") ==
          R"(field "seat_type": 65536 is out of range 1..65535)");
    CHECK(line_error(change + R"("seat_type":0,"quantity":1})") ==
          R"(field "seat_type": 0 is out of range 1..65535)");
    CHECK(parsed(change + R"("seat_type":1,"quantity":4294967295})").items[0].quantity ==
          4294967295u);
    CHECK(line_error(change + R"("seat_type":1,"quantity":4294967296})") ==
          R"(field "quantity": 4294967296 is out of range 0..4294967295)");
    CHECK(line_error(seats + R"({"1":4294967296}})") ==
          R"(field "seats" item "1": 4294967296 is out of range 0..4294967295)");
    CHECK(line_error(seats + R"({"1":1},"hold_ttl_ms":4294967296})") ==
          R"(field "hold_ttl_ms": 4294967296 is out of range 0..4294967295)");
    CHECK(parsed(seats + R"({"1":1},"hold_ttl_ms":4294967295})").hold_ttl_ms == 4294967295u);
}

TEST_CASE("every kind of malformed line is refused with its line number and reason") {
    // Proves each input error of CONTRACT.md section 2 is caught, named precisely, and
    // reported at the right line even after comments and blank lines.
    const std::string prefix =
        "# a comment\n\n   \t\n  # indented comment\n"
        R"({"op":"tick","t":1})"
        "\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"op":"reserv","t":1})", R"(unknown op "reserv")"},
        {R"({"t":1})", R"(missing field "op")"},
        {R"({"op":"reserve","t":1,"conference":1,"reservation":2,"seats":{"1":1}})",
         R"(missing field "customer" for op "reserve")"},
        {R"({"op":"confirm","reservation":2})", R"(missing field "t" for op "confirm")"},
        {R"({"op":"tick","t":1,"foo":2})", R"(unexpected field "foo")"},
        {R"({"op":"confirm","t":1,"reservation":2,"seats":{}})",
         R"(unexpected field "seats" for op "confirm")"},
        {R"({"op":"tick","t":1,"hold_ttl_ms":1000})",
         R"(unexpected field "hold_ttl_ms" for op "tick")"},
        {R"({"op":"close_conference","t":1})",
         R"(missing field "conference" for op "close_conference")"},
        {R"({"op":"close_conference","t":1,"conference":1,"reservation":2})",
         R"(unexpected field "reservation" for op "close_conference")"},
        {R"({"op":"close_conference","t":1,"conference":0})",
         R"(field "conference": 0 is out of range 1..18446744073709551615)"},
        {R"({"op":"","t":1})", R"(unknown op "")"},
        {R"({"op":"tick","t":1,"t":2})", R"(duplicate key "t")"},
        {R"({"op":"tick","op":"tick","t":2})", R"(duplicate key "op")"},
        {R"({"op":"create_conference","t":0,"conference":1,"seats":{"1":1,"2":1,"1":3}})",
         R"(duplicate key "1" in "seats")"},
        {R"({"op":"tick","t":"5"})", R"(field "t": expected an integer, got "5")"},
        {R"({"op":"tick","t":1.0})", R"(field "t": expected an integer, got 1.0)"},
        {R"({"op":"tick","t":1e3})", R"(field "t": expected an integer, got 1e3)"},
        {R"({"op":"tick","t":true})", R"(field "t": expected an integer, got true)"},
        {R"({"op":"tick","t":null})", R"(field "t": expected an integer, got null)"},
        {R"({"op":"tick","t":[1]})", R"(field "t": expected an integer, got an array)"},
        {R"({"op":"tick","t":{}})", R"(field "t": expected an integer, got an object)"},
        {R"({"op":7,"t":1})", R"(field "op": expected a string, got 7)"},
        {R"({"op":"reserve","t":1,"conference":1,"reservation":2,"customer":3,"seats":[]})",
         R"(field "seats": expected an object, got an array)"},
        {R"({"op":"reserve","t":1,"conference":1,"reservation":2,"customer":3,"seats":{"1":"2"}})",
         R"(field "seats" item "1": expected an integer, got "2")"},
        {R"({"op":"reserve","t":1,"conference":1,"reservation":2,"customer":3,"seats":{"1":{}}})",
         R"(field "seats" item "1": expected an integer, got an object)"},
        {R"({"op":"add_seats","t":1,"conference":1,"seat_type":1,"quantity":-1})",
         R"(field "quantity": -1 is out of range 0..4294967295)"},
        {R"([{"op":"tick","t":1}])", "expected a JSON object, got an array"},
        {R"("tick")", R"(expected a JSON object, got "tick")"},
        {"42", "expected a JSON object, got 42"},
    };
    for (const auto& [line, reason] : cases) {
        const temp_file file(prefix + line + "\n" + R"({"op":"tick","t":2})" + "\n");
        const auto result = parse_file(file.path());
        INFO(line);
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error() == file.path().string() + ":6: " + reason);
    }
}

TEST_CASE("text that is not one JSON value is refused as not valid JSON") {
    // Proves syntax errors, trailing garbage and inline comments stop the file at their line.
    for (const std::string line :
         {R"({"op":"tick","t":1}})", R"({"op":"tick","t":1} x)", R"({"op":"tick","t":1} # c)",
          R"({"op":"tick","t":1}{"op":"tick","t":2})", R"({"op":"tick","t":01})",
          R"({"op":"tick" "t":1})", R"({"op":"tick","t":1,})", R"({'op':'tick','t':1})",
          "{\"op\":\"tick\",\"t\":1", "\v", "\x01"}) {
        const std::string error = file_error("\n" + line + "\n");
        INFO(line);
        CHECK(error.find(":2: not valid JSON at column ") != std::string::npos);
        CHECK(error.find('\n') == std::string::npos);
    }
    CHECK(line_error("").starts_with("not valid JSON at column "));
    CHECK(line_error(R"({"op":"tick","t":1} x)").find("syntax error") != std::string::npos);
}

TEST_CASE("error texts stay one line and bounded whatever the input holds") {
    // Proves quoted input is escaped and cut, so a hostile line cannot forge stderr lines.
    const std::string long_op(1000, 'x');
    CHECK(line_error(R"({"op":")" + long_op + R"(","t":1})") ==
          R"(unknown op ")" + std::string(64, 'x') + R"(...")");
    CHECK(line_error(R"({"op":"a\nb\"c","t":1})") == R"(unknown op "a\u000ab\"c")");
    CHECK(line_error(R"({"a\nb":1})") == R"(unexpected field "a\u000ab")");
}

TEST_CASE("duplicate seat types are caught past the stored items, and state resets per line") {
    // Proves the duplicate check covers every key (not only the 65 stored) and that a
    // reused parser forgets one line's seat types before the next.
    const std::string create = R"({"op":"create_conference","t":0,"conference":1,"seats":)";
    std::string seats = seats_json(70, 1);
    seats.back() = ',';
    seats += R"("70":1})";
    CHECK(line_error(create + seats + "}") == R"(duplicate key "70" in "seats")");

    const std::string wide = create + seats_json(70, 1) + "}\n";
    const std::string narrow = create + seats_json(3, 1) + "}\n";
    const std::string refused = create + R"({"5":1,"6":-1}})"
                                         "\n";
    const temp_file file(wide + wide + narrow + narrow + refused);
    const auto result = parse_file(file.path());
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() ==
          file.path().string() + R"(:5: field "seats" item "6": -1 is out of range 0..4294967295)");
    const temp_file good(wide + narrow + wide + narrow);
    const auto all = parse_file(good.path());
    REQUIRE(all.has_value());
    REQUIRE(all->size() == 4);
    CHECK((*all)[2].command.item_count == ordo::engine::command_items_max);
    CHECK((*all)[3].command.item_count == 3);
    CHECK((*all)[3].line == 4);
}

TEST_CASE("files: missing, empty, comment-only, no final newline, CRLF") {
    // Proves the file-level rules: I/O errors name the file, empty input is valid, and
    // line endings do not change what a line means.
    const auto missing = parse_file("/nonexistent/ordo/workload.jsonl");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error() ==
          "/nonexistent/ordo/workload.jsonl: cannot open: No such file or directory");

    for (const std::string content : {"", "\n\n", "# only\n  # comments\n\n", "   "}) {
        const temp_file file(content);
        const auto result = parse_file(file.path());
        REQUIRE(result.has_value());
        CHECK(result->empty());
    }
    const temp_file crlf("# header\r\n{\"op\":\"tick\",\"t\":3}\r\n\r\n{\"op\":\"tick\",\"t\":4}");
    const auto result = parse_file(crlf.path());
    REQUIRE(result.has_value());
    REQUIRE(result->size() == 2);
    CHECK((*result)[0].line == 2);
    CHECK((*result)[0].command.t_ms == 3);
    CHECK((*result)[1].line == 4);
    CHECK((*result)[1].command.t_ms == 4);
}

TEST_CASE("lines longer than a read chunk are reassembled") {
    // Proves the chunked reader joins a line split across reads (a 3 MiB line of spaces).
    const std::string padding(3u << 20, ' ');
    const temp_file file(R"({"op":"tick","t":1})"
                         "\n" +
                         padding + R"({"op":"tick","t":2})" + padding + "\n" +
                         R"({"op":"tick","t":3})"
                         "\n");
    const auto result = parse_file(file.path());
    REQUIRE(result.has_value());
    REQUIRE(result->size() == 3);
    CHECK((*result)[1].line == 2);
    CHECK((*result)[1].command.t_ms == 2);
    CHECK((*result)[2].command.t_ms == 3);
}

TEST_CASE("a directory and an endless line are refused with one clear line") {
    // Proves read errors name the file and the line-length bound stops unbounded buffering.
    const std::filesystem::path directory = std::filesystem::temp_directory_path();
    const auto unreadable = parse_file(directory);
    REQUIRE_FALSE(unreadable.has_value());
    CHECK(unreadable.error() == directory.string() + ": cannot read: Is a directory");

    const temp_file endless("# first\n" + std::string(ordo::workload::line_bytes_max + 1, ' '));
    const auto too_long = parse_file(endless.path());
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.error() == endless.path().string() + ":2: line is longer than 67108864 bytes");
}

TEST_CASE("contract examples: malformed fails at line 2, rules, random and close parse whole") {
    // Proves the shared examples (copied into tests/data) give the contract's verdicts.
    const std::filesystem::path data = ORDO_TEST_DATA_DIR;
    const auto malformed = parse_file(data / "malformed.jsonl");
    REQUIRE_FALSE(malformed.has_value());
    CHECK(malformed.error() ==
          (data / "malformed.jsonl").string() +
              R"(:2: field "seats" item "1": -1 is out of range 0..4294967295)");

    const auto rules = parse_file(data / "rules.jsonl");
    REQUIRE(rules.has_value());
    REQUIRE(rules->size() == 47);  // 48 lines, the first a comment
    CHECK(rules->front().line == 2);
    CHECK(rules->front().command.kind == op::create_conference);
    CHECK(rules->front().command.hold_ttl_ms == 1000);
    CHECK(rules->back().line == 48);
    CHECK(rules->back().command.kind == op::reserve);
    CHECK(rules->back().command.reservation == 110);

    const auto random = parse_file(data / "random.jsonl");
    REQUIRE(random.has_value());
    REQUIRE(random->size() == 3011);  // every line is a command
    CHECK(random->back().line == 3011);
    CHECK(random->back().command.kind == op::reserve);
    CHECK(random->back().command.t_ms == 426595);
    CHECK(random->back().command.reservation == 20280);
    REQUIRE(random->back().command.item_count == 1);
    CHECK(random->back().command.items[0].seat_type == 70);

    const auto close = parse_file(data / "close.jsonl");
    REQUIRE(close.has_value());
    REQUIRE(close->size() == 29);  // 30 lines, the first a comment
    CHECK((*close)[10].line == 12);
    CHECK((*close)[10].command.kind == op::close_conference);
    CHECK((*close)[10].command.conference == 1);
    CHECK((*close)[10].command.t_ms == 40);
}

namespace {

// Two commands are the same when they encode to the same slots (every field, every item).
bool same_command(const ordo::engine::command& a, const ordo::engine::command& b) {
    ordo::engine::command_slot left[ordo::engine::command_slots_max];
    ordo::engine::command_slot right[ordo::engine::command_slots_max];
    const std::uint32_t count = ordo::engine::encode(a, left);
    if (ordo::engine::encode(b, right) != count) return false;
    return std::memcmp(left, right, count * sizeof(ordo::engine::command_slot)) == 0;
}

std::vector<workload_command> streamed(const std::filesystem::path& path,
                                       std::expected<std::uint64_t, std::string>& result) {
    std::vector<workload_command> seen;
    result = for_each_command(path, [&](const workload_command& c) {
        seen.push_back(c);
        return true;
    });
    return seen;
}

// Resident set size of this process now, in KiB (from /proc/self/statm).
long resident_kib() {
    std::ifstream statm("/proc/self/statm");
    long pages_total = 0;
    long pages_resident = 0;
    statm >> pages_total >> pages_resident;
    return pages_resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

TEST_CASE("for_each_command and validate_file see exactly what parse_file sees") {
    // Proves the streaming entry points hand out the same commands, in the same order,
    // with the same line numbers, and count them, for the contract examples.
    const std::filesystem::path data = ORDO_TEST_DATA_DIR;
    for (const char* name : {"rules.jsonl", "random.jsonl"}) {
        INFO(name);
        const auto whole = parse_file(data / name);
        REQUIRE(whole.has_value());
        std::expected<std::uint64_t, std::string> result;
        const std::vector<workload_command> seen = streamed(data / name, result);
        REQUIRE(result.has_value());
        CHECK(*result == whole->size());
        REQUIRE(seen.size() == whole->size());
        for (std::size_t i = 0; i < seen.size(); i++) {
            if (seen[i].line != (*whole)[i].line) FAIL("line differs at command " << i);
            if (!same_command(seen[i].command, (*whole)[i].command)) {
                FAIL("command differs at line " << seen[i].line);
            }
        }
        const auto validated = validate_file(data / name);
        REQUIRE(validated.has_value());
        CHECK(*validated == whole->size());
    }
    const auto rules = validate_file(data / "rules.jsonl");
    CHECK(rules == std::expected<std::uint64_t, std::string>(47));
}

TEST_CASE("streaming stops at the first bad line with parse_file's error") {
    // Proves validate_file and for_each_command refuse what parse_file refuses, with the
    // same one-line error, and that the stream handed out only the lines before the error.
    const std::filesystem::path data = ORDO_TEST_DATA_DIR;
    const std::filesystem::path malformed = data / "malformed.jsonl";
    const auto whole = parse_file(malformed);
    REQUIRE_FALSE(whole.has_value());
    const auto validated = validate_file(malformed);
    REQUIRE_FALSE(validated.has_value());
    CHECK(validated.error() == whole.error());
    std::expected<std::uint64_t, std::string> result;
    const std::vector<workload_command> seen = streamed(malformed, result);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == whole.error());
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].line == 1);

    const temp_file late(
        "# c\n"
        R"({"op":"tick","t":1})"
        "\n\n"
        R"({"op":"tick","t":2})"
        "\n"
        R"({"op":"tick","t":"3"})"
        "\n"
        R"({"op":"tick","t":4})"
        "\n");
    const auto late_error = validate_file(late.path());
    REQUIRE_FALSE(late_error.has_value());
    CHECK(late_error.error() ==
          late.path().string() + R"(:5: field "t": expected an integer, got "3")");
    const std::vector<workload_command> before = streamed(late.path(), result);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == late_error.error());
    REQUIRE(before.size() == 2);
    CHECK(before[0].line == 2);
    CHECK(before[1].line == 4);
    CHECK(before[1].command.t_ms == 2);

    const auto missing = validate_file("/nonexistent/ordo/workload.jsonl");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error() ==
          "/nonexistent/ordo/workload.jsonl: cannot open: No such file or directory");
    const std::filesystem::path directory = std::filesystem::temp_directory_path();
    const auto unreadable =
        for_each_command(directory, [](const workload_command&) { return true; });
    REQUIRE_FALSE(unreadable.has_value());
    CHECK(unreadable.error() == directory.string() + ": cannot read: Is a directory");

    for (const std::string content : {"", "\n\n", "# only\n  # comments\n\n"}) {
        const temp_file empty(content);
        CHECK(validate_file(empty.path()) == std::expected<std::uint64_t, std::string>(0));
        std::uint64_t calls = 0;
        const auto count = [&](const workload_command&) { return ++calls > 0; };
        CHECK(for_each_command(empty.path(), count) ==
              std::expected<std::uint64_t, std::string>(0));
        CHECK(calls == 0);
    }
}

TEST_CASE("a large workload streams in bounded memory") {
    // Proves for_each_command keeps nothing per command: 200k commands (115 MB as a
    // vector of commands) stream in a child process whose resident set grows by less
    // than 24 MiB, with every command seen in order. (Under AddressSanitizer, whose
    // quarantine keeps freed lexer buffers and which is 20 times slower, only 20k
    // commands and no memory bound.)
#if defined(__SANITIZE_ADDRESS__)
    constexpr std::uint64_t count = 20'000;
#else
    constexpr std::uint64_t count = 200'000;
#endif
    std::string content;
    content.reserve(count * 64);
    for (std::uint64_t i = 0; i < count; i++) {
        if (i % 4 == 0) {
            content += R"({"op":"reserve","t":)";
            content += std::to_string(i);
            content += R"(,"conference":1,"reservation":)";
            content += std::to_string(i + 1);
            content += R"(,"customer":7,"seats":{"1":2,"5":1}})";
        } else {
            content += R"({"op":"tick","t":)";
            content += std::to_string(i);
            content += '}';
        }
        content += '\n';
    }
    const temp_file big(content);
    content = std::string();

    const auto validated = validate_file(big.path());
    REQUIRE(validated.has_value());
    CHECK(*validated == count);

    const long resident_before_kib = resident_kib();
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The child only streams and reports by exit status: 0 when every command came in
        // order with its line number and fields.
        std::uint64_t next = 0;
        bool ordered = true;
        const auto result = for_each_command(big.path(), [&](const workload_command& c) {
            ordered = ordered && c.line == next + 1 && c.command.t_ms == next;
            if (next % 4 == 0) {
                ordered = ordered && c.command.reservation == next + 1 &&
                          c.command.item_count == 2 && c.command.items[1].seat_type == 5;
            }
            next++;
            return true;
        });
        ::_exit(result.has_value() && *result == count && next == count && ordered ? 0 : 1);
    }
    int status = 0;
    rusage usage{};
    REQUIRE(::wait4(child, &status, 0, &usage) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    const long growth_kib = usage.ru_maxrss - resident_before_kib;
    INFO("child resident set grew by " << growth_kib << " KiB");
#if defined(__SANITIZE_ADDRESS__)
    SUCCEED("memory bound not checked under AddressSanitizer");
#else
    CHECK(growth_kib < 24 * 1024);
#endif
}

TEST_CASE("byte-level holes: NUL, byte order marks, invalid UTF-8, control bytes") {
    // Proves bytes the JSON lexer would read past or skip are refused with their line:
    // a NUL ended the line for it (so `{...}<NUL>junk` passed), a byte order mark was
    // skipped on every line; invalid UTF-8 and raw control bytes are not JSON.
    const std::string tick = R"({"op":"tick","t":1})";
    CHECK(line_error(tick + std::string(1, '\0') + "junk") == "NUL byte at column 20");
    CHECK(line_error(std::string(R"({"op":"ti)") + '\0' + R"(ck","t":1})") ==
          "NUL byte at column 10");
    CHECK(file_error("# c\n" + tick + std::string(1, '\0') + "\n").ends_with(
        ":2: NUL byte at column 20"));
    CHECK(file_error(tick + "\n" + std::string(1, '\0') + "\n").ends_with(
        ":2: NUL byte at column 1"));

    const std::string bom = "\xef\xbb\xbf";
    CHECK(line_error(bom + tick) ==
          "byte order mark (U+FEFF): allowed only at the start of the file");
    CHECK(file_error(tick + "\n" + bom + tick + "\n").ends_with(
        ":2: byte order mark (U+FEFF): allowed only at the start of the file"));
    for (const std::string& first : {bom + tick, bom + "# comment", bom}) {
        const temp_file file(first + "\n" + tick + "\n");
        const auto result = parse_file(file.path());
        INFO(first);
        REQUIRE(result.has_value());
        CHECK(result->size() == (first == bom + tick ? 2u : 1u));
    }

    for (const std::string bad_utf8 : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "a\x80"}) {
        for (const std::string& line : {R"({"op":")" + bad_utf8 + R"(","t":1})",
                                       R"({")" + bad_utf8 + R"(":1})", "{" + bad_utf8 + "}"}) {
            const std::string error = line_error(line);
            INFO(line);
            CHECK(error.starts_with("not valid JSON at column "));
            // The error line itself stays printable ASCII whatever bytes the line had.
            CHECK(std::all_of(error.begin(), error.end(), [](char c) {
                return static_cast<unsigned char>(c) >= 0x20 &&
                       static_cast<unsigned char>(c) < 0x7f;
            }));
        }
    }
    CHECK(line_error(R"({"op":"ti)" + std::string(1, '\x01') + R"(ck","t":1})")
              .starts_with("not valid JSON at column "));
    // Valid UTF-8 beyond ASCII is a well-formed string (here an unknown op, quoted back).
    CHECK(line_error(R"({"op":"r\u00e9serve","t":1})") == "unknown op \"r\xc3\xa9serve\"");
}

TEST_CASE("numbers the contract's integer fields refuse, and the ones they take") {
    // Proves the spellings of CONTRACT.md section 2's integers: a JSON integer only, in
    // range; a float spelling of an integer value is the wrong type, not rounded.
    CHECK(parsed(R"({"op":"tick","t":-0})").t_ms == 0);
    CHECK(parsed(R"({"op":"tick","t":0})").t_ms == 0);
    for (const std::string t : {"1.0", "1e3", "1E3", "0.0", "-0.0", "1e-3", "10E+2"}) {
        CHECK(line_error(R"({"op":"tick","t":)" + t + "}") ==
              R"(field "t": expected an integer, got )" + t);
    }
    for (const std::string t : {"01", "00", "-01", "+1", ".5", "0x10", "1_000", "Infinity",
                                "NaN", "-"}) {
        INFO(t);
        CHECK(line_error(R"({"op":"tick","t":)" + t + "}").starts_with("not valid JSON"));
    }
    CHECK(line_error(R"({"op":"tick","t":18446744073709551616})") ==
          R"(field "t": 18446744073709551616 is out of range 0..9223372036854775807)");
    CHECK(line_error(R"({"op":"tick","t":-9223372036854775809})") ==
          R"(field "t": -9223372036854775809 is out of range 0..9223372036854775807)");
    // Past a double's range the lexer itself refuses the number (overflow): still one line.
    const std::string huge = line_error(R"({"op":"tick","t":1)" + std::string(400, '0') + "}");
    CHECK(huge.find('\n') == std::string::npos);
    CHECK(huge.size() < 400);
}

namespace {

using ordo::workload::check_error;
using ordo::workload::check_options;
using ordo::workload::check_workload;
using ordo::workload::command_spool;

// Every command a spool holds, in order.
std::vector<workload_command> drained(command_spool& spool) {
    std::vector<workload_command> out;
    workload_command c{};
    while (true) {
        const auto got = spool.next(c);
        REQUIRE(got.has_value());
        if (!*got) return out;
        out.push_back(c);
    }
}

check_options spool_here() {
    return check_options{.spool_dir = std::filesystem::temp_directory_path()};
}

}  // namespace

TEST_CASE("check_workload reads once and gives back exactly what parse_file sees") {
    // Proves the one-pass check spools every command of the contract examples with its
    // line, in order, equal to parse_file's; and refuses what parse_file refuses with
    // the same one-line error.
    const std::filesystem::path data = ORDO_TEST_DATA_DIR;
    for (const char* name : {"rules.jsonl", "random.jsonl"}) {
        INFO(name);
        const auto whole = parse_file(data / name);
        REQUIRE(whole.has_value());
        auto spool = check_workload(data / name, spool_here());
        REQUIRE(spool.has_value());
        CHECK(spool->command_count() == whole->size());
        const std::vector<workload_command> seen = drained(*spool);
        REQUIRE(seen.size() == whole->size());
        for (std::size_t i = 0; i < seen.size(); i++) {
            if (seen[i].line != (*whole)[i].line) FAIL("line differs at command " << i);
            if (!same_command(seen[i].command, (*whole)[i].command)) {
                FAIL("command differs at line " << seen[i].line);
            }
        }
    }
    const auto malformed = check_workload(data / "malformed.jsonl", spool_here());
    REQUIRE_FALSE(malformed.has_value());
    CHECK(malformed.error().what == check_error::kind::input);
    CHECK(malformed.error().message == parse_file(data / "malformed.jsonl").error());

    const std::string seats = seats_json(70, 1);  // a command of 65 stored items: 9 slots
    const temp_file wide(R"({"op":"create_conference","t":5,"conference":3,"seats":)" + seats +
                         "}\n");
    auto spool = check_workload(wide.path(), spool_here());
    REQUIRE(spool.has_value());
    const std::vector<workload_command> one = drained(*spool);
    REQUIRE(one.size() == 1);
    CHECK(same_command(one[0].command, (*parse_file(wide.path()))[0].command));
}

TEST_CASE("check_workload takes a pipe, and stops on the interrupt flag while it waits") {
    // Proves the workload can come from a pipe (read once: the old two-pass run read
    // nothing the second time), and that a set flag stops a check blocked on a pipe whose
    // writer never finishes, as Ctrl-C must (the signal interrupts the read; here the flag
    // is already set when the read would wait).
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t writer = ::fork();
    REQUIRE(writer >= 0);
    if (writer == 0) {
        ::close(fds[0]);
        std::string text;
        for (int t = 0; t < 50'000; t++) text += R"({"op":"tick","t":)" + std::to_string(t) + "}\n";
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t got = ::write(fds[1], text.data() + done, text.size() - done);
            if (got <= 0) ::_exit(1);
            done += static_cast<std::size_t>(got);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    const std::string path = "/dev/fd/" + std::to_string(fds[0]);
    auto spool = check_workload(path, spool_here());
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(writer, &status, 0) == writer);
    REQUIRE(spool.has_value());
    const std::vector<workload_command> seen = drained(*spool);
    REQUIRE(seen.size() == 50'000);
    CHECK(seen.back().line == 50'000);
    CHECK(seen.back().command.t_ms == 49'999);

    REQUIRE(::pipe(fds) == 0);  // a writer that never writes nor closes
    std::atomic<int> interrupted{SIGINT};
    auto options = spool_here();
    options.interrupted = &interrupted;
    const auto stopped = check_workload("/dev/fd/" + std::to_string(fds[0]), options);
    ::close(fds[0]);
    ::close(fds[1]);
    REQUIRE_FALSE(stopped.has_value());
    CHECK(stopped.error().what == check_error::kind::interrupted);
}

TEST_CASE("check_workload: a spool directory it cannot write is a spool error") {
    // Proves the copy's own failures are told apart from bad input (the CLI exits 1 for
    // them, 2 for input) and name the directory.
    const std::filesystem::path data = ORDO_TEST_DATA_DIR;
    const auto missing = check_workload(
        data / "rules.jsonl", check_options{.spool_dir = "/nonexistent/ordo/spool"});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().what == check_error::kind::spool);
    CHECK(missing.error().message ==
          "cannot create a temporary file in /nonexistent/ordo/spool: No such file or directory");
}

TEST_CASE("a large workload is checked and spooled in bounded memory") {
    // Proves check_workload keeps nothing per command in memory: 200k commands go through
    // the check and back out of the spool in a child whose resident set grows by less than
    // 24 MiB (the same bound as streaming alone), in order with their lines.
#if defined(__SANITIZE_ADDRESS__)
    constexpr std::uint64_t count = 20'000;
#else
    constexpr std::uint64_t count = 200'000;
#endif
    std::string content;
    for (std::uint64_t i = 0; i < count; i++) {
        content += R"({"op":"reserve","t":)" + std::to_string(i) +
                   R"(,"conference":1,"reservation":)" + std::to_string(i + 1) +
                   R"(,"customer":7,"seats":{"1":2,"5":1}})" + "\n";
    }
    const temp_file big(content);
    content = std::string();
    const long resident_before_kib = resident_kib();
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto spool = check_workload(big.path(), spool_here());
        if (!spool || spool->command_count() != count) ::_exit(1);
        workload_command c{};
        for (std::uint64_t i = 0; i < count; i++) {
            const auto got = spool->next(c);
            if (!got || !*got || c.line != i + 1 || c.command.reservation != i + 1) ::_exit(2);
        }
        const auto end = spool->next(c);
        ::_exit(end && !*end ? 0 : 3);
    }
    int status = 0;
    rusage usage{};
    REQUIRE(::wait4(child, &status, 0, &usage) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    const long growth_kib = usage.ru_maxrss - resident_before_kib;
    INFO("child resident set grew by " << growth_kib << " KiB");
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(growth_kib < 24 * 1024);
#endif
}
