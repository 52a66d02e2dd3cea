#include "journal/verify.h"

#include "base/assert.h"
#include "journal/format.h"
#include "journal/record.h"

namespace ordo::journal {

std::expected<verify_report, journal_error> verify(const std::filesystem::path& dir,
                                                   const verify_progress& progress,
                                                   const journal_expectations& expected) {
    auto opened = reader::open(dir, {}, expected);
    if (!opened) return std::unexpected(opened.error());
    reader& scan = *opened;
    verify_report report;
    report.segments = scan.segment_count();
    base::progress_timer timer(progress);
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
        timer.step(report);
    }
    report.end = scan.position();
    report.torn_tail = scan.torn_tail();
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
