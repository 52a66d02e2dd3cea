#include "projections/history_stream.h"

#include "base/assert.h"

namespace ordo::projections {

void history_stream_view::record(std::uint64_t conference, const history_entry& entry) {
    ORDO_ASSERT(entries_.empty() || entries_.back().command <= entry.command);
    if (!stream_.holds(entry.reservation, conference)) return;
    entries_.push_back(entry);
    // A hold in the conference: its confirm, cancel and expiry are the stream's too.
    if (stream_.by == history_stream::kind::conference && holds_reservation(entry)) {
        held_.insert(entry.reservation);
    }
}

void history_stream_view::encode_view(state_writer&) const {
    // Its bytes would stand in history's checkpoint for the whole view.
    ORDO_ASSERT(false && "a one-stream view is never saved");
}

bool history_stream_view::decode_view(state_reader& in) {
    // History's stored entries (history::encode_view), one pass, the stream's kept. The
    // checks are those a pass can make; the whole view's decode also refuses a reservation
    // held twice, which needs the index this view does without.
    std::uint64_t count = 0;
    if (!read_history_count(in, count)) return false;
    return read_history_entries(
        in, count,
        [&](const history_entry& e, std::uint64_t conference) {
            if (holds_reservation(e) && (conference == 0 || e.reservation == 0)) {
                return entry_step::bad;
            }
            // Most entries are not the stream's: passed over here, without the call.
            if (stream_.holds(e.reservation, conference)) record(conference, e);
            return entry_step::next;
        },
        [](std::uint64_t) {});
}

void history_stream_view::clear_view() {
    entries_.clear();
    held_.clear();
}

}  // namespace ordo::projections
