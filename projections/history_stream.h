#pragma once
// One stream of history (a reservation's or a conference's), built for `ordo query history`
// without the whole view: its checkpoint is history's (the same file, the same bytes), read
// in one pass that keeps only the stream's entries, and the journal after it is applied by
// the same rules (history_rules.h), keeping only what the stream needs. A query on a DIR
// whose journal goes on after the checkpoint (a live writer) decoded the whole view before
// (at 30 M commands, 1.6 s: the index of every held reservation rebuilt entry by entry);
// this costs one pass over the checkpoint's entries and a walk over the journal after it.
//
// For a conference stream, confirm, cancel and expiry name their conference through the
// reservation: the view keeps the reservations held in the conference (from the
// checkpoint's entries, then the journal's holds). A reservation stream needs none.
//
// Never saved: it is not the view its checkpoint file holds (whole() is false; saving
// asserts).
//
// Thread and lifecycle: projection.h.

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "projections/history.h"
#include "projections/history_rules.h"

namespace ordo::projections {

class history_stream_view final : public history_rules<history_stream_view> {
  public:
    explicit history_stream_view(const history_stream& stream) : stream_(stream) {
        ORDO_ASSERT(stream.id != 0);
    }
    // Its checkpoint file is history's (history::name()).
    std::string_view name() const noexcept override { return "history"; }
    bool whole() const noexcept override { return false; }
    // The stream's entries in history order.
    const std::vector<history_entry>& entries() const noexcept { return entries_; }

  private:
    friend class history_rules<history_stream_view>;
    // The stream's conference for a reservation held in it; 0 for any other (never held, or
    // held in another conference: the stream does not tell them apart).
    std::uint64_t conference_of(std::uint64_t reservation) const {
        return stream_.by == history_stream::kind::conference && held_.contains(reservation)
                   ? stream_.id
                   : 0;
    }
    std::uint64_t conference_of_held(std::uint64_t reservation) const {
        return conference_of(reservation);
    }
    void record(std::uint64_t conference, const history_entry& entry);

    void encode_view(state_writer& out) const override;
    bool decode_view(state_reader& in) override;
    void clear_view() override;

    history_stream stream_;
    std::vector<history_entry> entries_;
    std::unordered_set<std::uint64_t> held_;  // a conference stream's: held in it
};

}  // namespace ordo::projections
