#pragma once
// The journal writer: claim a batch buffer, fill it with records, publish it (header sealed,
// checksums set, submitted as one durable write: RWF_DSYNC through io_uring, or pwrite +
// fdatasync), and learn from poll() which batches are durable. Several batches are in flight at once (group commit); the durable watermark
// is the contiguous prefix of batches whose write and sync both completed and whose
// segment name is durable. Any failed write, sync or short write poisons the writer: every
// later call returns that error and nothing after it is ever reported durable (an fsync is
// never retried on the same data: after a failed fsync the page cache may lie).
//
// Thread: owned by one thread (the sequencer) from open() to destruction; a background
// segment_preparer thread prepares the next segment. Lifecycle: open() recovers nothing
// itself — it continues at the position the reader recovered (reader::position()).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "journal/checksum.h"
#include "journal/durable_hint.h"
#include "journal/errc.h"
#include "journal/io/file_system.h"
#include "journal/io/io_backend.h"
#include "journal/limits.h"
#include "journal/manifest.h"
#include "journal/manifest_keeper.h"
#include "journal/position.h"

namespace ordo::journal {

namespace io {
class simulated_disk;
}
class segment_preparer;
class reader_gate;

enum class sync_mode : std::uint8_t { buffered, fdatasync };  // "none" = no writer at all

// How a writer keeps DIR/manifest (manifest.h) current: at open, at each rollover (before
// any batch of the new segment is reported durable), about every `interval_ms` while
// batches become durable (manifest_keeper.h), and at close(). Only one writer may do that
// for a directory: `lock` is the data directory's lock, held by the caller for the
// writer's life.
struct manifest_keeping {
    std::filesystem::path data_dir;      // the writer's `dir` is its journal directory
    const io::file_lock* lock = nullptr;
    // The manifest as recovery read it (or a new one: write_count 0, segment_count 0): its
    // parameters and segment_bytes are kept, its write_count continues.
    manifest written;
    std::uint32_t interval_ms = manifest_keeper::interval_ms_default;
};

struct writer_options {
    std::filesystem::path dir;
    sync_mode sync = sync_mode::fdatasync;
    std::uint64_t segment_bytes = segment_bytes_default;
    std::uint32_t batch_bytes_max = batch_bytes_default;  // header + records + padding
    std::uint32_t batches_in_flight = batches_in_flight_default;  // 1..batches_in_flight_max
    // Batch buffers, 0 meaning batches_in_flight (all a writer without readers uses), else
    // batches_in_flight..batch_buffers_max: the slack of in-process readers (limits.h).
    std::uint32_t batch_buffers = 0;
    bool direct_io = true;  // O_DIRECT where the file system supports it, else buffered
    io_backend_kind backend = io_backend_kind::automatic;  // automatic: io_uring, else pwrite
    // Required for backend simulated: then also the file system of every other file call.
    io::simulated_disk* simulated_disk = nullptr;
    // The sequencer's CPU, when it is pinned: the journal's background work (the segment
    // preparer, io_uring's workers) runs on the other CPUs. -1: anywhere.
    int keep_off_cpu = -1;
    // Keep DIR/manifest (a command's writer); none for a bare journal (tests, benchmarks).
    std::optional<manifest_keeping> manifest;
};

struct batch_header;  // journal/format.h

// Why a self-consistent `header`, found in segment `segment_index`, is not the batch that
// continues the journal at `at` (number, first sequence, hash chain), or nullptr when it
// is. The reader checks every batch with it; the writer, where it is told to continue.
const char* successor_mismatch(const batch_header& header, std::uint32_t segment_index,
                               const journal_position& at) noexcept;

class writer {
public:
    // Continues the journal at `tail`, which must be where a reader of the directory ended
    // (reader::position()); a tail that a complete next batch follows is refused with
    // invalid_argument before anything changes, since the writer zeroes what lies after it.
    static std::expected<std::unique_ptr<writer>, journal_error> open(
        const writer_options& options, const journal_position& tail);
    ~writer();
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    // The record area of the next batch (after the header room), record_bytes_max() long.
    // Waits, reaping completions, only when batches_in_flight batches are not durable yet
    // (or, with readers, when they still hold the buffer). Calling it again
    // before publish() returns the same area.
    std::expected<std::span<std::byte>, journal_error> claim();
    // Seals the claimed batch (`record_bytes` of whole records, `record_count` of them) and
    // submits it; returns its batch number. The batch is not durable yet: see poll().
    std::expected<std::uint64_t, journal_error> publish(std::uint32_t record_bytes,
                                                        std::uint32_t record_count,
                                                        std::uint64_t time_ms);
    // Reaps completions without blocking; returns the durable watermark n: batches [0, n)
    // are durable in the chosen sync mode.
    std::expected<std::uint64_t, journal_error> poll();
    // Blocks until batches [0, batch_count) are durable; returns the watermark.
    std::expected<std::uint64_t, journal_error> wait_durable(std::uint64_t batch_count);

    // Waits until every published batch is durable, then records the exact end in the
    // manifest (state closed) and returns it. The last call: only the destructor follows.
    // Without it (a crash, an error path) the manifest keeps the last durable end it had.
    std::expected<journal_position, journal_error> close();

    // Attaches the in-process readers of `gate` (reader_gate.h), before the first claim():
    // from then on each durable batch is handed to them, and a buffer is reused only once
    // every one of them released the batch it held. The gate outlives the writer's last
    // call; without one the writer pays one untaken branch per batch.
    void attach_readers(reader_gate& gate);

    io_backend_kind backend() const noexcept;  // what is really used (fallback visible)
    bool direct_io() const noexcept { return direct_used_; }
    std::uint32_t record_bytes_max() const noexcept;
    journal_position position() const noexcept;  // where the next batch goes

private:
    struct slot {
        std::span<std::byte> buffer;
        std::uint64_t batch_number = 0;
        std::uint32_t segment_index = 0;
        std::uint64_t segment_offset = 0;
        bool in_flight = false;  // submitted, completion not reaped
        bool complete = false;   // write (+ sync) succeeded
        journal_position end;    // where the journal continues after this batch
    };

    writer(const writer_options& options, const journal_position& tail);
    std::expected<void, journal_error> start(const journal_position& tail);
    std::expected<void, journal_error> open_tail_segment(const journal_position& tail);
    std::expected<void, journal_error> restore_segment_size(const journal_position& tail);
    std::expected<void, journal_error> write_manifest_at_open(const journal_position& tail);
    std::expected<void, journal_error> remove_leftovers(std::uint32_t tail_index);
    std::expected<void, journal_error> check_tail_is_the_end(const journal_position& tail);
    std::expected<void, journal_error> roll_over();
    std::expected<void, journal_error> reap(bool wait);
    std::expected<void, journal_error> wait_for_readers();
    void recycle() noexcept;
    slot& slot_of(std::uint64_t batch) noexcept;  // a published batch not yet recycled
    void advance_watermark();
    std::expected<void, journal_error> poison(journal_error error);
    const std::filesystem::path& path_of(const slot& batch) const;

    writer_options options_;
    io::file_system* files_ = nullptr;  // the real file system, or the simulated disk
    std::unique_ptr<io::io_backend> io_;
    std::unique_ptr<segment_preparer> preparer_;
    std::byte* buffer_memory_ = nullptr;
    std::vector<slot> slots_;  // one per buffer
    // Which buffer batch b went to, at b % buffers: at most that many batches are published
    // and not recycled, so none is overwritten while its batch is.
    std::vector<std::uint32_t> buffer_of_batch_;
    std::vector<std::uint32_t> free_buffers_;  // a stack: the last recycled is taken next
    std::uint64_t recycled_ = 0;               // batches [.., recycled_) gave their buffer back
    std::uint32_t claimed_buffer_ = 0;         // while claimed_

    // The current segment.
    io::file_id file_ = -1;
    std::filesystem::path file_path_;
    std::uint32_t segment_index_ = 0;
    std::uint64_t segment_capacity_bytes_ = 0;
    std::uint64_t segment_offset_ = 0;
    // The previous segment's file stays open until its last batch completes.
    io::file_id retired_file_ = -1;
    std::filesystem::path retired_path_;
    std::uint64_t retired_last_batch_ = 0;

    std::uint64_t next_batch_ = 0;
    std::uint64_t next_sequence_ = 0;
    checksum128 previous_header_checksum_{};
    std::uint64_t durable_ = 0;  // watermark: batches [0, durable_) are durable
    std::uint64_t in_flight_ = 0;
    bool claimed_ = false;
    bool direct_used_ = false;
    bool closed_ = false;
    std::optional<journal_error> poisoned_;
    // With manifest keeping: the durable end, published for the keeper's thread.
    durable_end_cell durable_end_;
    std::unique_ptr<manifest_keeper> keeper_;
    // With manifest keeping on a real file system: DIR/durable_end, for followers in other
    // processes (durable_hint.h); updated at every watermark move. None if it could not be
    // made (only followers' latency suffers).
    std::unique_ptr<durable_hint_file> hint_;
    // With in-process readers: their gate (claim() loads each reader's released count).
    reader_gate* gate_ = nullptr;
};

}  // namespace ordo::journal
