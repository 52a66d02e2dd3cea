#include "engine/recovery.h"

#include <cstring>
#include <stop_token>
#include <thread>

#include "engine/replay.h"
#include "engine/schema/events.h"
#include "engine/state_codec.h"
#include "base/clock.h"
#include "journal/reader.h"
#include "journal/record.h"
#include "journal/snapshot_store.h"

namespace ordo::engine {
namespace {

journal::journal_position position_of(const journal::snapshot_position& p) {
    return journal::journal_position{.next_batch_number = p.next_batch_number,
                                     .next_sequence = p.next_sequence,
                                     .segment_index = p.segment_index,
                                     .segment_offset = p.segment_offset,
                                     .previous_header_checksum = p.previous_header_checksum};
}

// Loads the newest snapshot that verifies and decodes; skipped ones become notes. Returns
// false when the state was left half decoded (the caller replaces it).
std::expected<bool, std::string> restore_snapshot(const std::filesystem::path& data_dir,
                                                  recovery_result& result) {
    std::vector<journal::journal_error> skipped;
    auto loaded = journal::load_newest_snapshot(data_dir, &skipped);
    for (const journal::journal_error& e : skipped) {
        result.notes.push_back("skipped damaged snapshot: " + e.message());
    }
    if (!loaded) return std::unexpected(loaded.error().message());
    if (!loaded->has_value()) return true;
    const journal::loaded_snapshot& snapshot = **loaded;
    auto decoded = decode_state(snapshot.payload, *result.state);
    if (!decoded) {
        // The snapshot verifies but does not fit this configuration: replay everything.
        result.notes.push_back("not using snapshot " + snapshot.info.path.string() + ": " +
                               decoded.error());
        return false;
    }
    result.snapshot = snapshot.info.path;
    result.position = position_of(snapshot.info.position);
    return true;
}

}  // namespace

std::string describe(const journal::tail_report& tail) {
    return tail.path + " at byte " + std::to_string(tail.segment_offset) + ": " + tail.detail;
}

std::filesystem::path journal_dir(const std::filesystem::path& data_dir) {
    return data_dir / "journal";
}

std::expected<recovery_result, std::string> recover(const std::filesystem::path& data_dir,
                                                    const state_options& options,
                                                    const recovery_options& how) {
    if (auto bad = validate(options)) return std::unexpected(*bad);
    recovery_result result;
    // The tables' pages fault in on the other core while this one replays; the jthread
    // stops and joins on every way out of this function, before `result` goes.
    std::jthread populator;
    auto fresh_state = [&] {
        if (populator.joinable()) {
            populator.request_stop();
            populator.join();
        }
        result.state = std::make_unique<booking_state>(options);
        if (how.population == table_population::before_replay) {
            result.state->prefault();
            return;
        }
        const booking_state& tables = *result.state;
        populator = std::jthread([&tables](std::stop_token stop) {
            tables.populate_concurrently(stop);
        });
    };
    fresh_state();
    if (how.use_snapshots) {
        auto restored = restore_snapshot(data_dir, result);
        if (!restored) return std::unexpected(restored.error());
        if (!*restored) fresh_state();  // the snapshot did not fit: replay everything
    }
    const std::uint64_t replay_start_ns = base::monotonic_ns();
    auto reader = journal::reader::open(journal_dir(data_dir), result.position);
    if (!reader) return std::unexpected(reader.error().message());
    auto replayed = replay_journal(*reader, *result.state, how.on_progress);
    if (!replayed) return std::unexpected(replayed.error());
    result.records_replayed = replayed->records;
    result.batches_replayed = replayed->batches;
    result.replay_ns = base::monotonic_ns() - replay_start_ns;
    if (auto torn = reader->torn_tail()) result.torn_tail = describe(*torn);
    result.position = reader->position();
    return result;
}

}  // namespace ordo::engine
