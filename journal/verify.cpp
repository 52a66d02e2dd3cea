#include "journal/verify.h"

#include <algorithm>

#include "base/assert.h"
#include "journal/format.h"
#include "journal/record.h"

namespace ordo::journal {

namespace {

// Judges the positions asked about as the walk passes them; those never reached end before.
class position_judge {
public:
    explicit position_judge(std::span<const journal_position> positions)
        : positions_(positions), verdicts_(positions.size(), prefix_verdict::ends_before) {
        for (std::size_t i = 0; i < positions.size(); ++i) order_.push_back(i);
        std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
            return positions_[a].next_batch_number < positions_[b].next_batch_number;
        });
    }
    // The journal stands at `at` (after a batch, or at its start).
    void at(const journal_position& here) {
        while (next_ < order_.size() &&
               positions_[order_[next_]].next_batch_number <= here.next_batch_number) {
            const std::size_t i = order_[next_++];
            if (positions_[i].next_batch_number < here.next_batch_number) continue;  // skipped
            verdicts_[i] = positions_[i] == here ? prefix_verdict::holds : prefix_verdict::differs;
        }
    }
    std::vector<prefix_verdict> take() { return std::move(verdicts_); }

private:
    std::span<const journal_position> positions_;
    std::vector<prefix_verdict> verdicts_;
    std::vector<std::size_t> order_;
    std::size_t next_ = 0;
};

}  // namespace

std::expected<verify_report, journal_error> verify(const std::filesystem::path& dir,
                                                   const verify_progress& progress,
                                                   const journal_expectations& expected,
                                                   std::span<const journal_position> positions) {
    auto opened = reader::open(dir, {}, expected);
    if (!opened) return std::unexpected(opened.error());
    reader& scan = *opened;
    verify_report report;
    report.segments = scan.segment_count();
    base::progress_timer timer(progress);
    position_judge judge(positions);
    judge.at(scan.position());
    for (;;) {
        auto batch = scan.next();
        if (!batch) return std::unexpected(batch.error());
        if (!batch->has_value()) break;
        const batch_view& view = **batch;
        std::uint32_t records = 0;
        for (const record_view record : record_range(view.body, view.record_count)) {
            ORDO_ASSERT(record.type != 0);
            ++records;
        }
        ORDO_ASSERT(records == view.record_count);
        if (report.batches == 0) report.time_ms_first = view.time_ms;
        report.time_ms_last = view.time_ms;
        ++report.batches;
        report.records += records;
        report.body_bytes += view.body.size();
        report.disk_bytes += batch_disk_bytes(static_cast<std::uint32_t>(view.body.size()));
        judge.at(scan.position());
        timer.step(report);
    }
    report.end = scan.position();
    report.torn_tail = scan.torn_tail();
    report.verdicts = judge.take();
    return report;
}

std::expected<prefix_report, journal_error> verify_prefix(const std::filesystem::path& dir,
                                                          const journal_position& end,
                                                          const journal_expectations& expected,
                                                          const verify_progress& progress) {
    auto opened = reader::open(dir, {}, expected);
    if (!opened) return std::unexpected(opened.error());
    reader& scan = *opened;
    prefix_report report;
    verify_report so_far;
    base::progress_timer timer(progress);
    while (scan.position().next_batch_number < end.next_batch_number) {
        auto batch = scan.next();
        if (!batch) return std::unexpected(batch.error());
        if (!batch->has_value()) {
            report.verdict = prefix_verdict::ends_before;
            report.reached = scan.position();
            return report;
        }
        const std::uint64_t bytes =
            batch_disk_bytes(static_cast<std::uint32_t>((*batch)->body.size()));
        report.disk_bytes += bytes;
        ++so_far.batches;
        so_far.records += (*batch)->record_count;
        so_far.disk_bytes += bytes;
        timer.step(so_far);
    }
    report.reached = scan.position();
    ORDO_ASSERT(report.reached.next_batch_number == end.next_batch_number);
    report.verdict = report.reached == end ? prefix_verdict::holds : prefix_verdict::differs;
    return report;
}

}  // namespace ordo::journal
