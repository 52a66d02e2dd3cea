#include "journal/writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/assert.h"
#include "base/clock.h"
#include "base/wait/backoff.h"
#include "journal/data_dir.h"
#include "journal/format.h"
#include "journal/io/file_system.h"
#include "journal/io/simulated_backend.h"
#include "journal/reader_gate.h"
#include "journal/record.h"
#include "journal/segment.h"
#include "journal/segment_preparer.h"

namespace ordo::journal {
namespace {

journal_error invalid(std::string detail) {
    return journal_error{.code = journal_errc::invalid_argument, .detail = std::move(detail)};
}

std::expected<void, journal_error> check_options(const writer_options& options,
                                                 const journal_position& tail) {
    if (options.dir.empty()) return std::unexpected(invalid("writer_options.dir is empty"));
    if (options.segment_bytes < segment_bytes_min || options.segment_bytes > segment_bytes_max) {
        return std::unexpected(invalid("segment_bytes outside [1 MiB, 16 GiB]"));
    }
    if (options.segment_bytes % block_bytes != 0) {
        return std::unexpected(invalid("segment_bytes not a multiple of 4096"));
    }
    if (options.batch_bytes_max < batch_bytes_min || options.batch_bytes_max > batch_bytes_max) {
        return std::unexpected(invalid("batch_bytes_max outside [128 KiB, 1 MiB]"));
    }
    if (options.batch_bytes_max % block_bytes != 0) {
        return std::unexpected(invalid("batch_bytes_max not a multiple of 4096"));
    }
    if (options.batches_in_flight < 1 || options.batches_in_flight > batches_in_flight_max) {
        return std::unexpected(invalid("batches_in_flight outside [1, 4]"));
    }
    if (options.batch_buffers != 0 && (options.batch_buffers < options.batches_in_flight ||
                                       options.batch_buffers > batch_buffers_max)) {
        return std::unexpected(invalid("batch_buffers outside [batches_in_flight, " +
                                       std::to_string(batch_buffers_max) + "]"));
    }
    if (options.backend == io_backend_kind::simulated && options.simulated_disk == nullptr) {
        return std::unexpected(invalid("backend simulated needs simulated_disk"));
    }
    if (tail.segment_offset % block_bytes != 0) {
        return std::unexpected(invalid("tail segment_offset not block-aligned"));
    }
    if (options.manifest.has_value()) {
        const manifest_keeping& keeping = *options.manifest;
        if (keeping.lock == nullptr || !keeping.lock->held()) {
            return std::unexpected(invalid("manifest keeping needs the data directory's lock"));
        }
        if (options.dir != data_dir_layout::journal(keeping.data_dir)) {
            return std::unexpected(invalid("the writer's dir is not the data dir's journal"));
        }
        if (keeping.written.segment_bytes != options.segment_bytes) {
            return std::unexpected(invalid("segment_bytes differs from the manifest's"));
        }
        if (keeping.interval_ms < manifest_keeper::interval_ms_min ||
            keeping.interval_ms > manifest_keeper::interval_ms_max) {
            return std::unexpected(invalid("manifest interval_ms outside [1, 60000]"));
        }
    }
    return {};
}

std::string failed_operation_name(io::io_operation operation) {
    switch (operation) {
        case io::io_operation::write: return "write of batch ";
        case io::io_operation::sync: return "fdatasync after batch ";
        case io::io_operation::write_dsync: return "write (RWF_DSYNC: data or sync) of batch ";
    }
    ORDO_ASSERT(false);
    return {};
}

}  // namespace

writer::writer(const writer_options& options, const journal_position& tail)
    : options_(options),
      segment_index_(tail.segment_index),
      segment_offset_(tail.segment_offset),
      next_batch_(tail.next_batch_number),
      next_sequence_(tail.next_sequence),
      previous_header_checksum_(tail.previous_header_checksum),
      durable_(tail.next_batch_number) {}

writer::~writer() {
    if (io_ == nullptr) return;  // open() failed before the backend existed
    // Drain what is in flight so the kernel never writes from freed buffers.
    while (in_flight_ > 0) {
        io::io_completion completions[2 * batches_in_flight_max];
        const std::uint32_t count = io_->reap(completions, true);
        for (std::uint32_t i = 0; i < count; ++i) {
            slot& s = slot_of(completions[i].tag);
            s.in_flight = false;
            --in_flight_;
        }
    }
    preparer_.reset();
    if (file_ >= 0) io_->close_file(file_);
    if (retired_file_ >= 0) io_->close_file(retired_file_);
    std::free(buffer_memory_);
}

std::expected<std::unique_ptr<writer>, journal_error> writer::open(const writer_options& options,
                                                                   const journal_position& tail) {
    if (auto checked = check_options(options, tail); !checked) {
        return std::unexpected(checked.error());
    }
    std::unique_ptr<writer> result(new writer(options, tail));
    if (auto started = result->start(tail); !started) return std::unexpected(started.error());
    ORDO_ASSERT(result->file_ >= 0);
    ORDO_ASSERT(result->in_flight_ == 0);
    return result;
}

std::expected<void, journal_error> writer::start(const journal_position& tail) {
    auto backend =
        io::make_backend(options_.backend, 2 * batches_in_flight_max, options_.simulated_disk);
    if (!backend) return std::unexpected(backend.error());
    io_ = std::move(*backend);
    files_ = options_.backend == io_backend_kind::simulated
                 ? static_cast<io::file_system*>(options_.simulated_disk)
                 : &io::real_file_system();
    if (options_.keep_off_cpu >= 0) {
        io_->keep_workers_off_cpu(static_cast<std::uint32_t>(options_.keep_off_cpu));
    }
    // The directory's lock lives as long as any write of this writer may still land.
    if (options_.manifest.has_value() && options_.manifest->lock != nullptr &&
        options_.manifest->lock->descriptor() >= 0) {
        if (auto held = io_->hold_open_until_idle(options_.manifest->lock->descriptor()); !held) {
            return held;
        }
    }
    if (auto made = io::make_dirs_durable(*files_, options_.dir); !made) return made;
    if (auto checked = check_tail_is_the_end(tail); !checked) return checked;
    if (auto opened = open_tail_segment(tail); !opened) return opened;
    // The manifest first: it may count a later segment that holds nothing durable, which
    // must not be missing when a crash comes before the new manifest is.
    if (auto written = write_manifest_at_open(tail); !written) return written;
    if (auto removed = remove_leftovers(tail.segment_index); !removed) return removed;

    // Buffers are allocated and touched once, here: first touch costs 1-3 GB/s (MACHINE.md).
    const std::uint32_t buffers = std::max(options_.batches_in_flight, options_.batch_buffers);
    ORDO_ASSERT(buffers <= batch_buffers_max);
    const std::size_t total = std::size_t{options_.batch_bytes_max} * buffers;
    buffer_memory_ = static_cast<std::byte*>(std::aligned_alloc(block_bytes, total));
    ORDO_ASSERT(buffer_memory_ != nullptr);
    std::memset(buffer_memory_, 0, total);
    std::vector<std::span<std::byte>> spans;
    for (std::uint32_t i = 0; i < buffers; ++i) {
        spans.emplace_back(buffer_memory_ + std::size_t{i} * options_.batch_bytes_max,
                           options_.batch_bytes_max);
        slots_.push_back(slot{.buffer = spans.back()});
    }
    // The last pushed is taken first: buffer 0 for the first batch.
    for (std::uint32_t i = buffers; i > 0; --i) free_buffers_.push_back(i - 1);
    buffer_of_batch_.assign(buffers, 0);
    recycled_ = next_batch_;
    if (auto attached = io_->attach_buffers(spans); !attached) return attached;
    segment_preparer::name_durable_hook on_name_durable;
    if (keeper_ != nullptr) {
        on_name_durable = [keeper = keeper_.get()](std::uint32_t index) {
            return keeper->record_segments(index + 1);
        };
    }
    preparer_ = std::make_unique<segment_preparer>(files_, options_.dir, options_.segment_bytes,
                                                   segment_index_, options_.keep_off_cpu,
                                                   std::move(on_name_durable));
    preparer_->note_progress(segment_capacity_bytes_ - segment_offset_);
    preparer_->request_prepare(segment_index_ + 1);
    return {};
}

// What the journal holds up to `tail` is made durable (a crash may have left the last
// batches written but not flushed: they are in flight in the previous segment or this one),
// then recorded as the durable end, with every segment up to the tail's.
std::expected<void, journal_error> writer::write_manifest_at_open(const journal_position& tail) {
    if (!options_.manifest.has_value()) return {};
    const manifest_keeping& keeping = *options_.manifest;
    auto names = files_->list_dir(options_.dir);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
        const auto parsed = parse_segment_name(name);
        if (!parsed || parsed->index > tail.segment_index || parsed->index + 1 < tail.segment_index) {
            continue;
        }
        if (auto synced = files_->sync_file(options_.dir / name); !synced) return synced;
    }
    manifest opened = keeping.written;
    opened.write_count += 1;
    opened.segment_count = tail.segment_index + 1;
    opened.state = manifest_state::open;
    opened.durable_end = tail;
    if (auto written = journal::write_manifest(keeping.data_dir, opened, *files_); !written) {
        return written;
    }
    durable_end_.store(tail);
    keeper_ = std::make_unique<manifest_keeper>(files_, keeping.data_dir, opened, &durable_end_,
                                                keeping.interval_ms, options_.keep_off_cpu);
    // After the manifest it names (a reader checks the hint against it). The simulated disk
    // has no page to share; a hint that cannot be made is removed, so that no previous
    // writer's stays (it would be behind, but a follower would wait on a dead page).
    if (options_.simulated_disk == nullptr) {
        auto hint = durable_hint_file::create(keeping.data_dir, opened.write_count, tail,
                                              options_.keep_off_cpu);
        if (hint) {
            hint_ = std::make_unique<durable_hint_file>(std::move(*hint));
        } else {
            std::error_code ignored;
            std::filesystem::remove(data_dir_layout::durable_hint(keeping.data_dir), ignored);
        }
    }
    return {};
}

const char* successor_mismatch(const batch_header& header, std::uint32_t segment_index,
                               const journal_position& at) noexcept {
    if (header.segment_index != segment_index) return "segment index mismatch";
    if (header.batch_number != at.next_batch_number) return "unexpected batch number";
    if (header.first_sequence != at.next_sequence) return "unexpected first sequence";
    if (header.previous_header_checksum != at.previous_header_checksum) {
        return "hash chain broken (previous header checksum mismatch)";
    }
    return nullptr;
}

namespace {
// The segment file of a directory listing with this index, if there is one.
std::optional<segment_file> segment_with_index(const std::vector<std::string>& names,
                                               std::uint32_t index) {
    for (const std::string& name : names) {
        auto parsed = parse_segment_name(name);
        if (parsed.has_value() && parsed->index == index) return parsed;
    }
    return std::nullopt;
}
}  // namespace

// A tail that a complete batch follows (the next one by number and chain, in the tail
// segment at the tail or at the start of the next segment) is not where the journal ends:
// opening there would zero and then overwrite acknowledged batches. Refused before anything
// is changed. A batch whose body does not verify is what the reader cut as a torn tail.
std::expected<void, journal_error> writer::check_tail_is_the_end(const journal_position& tail) {
    auto names = files_->list_dir(options_.dir);
    if (!names) return std::unexpected(names.error());
    const std::pair<std::uint32_t, std::uint64_t> places[] = {
        {tail.segment_index, tail.segment_offset}, {tail.segment_index + 1, 0}};
    for (const auto& [index, offset] : places) {
        const std::optional<segment_file> segment = segment_with_index(*names, index);
        if (!segment) continue;
        const std::filesystem::path path = options_.dir / segment->name;
        batch_header header{};
        auto got = files_->read_at(path, offset,
                                std::as_writable_bytes(std::span<batch_header, 1>(&header, 1)));
        if (!got) return std::unexpected(got.error());
        if (*got < batch_header_bytes || !header_self_consistent(header)) continue;
        if (header.body_bytes > batch_bytes_max - batch_header_bytes) continue;
        if (successor_mismatch(header, index, tail) != nullptr) continue;
        std::vector<std::byte> body(header.body_bytes);
        got = files_->read_at(path, offset + batch_header_bytes, body);
        if (!got) return std::unexpected(got.error());
        if (*got < body.size() || checksum(std::span<const std::byte>(body)) != header.body_checksum) {
            continue;
        }
        return std::unexpected(journal_error{
            .code = journal_errc::invalid_argument,
            .path = path.string(),
            .offset = offset,
            .detail = "batch " + std::to_string(header.batch_number) +
                      " follows the position the writer was given: the journal goes on past "
                      "it; open the writer where a reader of the journal ends"});
    }
    return {};
}

// Segments after the tail and prepared files hold nothing acknowledged: the reader refused
// to recover if anything valid lay beyond the torn-tail window (FORMAT.md).
std::expected<void, journal_error> writer::remove_leftovers(std::uint32_t tail_index) {
    auto names = files_->list_dir(options_.dir);
    if (!names) return std::unexpected(names.error());
    bool removed_any = false;
    for (const std::string& name : *names) {
        const auto parsed = parse_segment_name(name);
        const bool later = parsed.has_value() && parsed->index > tail_index;
        if (!later && !is_prepared_segment_name(name)) continue;
        if (auto removed = files_->remove_file(options_.dir / name); !removed) return removed;
        removed_any = true;
    }
    if (removed_any) return files_->sync_dir(options_.dir);
    return {};
}

std::expected<void, journal_error> writer::open_tail_segment(const journal_position& tail) {
    auto names = files_->list_dir(options_.dir);
    if (!names) return std::unexpected(names.error());
    const std::optional<segment_file> found = segment_with_index(*names, tail.segment_index);
    if (found.has_value()) {
        file_path_ = options_.dir / found->name;
        if (auto restored = restore_segment_size(tail); !restored) return restored;
        auto bytes = files_->file_bytes(file_path_);
        if (!bytes) return std::unexpected(bytes.error());
        segment_capacity_bytes_ = *bytes;
        ORDO_ASSERT(tail.segment_offset <= segment_capacity_bytes_);
        // Zero whatever a crash left after the tail (a torn batch, in-flight batches), so
        // those bytes never look valid to a later recovery.
        const std::uint64_t zero_bytes =
            std::min(torn_window_bytes, segment_capacity_bytes_ - tail.segment_offset);
        if (zero_bytes > 0) {
            auto zeroed = files_->zero_range(file_path_, tail.segment_offset, zero_bytes);
            if (!zeroed) return zeroed;
        }
    } else {
        if (tail.segment_offset != 0) {
            return std::unexpected(journal_error{.code = journal_errc::not_found,
                                                 .path = options_.dir.string(),
                                                 .detail = "the tail segment does not exist"});
        }
        const auto prepared = options_.dir / prepared_segment_name(tail.segment_index);
        file_path_ = options_.dir / segment_name(tail.segment_index, tail.next_sequence);
        segment_capacity_bytes_ = options_.segment_bytes;
        if (auto created = files_->create_zeroed(prepared, segment_capacity_bytes_); !created) {
            return created;
        }
        if (auto renamed = files_->rename_file(prepared, file_path_); !renamed) return renamed;
        if (auto synced = files_->sync_dir(options_.dir); !synced) return synced;
    }
    auto opened = io_->open_file(file_path_, options_.direct_io);
    if (!opened) return std::unexpected(opened.error());
    file_ = opened->file;
    direct_used_ = opened->direct;
    if (options_.direct_io && !direct_used_) {
        std::fprintf(stderr, "ordo: journal: O_DIRECT unsupported in %s; writing buffered\n",
                     options_.dir.c_str());
    }
    return {};
}

// A last segment shorter than a segment (cut by an interrupted copy or a truncation) was
// read up to what it still holds, the rest cut as a torn tail (FORMAT.md "Reading"); its
// size comes back, as synced zeros, before anything is written after the tail.
std::expected<void, journal_error> writer::restore_segment_size(const journal_position& tail) {
    auto bytes = files_->file_bytes(file_path_);
    if (!bytes) return std::unexpected(bytes.error());
    const std::uint64_t whole_bytes = *bytes / block_bytes * block_bytes;
    ORDO_ASSERT(tail.segment_offset <= whole_bytes);  // the reader read no further
    if (whole_bytes != *bytes) {
        if (auto cut = files_->resize_file(file_path_, whole_bytes); !cut) return cut;
    }
    if (whole_bytes >= options_.segment_bytes) return {};
    return files_->append_zeros(file_path_, whole_bytes, options_.segment_bytes - whole_bytes,
                                true);
}

std::expected<journal_position, journal_error> writer::close() {
    ORDO_ASSERT(!closed_);
    if (poisoned_.has_value()) return std::unexpected(*poisoned_);
    // A claimed area never published (the sequencer claims ahead) holds nothing: dropped.
    claimed_ = false;
    if (auto durable = wait_durable(next_batch_); !durable) return std::unexpected(durable.error());
    closed_ = true;
    if (keeper_ != nullptr) {
        if (auto closed = keeper_->close(position()); !closed) {
            (void)poison(closed.error());
            return std::unexpected(*poisoned_);
        }
    }
    return position();
}

io_backend_kind writer::backend() const noexcept { return io_->kind(); }

std::uint32_t writer::record_bytes_max() const noexcept {
    return options_.batch_bytes_max - batch_header_bytes;
}

journal_position writer::position() const noexcept {
    return journal_position{.next_batch_number = next_batch_,
                            .next_sequence = next_sequence_,
                            .segment_index = segment_index_,
                            .segment_offset = segment_offset_,
                            .previous_header_checksum = previous_header_checksum_};
}

std::expected<void, journal_error> writer::poison(journal_error error) {
    if (!poisoned_.has_value()) poisoned_ = std::move(error);
    return std::unexpected(*poisoned_);
}

const std::filesystem::path& writer::path_of(const slot& batch) const {
    if (batch.segment_index == segment_index_) return file_path_;
    ORDO_ASSERT(batch.segment_index + 1 == segment_index_);
    return retired_path_;
}


std::expected<std::span<std::byte>, journal_error> writer::claim() {
    ORDO_ASSERT(!closed_);
    if (poisoned_.has_value()) return std::unexpected(*poisoned_);
    if (claimed_) return slots_[claimed_buffer_].buffer.subspan(batch_header_bytes);
    // At most batches_in_flight batches are not durable (recovery's torn window counts on
    // it), and a buffer is free once the batch that used it is durable (it may be complete
    // but still waiting for its segment name; reusing it then would not lose data, but one
    // rule keeps the watermark simple) and every reader released it.
    const std::uint64_t not_durable_max = options_.batches_in_flight;
    ORDO_ASSERT(slots_.size() >= not_durable_max);
    while (next_batch_ >= not_durable_max && durable_ + not_durable_max <= next_batch_) {
        if (auto reaped = reap(true); !reaped) return std::unexpected(reaped.error());
    }
    recycle();
    if (free_buffers_.empty()) {  // only with readers: the durable wait freed one otherwise
        if (auto waited = wait_for_readers(); !waited) return std::unexpected(waited.error());
        recycle();
    }
    ORDO_ASSERT(!free_buffers_.empty());
    claimed_buffer_ = free_buffers_.back();
    free_buffers_.pop_back();
    ORDO_ASSERT(!slots_[claimed_buffer_].in_flight);
    claimed_ = true;
    return slots_[claimed_buffer_].buffer.subspan(batch_header_bytes);
}

// Gives back the buffers of the batches that are durable and that every reader released,
// oldest first, so that the newest (the one most likely still in the cache) is taken next:
// with readers that keep up, the batches of a few buffers stay hot however many the writer
// keeps (cycling through all 32 slowed the writer alone by about a quarter).
void writer::recycle() noexcept {
    // A detached reader counts as having released everything (its count is UINT64_MAX).
    const std::uint64_t free_below =
        gate_ != nullptr ? std::min(durable_, gate_->released_min()) : durable_;
    ORDO_ASSERT(free_below <= next_batch_);
    while (recycled_ < free_below) {
        const std::uint32_t buffer = buffer_of_batch_[recycled_ % buffer_of_batch_.size()];
        ORDO_ASSERT(slots_[buffer].batch_number == recycled_);
        ORDO_ASSERT(!slots_[buffer].in_flight);
        free_buffers_.push_back(buffer);
        ++recycled_;
    }
    ORDO_ASSERT(next_batch_ - recycled_ + free_buffers_.size() == slots_.size());
}

writer::slot& writer::slot_of(std::uint64_t batch) noexcept {
    ORDO_ASSERT(batch >= recycled_ && batch < next_batch_);
    slot& held = slots_[buffer_of_batch_[batch % buffer_of_batch_.size()]];
    ORDO_ASSERT(held.batch_number == batch);
    return held;
}

std::expected<std::uint64_t, journal_error> writer::publish(std::uint32_t record_bytes,
                                                            std::uint32_t record_count,
                                                            std::uint64_t time_ms) {
    if (poisoned_.has_value()) return std::unexpected(*poisoned_);
    ORDO_ASSERT(claimed_);
    ORDO_ASSERT(record_count > 0);
    ORDO_ASSERT(record_bytes <= record_bytes_max());
    slot& batch = slots_[claimed_buffer_];
    const std::span<const std::byte> body = batch.buffer.subspan(batch_header_bytes, record_bytes);
    // The writer never writes what the reader would call damage.
    ORDO_ASSERT(validate_records(body, record_count) == nullptr);
    const std::uint64_t disk_bytes = batch_disk_bytes(record_bytes);
    if (segment_offset_ + disk_bytes > segment_capacity_bytes_) {
        if (auto rolled = roll_over(); !rolled) return std::unexpected(rolled.error());
    }
    batch_header header{.magic = batch_magic,
                        .version = batch_format_version,
                        .reserved_zero = 0,
                        .segment_index = segment_index_,
                        .batch_number = next_batch_,
                        .first_sequence = next_sequence_,
                        .record_count = record_count,
                        .body_bytes = record_bytes,
                        .time_ms = time_ms,
                        .previous_header_checksum = previous_header_checksum_,
                        .body_checksum = checksum(body),
                        .header_checksum = {}};
    header.header_checksum = header_checksum_of(header);
    std::memcpy(batch.buffer.data(), &header, sizeof(header));
    const std::size_t used = batch_header_bytes + record_bytes;
    std::memset(batch.buffer.data() + used, 0, disk_bytes - used);  // padding is zero
    const io::write_request request{.file = file_,
                                    .buffer_index = claimed_buffer_,
                                    .bytes = batch.buffer.first(disk_bytes),
                                    .offset = segment_offset_,
                                    .sync = options_.sync == sync_mode::fdatasync,
                                    .tag = next_batch_};
    if (auto submitted = io_->submit_write(request); !submitted) {
        (void)poison(submitted.error());
        return std::unexpected(*poisoned_);
    }
    batch.batch_number = next_batch_;
    buffer_of_batch_[next_batch_ % buffer_of_batch_.size()] = claimed_buffer_;
    batch.segment_index = segment_index_;
    batch.segment_offset = segment_offset_;
    batch.in_flight = true;
    batch.complete = false;
    ++in_flight_;
    claimed_ = false;
    previous_header_checksum_ = header.header_checksum;
    next_sequence_ += record_count;
    segment_offset_ += disk_bytes;
    batch.end = journal_position{.next_batch_number = next_batch_ + 1,
                                 .next_sequence = next_sequence_,
                                 .segment_index = segment_index_,
                                 .segment_offset = segment_offset_,
                                 .previous_header_checksum = header.header_checksum};
    preparer_->note_progress(segment_capacity_bytes_ - segment_offset_);
    if (gate_ != nullptr) {
        gate_->describe(durable_batch{.batch_number = next_batch_,
                                      .first_sequence = header.first_sequence,
                                      .record_count = record_count,
                                      .body = body,
                                      .end = batch.end});
    }
    return next_batch_++;
}

// Moves to the next (prepared) segment. Runs on the writer's thread: take() normally finds
// the segment ready, and the rename is a metadata operation; the directory fsync that makes
// it durable runs on the preparer thread and gates the watermark, not this thread.
std::expected<void, journal_error> writer::roll_over() {
    ORDO_ASSERT(segment_index_ < segment_index_max);
    // At most two segments have batches in flight: the current one and the retired one.
    while (retired_file_ >= 0) {
        if (auto reaped = reap(true); !reaped) return reaped;
    }
    const std::uint32_t index = segment_index_ + 1;
    auto prepared = preparer_->take(index);
    if (!prepared) return poison(prepared.error());
    std::filesystem::path path = options_.dir / segment_name(index, next_sequence_);
    if (auto renamed = files_->rename_file(*prepared, path); !renamed) {
        return poison(renamed.error());
    }
    auto opened = io_->open_file(path, options_.direct_io);
    if (!opened) return poison(opened.error());
    preparer_->request_name_sync(index);
    // Before the request: the preparer paces the next segment by this one's progress.
    preparer_->note_progress(options_.segment_bytes);
    preparer_->request_prepare(index + 1);
    if (in_flight_ > 0) {
        retired_file_ = file_;
        retired_path_ = std::move(file_path_);
        retired_last_batch_ = next_batch_ - 1;
    } else {
        io_->close_file(file_);
    }
    file_ = opened->file;
    file_path_ = std::move(path);
    segment_index_ = index;
    segment_capacity_bytes_ = options_.segment_bytes;
    segment_offset_ = 0;
    return {};
}

std::expected<void, journal_error> writer::reap(bool wait) {
    ORDO_ASSERT(!poisoned_.has_value());
    ORDO_ASSERT(!closed_);
    // A manifest the keeper could not write is a durability failure like a failed sync.
    if (keeper_ != nullptr && keeper_->failed()) return poison(keeper_->failure());
    if (wait && in_flight_ == 0) {
        // Everything is written; only a segment name can be pending.
        const std::uint32_t index = slot_of(durable_).segment_index;
        if (auto named = preparer_->wait_name_durable(index); !named) return poison(named.error());
    }
    io::io_completion completions[2 * batches_in_flight_max];
    const std::uint32_t count = in_flight_ > 0 ? io_->reap(completions, wait) : 0;
    std::optional<journal_error> failure;
    for (std::uint32_t i = 0; i < count; ++i) {
        const io::io_completion& done = completions[i];
        slot& batch = slot_of(done.tag);
        ORDO_ASSERT(batch.in_flight);
        ORDO_ASSERT(batch.batch_number == done.tag);
        batch.in_flight = false;
        --in_flight_;
        if (failure.has_value()) continue;  // every completion is accounted, first error wins
        if (done.short_write) {
            failure = journal_error{.code = journal_errc::short_write,
                                    .path = path_of(batch).string(),
                                    .offset = batch.segment_offset,
                                    .detail = "batch " + std::to_string(done.tag)};
        } else if (done.error != 0) {
            failure = io::error_from_errno(done.error, path_of(batch), batch.segment_offset,
                                           failed_operation_name(done.failed) +
                                               std::to_string(done.tag),
                                           direct_used_);
        } else {
            batch.complete = true;
        }
    }
    if (failure.has_value()) return poison(std::move(*failure));
    advance_watermark();
    return {};
}

void writer::advance_watermark() {
    const std::uint32_t named = preparer_->names_durable_through();
    const std::uint64_t before = durable_;
    while (durable_ < next_batch_) {
        slot& batch = slot_of(durable_);
        if (!batch.complete) break;
        if (batch.segment_index > named) break;
        batch.complete = false;
        ++durable_;
    }
    if (durable_ > before && (keeper_ != nullptr || gate_ != nullptr || hint_ != nullptr)) {
        const journal_position& end = slot_of(durable_ - 1).end;
        ORDO_ASSERT(end.next_batch_number == durable_);
        // The keeper's thread records it in the manifest within its interval.
        if (keeper_ != nullptr) durable_end_.store(end);
        if (gate_ != nullptr || hint_ != nullptr) {
            const std::uint64_t now_ns = base::monotonic_ns();
            if (gate_ != nullptr) gate_->publish_durable(durable_, end.next_sequence, now_ns);
            // Followers in other processes: a few stores, a wake only when one waits.
            if (hint_ != nullptr) hint_->publish(end, now_ns);
        }
    }
    if (retired_file_ >= 0 && durable_ > retired_last_batch_) {
        io_->close_file(retired_file_);
        retired_file_ = -1;
        retired_path_.clear();
    }
    if (in_flight_ == 0) ORDO_ASSERT(durable_ <= next_batch_);
}

void writer::attach_readers(reader_gate& gate) {
    ORDO_ASSERT(gate_ == nullptr);
    ORDO_ASSERT(!claimed_);
    ORDO_ASSERT(in_flight_ == 0);
    ORDO_ASSERT(gate.start() == position());  // the readers start where the writer does
    gate.attach(static_cast<std::uint32_t>(slots_.size()));
    gate_ = &gate;
}

// Every buffer holds a batch not yet recycled (claim()): wait until every reader released
// the oldest, batch next_batch_ - slots_.size(). It is durable (claim() waited for that
// first), so the readers can always take it: this wait ends as soon as the slowest reader
// has applied it. The watermark keeps moving meanwhile (reap), so the readers see the
// later batches too.
std::expected<void, journal_error> writer::wait_for_readers() {
    ORDO_ASSERT(gate_ != nullptr);
    ORDO_ASSERT(durable_ + slots_.size() > next_batch_);
    base::backoff wait(base::backoff_options{.spin_iterations = 200, .yield_iterations = 100'000});
    for (;;) {
        // A detached reader counts as having released everything (its count is UINT64_MAX).
        if (std::min(gate_->released_min(), next_batch_) + slots_.size() > next_batch_) {
            return {};
        }
        if (auto reaped = reap(false); !reaped) return reaped;
        wait.idle();
    }
}

std::expected<std::uint64_t, journal_error> writer::poll() {
    if (poisoned_.has_value()) return std::unexpected(*poisoned_);
    if (auto reaped = reap(false); !reaped) return std::unexpected(reaped.error());
    ORDO_ASSERT(durable_ <= next_batch_);
    return durable_;
}

std::expected<std::uint64_t, journal_error> writer::wait_durable(std::uint64_t batch_count) {
    ORDO_ASSERT(batch_count <= next_batch_);
    if (poisoned_.has_value()) return std::unexpected(*poisoned_);
    while (durable_ < batch_count) {
        if (auto reaped = reap(true); !reaped) return std::unexpected(reaped.error());
    }
    ORDO_ASSERT(durable_ >= batch_count);
    return durable_;
}

}  // namespace ordo::journal
