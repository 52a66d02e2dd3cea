#include "projections/manifest_lag.h"

#include <sys/stat.h>
#include <time.h>

#include "base/clock.h"
#include "journal/data_dir.h"
#include "journal/manifest.h"

namespace ordo::projections {
namespace {

std::int64_t realtime_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

void manifest_lag::before_poll(std::uint64_t applied_sequence) {
    applied_sequence_ = applied_sequence;
    if (hint_seen_) return;  // the manifest is only read for its lag until a hint is used
    read_if_changed();
    behind_records_ =
        durable_sequence_ > applied_sequence ? durable_sequence_ - applied_sequence : 0;
}

void manifest_lag::read_if_changed() {
    struct stat st {};
    const auto path = journal::data_dir_layout::manifest(data_dir_);
    if (::stat(path.c_str(), &st) != 0) return;  // none yet: nothing to measure against
    const std::int64_t mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 +
                                  st.st_mtim.tv_nsec;
    if (mtime_ns == mtime_ns_) return;
    auto recorded = journal::read_manifest(data_dir_);
    if (!recorded || !recorded->has_value()) return;  // the follower's own read reports it
    mtime_ns_ = mtime_ns;
    durable_batches_ = (**recorded).durable_end.next_batch_number;
    durable_sequence_ = (**recorded).durable_end.next_sequence;
    open_ = (**recorded).state == journal::manifest_state::open;
    sampled_ = false;
}

void manifest_lag::after_poll(std::uint64_t applied_batches, bool applied_any,
                              const std::optional<journal::durable_hint_value>& hint) {
    if (hint) {
        hint_seen_ = true;
        const std::uint64_t end_sequence = hint->durable.next_sequence;
        if (applied_any) {
            lag_.records.add(end_sequence > applied_sequence_ ? end_sequence - applied_sequence_
                                                              : 0);
        }
        // Only a poll that applied something: one that found nothing new is at the end (a
        // writer gone quiet would otherwise count its silence as lag).
        if (applied_any && applied_batches >= hint->durable.next_batch_number) {
            const std::uint64_t now_ns = base::monotonic_ns();
            const std::uint64_t at_ns = hint->durable_monotonic_ns;
            lag_.us.add(now_ns > at_ns ? (now_ns - at_ns) / 1000 : 0);
        }
        return;
    }
    if (hint_seen_) return;
    if (mtime_ns_ == 0 || !open_) return;
    if (applied_any) lag_.records.add(behind_records_);
    if (!sampled_ && applied_batches >= durable_batches_) {
        const std::int64_t behind_ns = realtime_ns() - mtime_ns_;
        lag_.us.add(behind_ns > 0 ? static_cast<std::uint64_t>(behind_ns) / 1000 : 0);
        sampled_ = true;
    }
}

}  // namespace ordo::projections
