#include "projections/history_as_of.h"

#include "projections/checkpoint.h"
#include "projections/journal_source.h"

namespace ordo::projections {

std::optional<std::vector<history_entry>> history_as_of_checkpoint(
    const std::filesystem::path& data_dir, const history_stream& stream, const stop_point& stop,
    std::vector<std::string>& notes) {
    const std::filesystem::path path = checkpoint_path(data_dir, history{});
    const auto place = peek_checkpoint_place(path);
    if (!place || !place->past(stop)) return std::nullopt;
    const auto read = read_checkpoint_state(path);
    if (!read || !*read) {
        if (!read) notes.push_back("not reading history's checkpoint: " + read.error());
        return std::nullopt;
    }
    const std::span<const std::byte> state = (*read)->state();
    const auto position = projection::position_in(state);
    if (!position) {
        notes.push_back("not reading history's checkpoint: " + path.string() +
                        ": state does not decode");
        return std::nullopt;
    }
    // Its history is this journal's: the batch after it continues its chain.
    const std::optional<journal::durable_hint_view> hint =
        journal::durable_hint_view::open(data_dir);
    auto source = journal_source::open(data_dir, *position, hint ? &*hint : nullptr);
    auto next = source ? source->next()
                       : std::expected<std::optional<durable_batch>, std::string>(
                             std::unexpected(source.error()));
    if (!next) {
        notes.push_back("not reading history's checkpoint: the journal does not continue it (" +
                        next.error() + ")");
        return std::nullopt;
    }
    auto entries = history::stream_as_of(state, stream, stop);
    if (!entries) {
        notes.push_back("not reading history's checkpoint: " + path.string() +
                        ": state does not decode");
    }
    return entries;
}

}  // namespace ordo::projections
