#include "engine/recovery.h"

#include <cstring>

#include "engine/apply.h"
#include "engine/events.h"
#include "engine/state_codec.h"
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

// Loads the newest snapshot that verifies and decodes; skipped ones become notes.
std::expected<void, std::string> restore_snapshot(const std::filesystem::path& data_dir,
                                                  const state_options& options,
                                                  recovery_result& result) {
    std::vector<journal::journal_error> skipped;
    auto loaded = journal::load_newest_snapshot(data_dir, &skipped);
    for (const journal::journal_error& e : skipped) {
        result.notes.push_back("skipped damaged snapshot: " + e.message());
    }
    if (!loaded) return std::unexpected(loaded.error().message());
    if (!loaded->has_value()) return {};
    const journal::loaded_snapshot& snapshot = **loaded;
    auto decoded = decode_state(snapshot.payload, *result.state);
    if (!decoded) {
        // The snapshot verifies but does not fit this configuration: replay everything.
        result.notes.push_back("not using snapshot " + snapshot.info.path.string() + ": " +
                               decoded.error());
        result.state = std::make_unique<booking_state>(options);
        return {};
    }
    result.snapshot = snapshot.info.path;
    result.position = position_of(snapshot.info.position);
    return {};
}

// The reservation a record touches, so replay can prefetch its table line ahead.
std::uint64_t reservation_of(const journal::record_view& record) noexcept {
    switch (static_cast<event_type>(record.type)) {
        case event_type::reservation_held:
            return read_payload<reservation_held_v1>(record.payload).reservation;
        case event_type::reservation_confirmed:
        case event_type::reservation_cancelled:
            return read_payload<reservation_changed_v1>(record.payload).reservation;
        case event_type::reservation_expired:
            return read_payload<reservation_expired_v1>(record.payload).reservation;
        default: return 0;
    }
}

std::expected<void, std::string> check_known(const journal::batch_view& batch,
                                             const journal::record_view& record) {
    if (record.type != 0 && record.type <= event_type_max &&
        record.schema_version == event_schema_version) {
        return {};
    }
    return std::unexpected("batch " + std::to_string(batch.batch_number) +
                           " holds a record of type " + std::to_string(record.type) +
                           " version " + std::to_string(record.schema_version) +
                           " that this ordo does not know: upgrade ordo");
}

std::expected<void, std::string> apply_batch(const journal::batch_view& batch,
                                             recovery_result& result) {
    constexpr std::uint32_t prefetch_distance = 16;
    const journal::record_range records(batch.body, batch.record_count);
    auto ahead = records.begin();
    for (std::uint32_t i = 0; i < prefetch_distance && ahead != records.end(); i++, ++ahead) {
        if (check_known(batch, *ahead) && reservation_of(*ahead) != 0) {
            result.state->prefetch_reservation(reservation_of(*ahead));
        }
    }
    for (const journal::record_view record : records) {
        if (auto known = check_known(batch, record); !known) return known;
        if (ahead != records.end()) {
            if (check_known(batch, *ahead) && reservation_of(*ahead) != 0) {
                result.state->prefetch_reservation(reservation_of(*ahead));
            }
            ++ahead;
        }
        switch (apply(*result.state, record.bytes)) {
            case apply_result::applied: break;
            case apply_result::conferences_full:
                return std::unexpected("the journal holds more conferences than "
                                       "--conferences-max: raise it");
            case apply_result::reservations_full:
                return std::unexpected("the journal holds more reservations than "
                                       "--reservations-max: raise it");
        }
        result.records_replayed++;
    }
    result.batches_replayed++;
    return {};
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
    result.state = std::make_unique<booking_state>(options);
    if (how.use_snapshots) {
        if (auto restored = restore_snapshot(data_dir, options, result); !restored) {
            return std::unexpected(restored.error());
        }
    }
    auto reader = journal::reader::open(journal_dir(data_dir), result.position);
    if (!reader) return std::unexpected(reader.error().message());
    for (;;) {
        auto batch = reader->next();
        if (!batch) return std::unexpected(batch.error().message());
        if (!batch->has_value()) break;
        if (auto applied = apply_batch(**batch, result); !applied) {
            return std::unexpected(applied.error());
        }
    }
    if (auto torn = reader->torn_tail()) result.torn_tail = describe(*torn);
    result.position = reader->position();
    return result;
}

}  // namespace ordo::engine
