#include "engine/recovery.h"

#include <cstring>
#include <limits>
#include <stop_token>
#include <thread>

#include "engine/replay.h"
#include "engine/schema/events.h"
#include "engine/state_codec.h"
#include "base/clock.h"
#include "journal/data_dir.h"
#include "journal/reader.h"
#include "journal/record.h"
#include "journal/snapshot_store.h"

namespace ordo::engine {
namespace {

constexpr std::size_t conferences_word = 0;
constexpr std::size_t reservations_word = 1;

journal::journal_position position_of(const journal::snapshot_position& p) {
    return journal::journal_position{.next_batch_number = p.next_batch_number,
                                     .next_sequence = p.next_sequence,
                                     .segment_index = p.segment_index,
                                     .segment_offset = p.segment_offset,
                                     .previous_header_checksum = p.previous_header_checksum};
}

enum class attempt : std::uint8_t { used, not_used };

// The note for a snapshot whose last batch is not the journal's batch of that number: a
// file copied in from another directory (the same words whether it was tried or passed over).
std::string foreign_note(const std::filesystem::path& path, std::uint64_t next_batch_number) {
    ORDO_ASSERT(next_batch_number > 0);
    return "snapshot " + path.string() + " does not belong to this journal (its batch " +
           std::to_string(next_batch_number - 1) +
           " checksum differs): ignored, recovered from the journal";
}

// Whether the journal holds the batch an older snapshot than the one used ends at, judged
// from one batch: the one that continues after it (the reader checks its number and its
// chain field, the header checksum of the batch before it, against the snapshot's). Older
// snapshots are never loaded, but one copied in from another directory is noted, not
// silently ignored. One whose header did not verify names no batch: `ordo journal verify`
// reports it. The journal up to the snapshot used is verified beside the replay, so only the
// link is in question here.
bool journal_continues(const std::filesystem::path& journal_path,
                       const journal::snapshot_info& info) {
    ORDO_ASSERT(info.position.next_batch_number > 0);
    auto reader = journal::reader::open(journal_path, position_of(info.position));
    if (!reader) return false;
    auto next = reader->next();
    if (!next || !next->has_value()) return false;
    ORDO_ASSERT((*next)->batch_number == info.position.next_batch_number);
    return true;
}

// One recovery: the state being rebuilt, the thread faulting its tables in, and what it
// found. The populator is declared after the result, so it stops and joins before the
// state it touches could go.
struct recovery_run {
    const std::filesystem::path& data_dir;
    const state_options& options;
    const recovery_options& how;
    journal::journal_expectations expected{};
    recovery_result result{};
    std::jthread populator;

    void fresh_state();
    std::expected<void, std::string> replay_from(const journal::journal_position& start);
    std::expected<attempt, std::string> try_snapshot(const journal::snapshot_info& info);
};

// Empty tables (again, when a snapshot was decoded into them and then not used): the
// tables' pages fault in on the other core while this one replays.
void recovery_run::fresh_state() {
    if (populator.joinable()) {
        populator.request_stop();
        populator.join();
    }
    result.state = std::make_unique<booking_state>(options);
    result.position = {};
    result.snapshot.reset();
    result.torn_tail.reset();
    result.records_replayed = 0;
    result.batches_replayed = 0;
    result.batches_verified = 0;
    result.replay_ns = 0;
    if (how.population == table_population::before_replay) {
        result.state->prefault();
        return;
    }
    const booking_state& tables = *result.state;
    populator = std::jthread([&tables](std::stop_token stop) {
        tables.populate_concurrently(stop);
    });
}

std::expected<void, std::string> recovery_run::replay_from(const journal::journal_position& start) {
    const std::uint64_t replay_start_ns = base::monotonic_ns();
    auto reader = journal::reader::open(journal_dir(data_dir), start, expected);
    if (!reader) return std::unexpected(reader.error().message());
    auto replayed = replay_journal(*reader, *result.state, how.on_progress,
                                   how.until ? &*how.until : nullptr);
    if (!replayed) return std::unexpected(replayed.error());
    result.records_replayed = replayed->records;
    result.batches_replayed = replayed->batches;
    result.replay_ns = base::monotonic_ns() - replay_start_ns;
    if (auto torn = reader->torn_tail()) result.torn_tail = describe(*torn);
    result.position = reader->position();
    return {};
}

// Decodes the snapshot and replays the journal after it while another thread checks that
// the journal holds what the snapshot covers (every batch before it, the last one the same).
// Damage found by either is the error; a snapshot the journal does not vouch for, or one
// that does not decode, is not used (a note says why) and the caller starts again.
std::expected<attempt, std::string> recovery_run::try_snapshot(const journal::snapshot_info& info) {
    auto loaded = journal::load_snapshot(info);
    if (!loaded) {
        // Damage and newer formats fall back to an older snapshot (the journal replays
        // the difference); a file pruned meanwhile is simply gone. I/O errors stop here.
        const journal::journal_errc code = loaded.error().code;
        if (code != journal::journal_errc::damaged &&
            code != journal::journal_errc::format_version &&
            code != journal::journal_errc::not_found) {
            return std::unexpected(loaded.error().message());
        }
        result.notes.push_back("skipped damaged snapshot: " + loaded.error().message());
        return attempt::not_used;
    }
    const journal::journal_position covered = position_of(loaded->info.position);
    // Time travel decodes first: a snapshot past the point is passed over before the
    // journal it covers is checked (the check of an older one covers less).
    std::optional<std::expected<void, std::string>> decoded_first;
    if (how.until) {
        decoded_first = decode_state(loaded->payload, *result.state);
        if (*decoded_first && past_stop(*result.state, *how.until)) return attempt::not_used;
    }
    std::optional<std::expected<journal::prefix_report, journal::journal_error>> prefix;
    std::jthread verifier([&] {
        prefix = journal::verify_prefix(journal_dir(data_dir), covered, expected, how.on_verify);
    });
    auto decoded =
        decoded_first ? *decoded_first : decode_state(loaded->payload, *result.state);
    std::expected<void, std::string> tail;
    if (decoded) tail = replay_from(covered);
    verifier.join();
    if (!*prefix) return std::unexpected(prefix->error().message());
    const std::string name = "not using snapshot " + info.path.string() + ": ";
    const journal::prefix_report& checked = **prefix;
    if (checked.verdict == journal::prefix_verdict::ends_before) {
        result.notes.push_back(name + "it covers " + std::to_string(covered.next_batch_number) +
                               " batches, the journal holds " +
                               std::to_string(checked.reached.next_batch_number) +
                               " (a snapshot of another or a longer history)");
        return attempt::not_used;
    }
    if (checked.verdict == journal::prefix_verdict::differs) {
        result.notes.push_back(foreign_note(info.path, covered.next_batch_number));
        return attempt::not_used;
    }
    if (!decoded) {
        // The snapshot verifies but does not fit this configuration.
        result.notes.push_back(name + decoded.error());
        return attempt::not_used;
    }
    if (!tail) return std::unexpected(tail.error());
    result.snapshot = info.path;
    result.batches_verified = covered.next_batch_number;
    return attempt::used;
}

}  // namespace

std::array<std::uint64_t, journal::manifest_parameters_count> manifest_parameters(
    const state_options& tables) {
    ORDO_ASSERT(!validate(tables).has_value());
    std::array<std::uint64_t, journal::manifest_parameters_count> words{};
    words[conferences_word] = tables.conferences_max;
    words[reservations_word] = tables.reservations_max;
    return words;
}

std::expected<state_options, std::string> tables_of(const journal::manifest& recorded) {
    const auto& words = recorded.parameters;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i == conferences_word || i == reservations_word) continue;
        if (words[i] != 0) return std::unexpected("the manifest holds parameters this ordo "
                                                  "does not know: upgrade ordo");
    }
    constexpr std::uint64_t u32_max = std::numeric_limits<std::uint32_t>::max();
    if (words[conferences_word] > u32_max || words[reservations_word] > u32_max) {
        return std::unexpected("the manifest's table capacities are out of range");
    }
    const state_options tables{
        .conferences_max = static_cast<std::uint32_t>(words[conferences_word]),
        .reservations_max = static_cast<std::uint32_t>(words[reservations_word])};
    if (auto bad = validate(tables)) return std::unexpected("the manifest's " + *bad);
    return tables;
}

std::string describe(const journal::tail_report& tail) {
    return tail.path + " at byte " + std::to_string(tail.segment_offset) + ": " + tail.detail;
}

std::filesystem::path journal_dir(const std::filesystem::path& data_dir) {
    return journal::data_dir_layout::journal(data_dir);
}

journal::manifest new_manifest(const state_options& tables, std::uint64_t segment_bytes) {
    return journal::manifest{.write_count = 1,
                             .segment_bytes = segment_bytes,
                             .segment_count = 0,
                             .state = journal::manifest_state::open,
                             .durable_end = {},
                             .parameters = manifest_parameters(tables)};
}

journal::writer_options continuing_writer(journal::writer_options options,
                                          const std::filesystem::path& data_dir,
                                          const recovery_result& recovered,
                                          const journal::io::file_lock& lock,
                                          std::uint32_t manifest_interval_ms) {
    ORDO_ASSERT(recovered.manifest.has_value());
    ORDO_ASSERT(lock.held());
    options.dir = journal_dir(data_dir);
    options.manifest = journal::manifest_keeping{.data_dir = data_dir,
                                                 .lock = &lock,
                                                 .written = *recovered.manifest,
                                                 .interval_ms = manifest_interval_ms};
    return options;
}

std::expected<recovery_result, std::string> recover(const std::filesystem::path& data_dir,
                                                    const state_options& options,
                                                    const recovery_options& how) {
    if (auto bad = validate(options)) return std::unexpected(*bad);
    recovery_run run{.data_dir = data_dir, .options = options, .how = how};
    auto recorded = journal::read_manifest(data_dir);
    if (!recorded) return std::unexpected(recorded.error().message());
    run.result.manifest = *recorded;
    if (*recorded) run.expected = journal::expectations_of(**recorded);
    run.fresh_state();
    if (how.use_snapshots) {
        auto listed = journal::list_snapshots(data_dir);
        if (!listed) return std::unexpected(listed.error().message());
        for (std::size_t i = 0; i < listed->size(); i++) {
            auto tried = run.try_snapshot((*listed)[i]);
            if (!tried) return std::unexpected(tried.error());
            if (*tried == attempt::used) {
                for (std::size_t older = i + 1; older < listed->size(); older++) {
                    const journal::snapshot_info& info = (*listed)[older];
                    if (info.position.next_batch_number == 0) continue;  // damaged header
                    if (journal_continues(journal_dir(data_dir), info)) continue;
                    run.result.notes.push_back(
                        foreign_note(info.path, info.position.next_batch_number));
                }
                return std::move(run.result);
            }
            run.fresh_state();  // it may have been decoded into, and replayed after
        }
    }
    if (auto replayed = run.replay_from({}); !replayed) {
        return std::unexpected(replayed.error());
    }
    return std::move(run.result);
}

}  // namespace ordo::engine
