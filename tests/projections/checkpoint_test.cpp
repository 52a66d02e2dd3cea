// Checkpoint files written a piece at a time: a state of several pieces is written and
// checksummed exactly as the whole state would be, and a write that fails part-way leaves
// the checkpoint before it, whole, and no temp file.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "journal/io/simulated_backend.h"
#include "projections/checkpoint.h"

namespace {

using namespace ordo;

// A view whose state is `words` words of a known sequence, to size a checkpoint at will.
class words_view final : public projections::projection {
  public:
    explicit words_view(std::uint64_t words = 0) : words_(words) {}
    std::string_view name() const noexcept override { return "words"; }
    std::uint64_t words() const noexcept { return words_; }

  private:
    static std::uint64_t word(std::uint64_t i) noexcept { return i * 0x9e37'79b9ull + 1; }
    void encode_view(projections::state_writer& out) const override {
        out.u64(words_);
        for (std::uint64_t i = 0; i < words_; i++) out.u64(word(i));
    }
    bool decode_view(projections::state_reader& in) override {
        if (!in.count(words_, 1)) return false;
        for (std::uint64_t i = 0; i < words_; i++) {
            std::uint64_t value = 0;
            if (!in.u64(value) || value != word(i)) return false;
        }
        return true;
    }
    void clear_view() override { words_ = 0; }

    std::uint64_t words_ = 0;
};

constexpr std::uint64_t piece_words = projections::state_writer::piece_words;

}  // namespace

TEST_CASE("checkpoint: a state of several pieces is the whole state, piece by piece",
          "[projections]") {
    const words_view view(piece_words * 2 + 3);  // two whole pieces and a part
    projections::state_writer whole;
    view.encode(whole);
    std::vector<std::byte> handed;
    std::uint64_t pieces = 0;
    projections::state_writer in_pieces([&](std::span<const std::byte> piece) {
        CHECK(piece.size() <= piece_words * 8);
        handed.insert(handed.end(), piece.begin(), piece.end());
        pieces++;
    });
    view.encode(in_pieces);
    CHECK(in_pieces.finish() == whole.bytes().size());
    CHECK(pieces == 3);
    CHECK(std::vector<std::byte>(whole.bytes().begin(), whole.bytes().end()) == handed);
    CHECK(projections::state_checksum(view) == journal::checksum(whole.bytes()));
}

TEST_CASE("checkpoint: written in pieces, loaded whole; a failed write keeps the one before",
          "[projections]") {
    journal::io::simulated_disk disk;
    REQUIRE(journal::io::make_dirs_durable(disk, "/d").has_value());
    const words_view before(piece_words + 5);
    REQUIRE(projections::save_checkpoint("/d", before, disk).has_value());
    const std::string file = projections::checkpoint_path("/d", before).string();
    disk.crash();  // what was saved is durable

    words_view loaded;
    REQUIRE(projections::load_checkpoint("/d", loaded, disk).value() ==
            projections::checkpoint_load::loaded);
    CHECK(loaded.words() == before.words());
    CHECK(projections::state_checksum(loaded) == projections::state_checksum(before));

    // The disk fills while the second of three pieces is written.
    const words_view after(piece_words * 2 + 7);
    disk.set_faults({.fail_file_write_at = disk.file_writes() + 2, .file_write_errno = ENOSPC});
    const auto full = projections::save_checkpoint("/d", after, disk);
    REQUIRE_FALSE(full.has_value());
    // This process's own temp name (two processes saving one view never share a file).
    const std::string temp = file + ".tmp-" + std::to_string(::getpid());
    CHECK(full.error().find(temp) != std::string::npos);
    CHECK_FALSE(disk.exists(temp));
    disk.set_faults({});
    words_view kept;
    REQUIRE(projections::load_checkpoint("/d", kept, disk).value() ==
            projections::checkpoint_load::loaded);
    CHECK(kept.words() == before.words());

    // A temp file a crash left behind, longer than the next state, is not part of it; the
    // temp files of processes that have exited, and older ordo's single name, are removed,
    // and a live process's is left alone.
    REQUIRE(projections::save_checkpoint("/d", after, disk).has_value());
    const words_view shorter(3);
    const std::vector<std::byte> junk(4096, std::byte{0x5a});
    const std::string exited = file + ".tmp-2147483000";  // above any pid_max: no process
    const std::string live = file + ".tmp-1";
    for (const std::string& left : {temp, exited, live, file + ".tmp"}) {
        REQUIRE(disk.write_at(left, 0, junk).has_value());
    }
    REQUIRE(projections::save_checkpoint("/d", shorter, disk).has_value());
    CHECK_FALSE(disk.exists(temp));
    CHECK_FALSE(disk.exists(exited));
    CHECK_FALSE(disk.exists(file + ".tmp"));
    CHECK(disk.exists(live));
    disk.crash();
    words_view last;
    REQUIRE(projections::load_checkpoint("/d", last, disk).value() ==
            projections::checkpoint_load::loaded);
    CHECK(last.words() == shorter.words());
}
