// Journal benchmarks: commit latency as the engine sees it, the raw device baseline in the
// same run, and the reader's verify speed from page cache. ORDO_BENCH_SMOKE=1 shrinks every
// file and run so the CTest smoke run stays well under two seconds.
//
// Commit latency is the time from a batch's publish() (or, paced, from the arrival of the
// records it carries) to the first poll() that reports it durable. Reaping follows the
// sequencer (engine/sequencer.h): poll() without blocking and base::backoff between polls.
// Topologies:
//   commit_latency_closed   a closed loop: the next batch is published whenever fewer than
//                           `in_flight` are in flight (1, 2 = the sequencer's publish limit, 4);
//                           `uring_wait_cqe` blocks in io_uring_wait_cqe instead of polling
//   commit_latency_paced    open loop: a batch of records arrives every `interval_us` (the
//                           flush delay); it is published at once when fewer than 2 batches
//                           are in flight, otherwise it waits and later arrivals join it, as
//                           the sequencer keeps filling a batch while two are in flight
//   commit_latency_raw      O_DIRECT pwrite + fdatasync one at a time on a pre-zeroed (or a
//                           fallocated) file: what the disk allows
//   commit_p99_ratio        raw and engine commits interleaved in blocks of 64, so both see
//                           the same disk weather; reports p99_ratio = engine p99 / raw p99
//                           (one repetition's p99 moves 2-10x with a single disk stall:
//                           bench/measure.sh quotes the median of five repetitions);
//                           `uring_*_vs_raw` are io_uring alone (no writer), RWF_DSYNC against
//                           a write linked to an fdatasync
// Counters: latency_us_p50/p99/p999/max (engine or raw), raw_latency_us_* in the ratio run.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "bench/latency_samples.h"
#include "base/wait/backoff.h"
#include "base/assert.h"
#include "base/clock.h"
#include "journal/format.h"
#include "journal/record.h"
#include "journal/segment.h"
#include "journal/verify.h"
#include "journal/writer.h"

namespace {

using namespace ordo::journal;
using ordo::base::monotonic_ns;
using ordo::bench::latency_samples;
using ordo::bench::smoke;

// The sequencer publishes on a dry ring or after the flush delay only below this many
// batches in flight (engine/sequencer.h, publish_in_flight_max).
constexpr std::uint64_t sequencer_publish_in_flight_max = 2;

std::filesystem::path make_dir() {
    char pattern[] = "/tmp/ordo-journal-bench-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    ORDO_ASSERT(made != nullptr);
    return made;
}

// Records for one arrival ("offer") of `offer_bytes` on disk, repeated `offers` times: the
// first k offers form a valid batch body of k * offer_bytes - 96 bytes (the header takes the
// rest), so a batch of any number of offers is one memcpy of a prefix.
struct offer_bodies {
    std::vector<std::byte> bytes;
    std::vector<std::uint32_t> record_counts;  // records in the first k offers, [0] = 0
    std::uint32_t offer_bytes = 0;

    offer_bodies(std::uint32_t offer_bytes_, std::uint32_t offers) : offer_bytes(offer_bytes_) {
        ORDO_ASSERT(offer_bytes % block_bytes == 0);
        ORDO_ASSERT(std::uint64_t{offer_bytes} * offers <= batch_bytes_max);
        bytes.resize(std::size_t{offer_bytes} * offers - batch_header_bytes);
        const std::vector<std::byte> payload(record_bytes_max, std::byte{0x5a});
        std::size_t used = 0;
        record_counts.push_back(0);
        for (std::uint32_t offer = 0; offer < offers; ++offer) {
            const std::size_t end = std::size_t{offer_bytes} * (offer + 1) - batch_header_bytes;
            std::uint32_t count = record_counts.back();
            while (used < end) {
                // Halves, so that no record is left shorter than a header.
                const std::size_t left = end - used;
                const std::size_t record = left <= record_bytes_max ? left
                                                                    : std::min<std::size_t>(
                                                                          left / 2 / 8 * 8,
                                                                          record_bytes_max);
                ORDO_ASSERT(record >= record_header_bytes);
                used += write_record(std::span(bytes).subspan(used), 1, 1,
                                     std::span(payload).first(record - record_header_bytes));
                ++count;
            }
            ORDO_ASSERT(used == end);
            record_counts.push_back(count);
        }
    }
    std::span<const std::byte> offer(std::uint32_t index) const {
        const std::size_t begin =
            index == 0 ? 0 : std::size_t{offer_bytes} * index - batch_header_bytes;
        const std::size_t end = std::size_t{offer_bytes} * (index + 1) - batch_header_bytes;
        return std::span(bytes).subspan(begin, end - begin);
    }
};

// One writer per backend for the whole process, as an engine runs one for its lifetime:
// segments roll over and get prepared while benchmarks run, not once per run.
struct bench_journal {
    std::filesystem::path dir;
    std::unique_ptr<writer> w;
    ~bench_journal() {
        w.reset();
        std::filesystem::remove_all(dir);
    }
};

// An engine retires old segments after a snapshot; the benchmark keeps the current one and
// the one before it (which may still be open), so a full run never fills the disk (1 MiB
// batches write about 1 GB/s).
void prune_old_segments(const bench_journal& j) {
    const std::uint32_t current = j.w->position().segment_index;
    for (const auto& entry : std::filesystem::directory_iterator(j.dir)) {
        const auto parsed = parse_segment_name(entry.path().filename().string());
        if (parsed.has_value() && parsed->index + 1 < current) {
            std::filesystem::remove(entry.path());
        }
    }
}

writer& journal_for(io_backend_kind backend) {
    static std::map<io_backend_kind, bench_journal> journals;
    bench_journal& j = journals[backend];
    if (j.w != nullptr) prune_old_segments(j);
    if (j.w == nullptr) {
        j.dir = make_dir();
        const writer_options options{.dir = j.dir,
                                     .sync = sync_mode::fdatasync,
                                     .segment_bytes = smoke() ? (4ull << 20) : (256ull << 20),
                                     .batch_bytes_max = batch_bytes_max,
                                     .batches_in_flight = batches_in_flight_max,
                                     .backend = backend};
        auto opened = writer::open(options, {});
        ORDO_ASSERT(opened.has_value());
        j.w = std::move(*opened);
        ORDO_ASSERT(j.w->backend() == backend);
    }
    return *j.w;
}

// A writer call that failed is a failed run: say why before trapping.
template <class T>
T checked(std::expected<T, journal_error> result) {
    if (!result.has_value()) {
        std::fprintf(stderr, "journal: %s\n", result.error().message().c_str());
    }
    ORDO_ASSERT(result.has_value());
    return *result;
}

// How the thread that publishes learns of durability.
enum class reaper : std::uint8_t { poll_backoff, wait_cqe };

// Drives one writer as the sequencer does: records are offered (arrive), held in the
// claimed batch, published as one batch, and each offer's latency runs from its arrival to
// the poll() that first reports its batch durable. Thread: the benchmark's thread.
class commit_driver {
public:
    commit_driver(writer& w, const offer_bodies& bodies, latency_samples& samples)
        : w_(w), bodies_(bodies), samples_(samples) {
        // Every earlier batch is durable: the in-flight count starts at zero.
        const std::uint64_t next = w_.position().next_batch_number;
        ORDO_ASSERT(checked(w_.wait_durable(next)) == next);
        first_batch_ = next;
    }
    ~commit_driver() { drain(); }

    std::uint64_t in_flight() const { return published_ - durable_; }
    std::uint32_t held() const { return static_cast<std::uint32_t>(offers_ - carried_); }
    std::uint32_t held_max() const {
        return static_cast<std::uint32_t>(bodies_.record_counts.size() - 1);
    }
    std::uint64_t batches() const { return published_; }
    std::uint64_t oldest_held_ns() const {
        ORDO_ASSERT(held() > 0);
        return arrived_ns_[carried_ % arrived_slots];
    }

    // Records arrive at `arrived_ns` (0: now, after encoding them, so a closed loop measures
    // from publish()); they are encoded into the batch being filled.
    void offer(std::uint64_t arrived_ns) {
        ORDO_ASSERT(held() < held_max());
        const std::span<std::byte> area = checked(w_.claim());  // the same until publish()
        poll();  // claim() may have waited for a buffer, reaping completions
        const std::span<const std::byte> block = bodies_.offer(held());
        std::memcpy(area.data() + (block.data() - bodies_.bytes.data()), block.data(),
                    block.size());
        arrived_ns_[offers_ % arrived_slots] = arrived_ns == 0 ? monotonic_ns() : arrived_ns;
        ++offers_;
        ORDO_ASSERT(offers_ - reported_ <= arrived_slots);
    }
    void publish() {
        const std::uint32_t count = held();
        ORDO_ASSERT(count > 0);
        const std::size_t disk_bytes = std::size_t{bodies_.offer_bytes} * count;
        const auto body_bytes = static_cast<std::uint32_t>(disk_bytes - batch_header_bytes);
        const std::uint64_t batch =
            checked(w_.publish(body_bytes, bodies_.record_counts[count], 0));
        ORDO_ASSERT(batch == first_batch_ + published_);
        offers_end_[published_ % batch_slots] = offers_;
        carried_ = offers_;
        ++published_;
        ORDO_ASSERT(in_flight() <= batches_in_flight_max);
    }
    // One non-blocking poll; true when a batch became durable.
    bool poll() {
        const std::uint64_t now_durable = checked(w_.poll()) - first_batch_;
        if (now_durable == durable_) return false;
        const std::uint64_t now = monotonic_ns();
        for (; durable_ < now_durable; ++durable_) {
            const std::uint64_t end = offers_end_[durable_ % batch_slots];
            for (; reported_ < end; ++reported_) {
                samples_.add(now - arrived_ns_[reported_ % arrived_slots]);
            }
        }
        return true;
    }
    // Until fewer than `limit` batches are in flight: polls like the sequencer (engine
    // backoff: spin ~50 us, then yield), or with `reaper::wait_cqe` blocks in the kernel
    // (writer::wait_durable, io_uring_wait_cqe) for the oldest.
    void wait_below(std::uint64_t limit, reaper how = reaper::poll_backoff) {
        ordo::base::backoff wait;
        while (in_flight() >= limit) {
            if (how == reaper::wait_cqe) {
                checked(w_.wait_durable(first_batch_ + durable_ + 1));
            }
            if (poll()) {
                wait.reset();
            } else {
                wait.idle();
            }
        }
    }
    void drain() { wait_below(1); }

private:
    static constexpr std::size_t arrived_slots = 1u << 12;
    static constexpr std::size_t batch_slots = 2 * batches_in_flight_max;
    writer& w_;
    const offer_bodies& bodies_;
    latency_samples& samples_;
    std::uint64_t first_batch_ = 0;
    std::uint64_t published_ = 0;  // batches, relative to first_batch_
    std::uint64_t durable_ = 0;
    std::uint64_t offers_ = 0;     // offers arrived
    std::uint64_t carried_ = 0;    // offers in published batches
    std::uint64_t reported_ = 0;   // offers whose latency is recorded
    std::uint64_t arrived_ns_[arrived_slots] = {};
    std::uint64_t offers_end_[batch_slots] = {};
};

// Closed loop: the next batch is published whenever fewer than `in_flight` are in flight.
void commit_latency_closed(benchmark::State& state, io_backend_kind backend, reaper how) {
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    const auto in_flight = static_cast<std::uint64_t>(state.range(1));
    ORDO_ASSERT(in_flight >= 1);
    ORDO_ASSERT(in_flight <= batches_in_flight_max);
    const offer_bodies bodies(batch_bytes, 1);
    latency_samples samples;
    std::uint64_t batches = 0;
    {
        commit_driver driver(journal_for(backend), bodies, samples);
        for (auto _ : state) {
            driver.wait_below(in_flight, how);
            driver.offer(0);
            driver.publish();
        }
        driver.drain();
        batches = driver.batches();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(batches * batch_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(batches));
    samples.report(state, "");
}

// Open loop: `batch_bytes` of records arrive every `interval_us`, published by the
// sequencer's rules (engine/sequencer.h): at once while fewer than 2 batches are in flight;
// otherwise they wait in the batch being filled until one completes, the batch is full, or
// the oldest waited 4 flush delays (the interval stands for the flush delay).
void commit_latency_paced(benchmark::State& state, io_backend_kind backend) {
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    const auto interval_ns = static_cast<std::uint64_t>(state.range(1)) * 1000;
    ORDO_ASSERT(interval_ns > 0);
    const offer_bodies bodies(batch_bytes, batch_bytes_max / batch_bytes);
    latency_samples samples;
    std::uint64_t batches = 0;
    // Between arrivals it reaps like the sequencer but never sleeps, so arrivals stay on time.
    ordo::base::backoff wait(ordo::base::backoff_options{
        .spin_iterations = 2'000, .yield_iterations = ordo::base::backoff_iterations_max});
    {
        commit_driver driver(journal_for(backend), bodies, samples);
        std::uint64_t next_ns = monotonic_ns() + interval_ns;
        for (auto _ : state) {
            for (;;) {
                const bool progress = driver.poll();
                const std::uint64_t now = monotonic_ns();
                // Records already due are taken first, as the sequencer drains its rings
                // before it publishes: after a slow publish they join one batch.
                if (now >= next_ns) break;
                const bool overdue =
                    driver.held() > 0 && now - driver.oldest_held_ns() >= 4 * interval_ns;
                const bool keeps_up = driver.in_flight() < sequencer_publish_in_flight_max;
                if (driver.held() > 0 && (keeps_up || overdue)) driver.publish();
                if (progress) {
                    wait.reset();
                } else {
                    wait.idle();
                }
            }
            driver.offer(next_ns);
            if (driver.held() == driver.held_max()) driver.publish();  // full
            next_ns += interval_ns;
        }
        if (driver.held() > 0) driver.publish();
        driver.drain();
        batches = driver.batches();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["batches"] = static_cast<double>(batches);
    samples.report(state, "");
}

// O_DIRECT pwrite + fdatasync through a file pre-written with zeros (or fallocated: unwritten
// extents), one commit at a time, sequentially; a pre-zeroed file wraps around (overwriting
// written blocks costs the same again), a fallocated one is made anew when full.
class raw_file {
public:
    raw_file(bool prezeroed, std::uint64_t file_bytes)
        : prezeroed_(prezeroed), file_bytes_(file_bytes), dir_(make_dir()), path_(dir_ / "raw") {
        ORDO_ASSERT(file_bytes % batch_bytes_max == 0);
        buffer_ = static_cast<std::byte*>(std::aligned_alloc(block_bytes, batch_bytes_max));
        ORDO_ASSERT(buffer_ != nullptr);
        std::memset(buffer_, 0x5a, batch_bytes_max);
        prepare();
    }
    ~raw_file() {
        ::close(fd_);
        std::free(buffer_);
        std::filesystem::remove_all(dir_);
    }
    raw_file(const raw_file&) = delete;
    raw_file& operator=(const raw_file&) = delete;

    bool full(std::uint32_t bytes) const { return offset_ + bytes > file_bytes_; }
    int fd() const { return fd_; }
    std::byte* buffer() const { return buffer_; }  // batch_bytes_max of 0x5a, aligned
    // Where the next commit of `bytes` goes (a pre-zeroed file wraps around).
    std::uint64_t next_offset(std::uint32_t bytes) {
        ORDO_ASSERT(bytes % block_bytes == 0);
        ORDO_ASSERT(bytes <= batch_bytes_max);
        if (full(bytes)) {
            ORDO_ASSERT(prezeroed_);  // callers rewind a fallocated file outside the timing
            offset_ = 0;
        }
        const std::uint64_t offset = offset_;
        offset_ += bytes;
        return offset;
    }
    // Makes room for the next commit: wraps, or (fallocated) prepares a new file. Untimed.
    void rewind() {
        offset_ = 0;
        if (!prezeroed_) prepare();
    }
    // One commit; returns its latency.
    std::uint64_t commit_ns(std::uint32_t bytes) {
        const std::uint64_t offset = next_offset(bytes);
        const std::uint64_t start = monotonic_ns();
        ORDO_ASSERT(::pwrite(fd_, buffer_, bytes, static_cast<off_t>(offset)) ==
                    static_cast<ssize_t>(bytes));
        ORDO_ASSERT(::fdatasync(fd_) == 0);
        return monotonic_ns() - start;
    }

private:
    void prepare() {
        if (fd_ >= 0) ::close(fd_);
        ::unlink(path_.c_str());
        const int plain = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        ORDO_ASSERT(plain >= 0);
        if (prezeroed_) {
            const std::vector<std::byte> zeros(1 << 20);
            for (std::uint64_t at = 0; at < file_bytes_; at += zeros.size()) {
                ORDO_ASSERT(::pwrite(plain, zeros.data(), zeros.size(), static_cast<off_t>(at)) ==
                            static_cast<ssize_t>(zeros.size()));
            }
        } else {
            ORDO_ASSERT(::fallocate(plain, 0, 0, static_cast<off_t>(file_bytes_)) == 0);
        }
        ORDO_ASSERT(::fsync(plain) == 0);
        ::close(plain);
        fd_ = ::open(path_.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
        ORDO_ASSERT(fd_ >= 0);
    }

    bool prezeroed_;
    std::uint64_t file_bytes_;
    std::filesystem::path dir_;
    std::filesystem::path path_;
    std::byte* buffer_ = nullptr;
    int fd_ = -1;
    std::uint64_t offset_ = 0;
};

std::uint64_t raw_file_bytes() { return smoke() ? (4ull << 20) : (256ull << 20); }

raw_file& raw_prezeroed() {
    static raw_file file(true, raw_file_bytes());
    return file;
}

void commit_latency_raw(benchmark::State& state, bool prezeroed) {
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    std::unique_ptr<raw_file> fallocated;
    if (!prezeroed) fallocated = std::make_unique<raw_file>(false, raw_file_bytes());
    raw_file& file = prezeroed ? raw_prezeroed() : *fallocated;
    latency_samples samples;
    for (auto _ : state) {
        if (!prezeroed && file.full(batch_bytes)) {
            state.PauseTiming();
            file.rewind();  // written blocks are no longer unwritten extents
            state.ResumeTiming();
        }
        samples.add(file.commit_ns(batch_bytes));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    samples.report(state, "");
}

// The two ways io_uring can make a write durable, straight on a pre-zeroed file without the
// writer, so the writer's choice (RWF_DSYNC, journal/io/uring_backend.h) stays measured
// against the alternative. Thread: the benchmark's thread.
enum class uring_sync : std::uint8_t { linked_fdatasync, rwf_dsync };

class uring_file {
public:
    uring_file() : file_(true, raw_file_bytes()) {
        ORDO_ASSERT(io_uring_queue_init(4 * batches_in_flight_max, &ring_, 0) == 0);
        const iovec buffer{.iov_base = file_.buffer(), .iov_len = batch_bytes_max};
        ORDO_ASSERT(io_uring_register_buffers(&ring_, &buffer, 1) == 0);
    }
    ~uring_file() { io_uring_queue_exit(&ring_); }
    uring_file(const uring_file&) = delete;
    uring_file& operator=(const uring_file&) = delete;

    // `count` commits of `bytes` in a closed loop with `in_flight` at once, reaped like the
    // sequencer reaps (peek, base::backoff); adds each one's latency to `samples`.
    void commit_block(uring_sync how, std::uint32_t bytes, std::uint32_t count,
                      std::uint64_t in_flight, latency_samples& samples) {
        ORDO_ASSERT(in_flight >= 1);
        ORDO_ASSERT(in_flight <= batches_in_flight_max);
        std::uint32_t submitted = 0;
        std::uint32_t done = 0;
        ordo::base::backoff wait;
        while (done < count) {
            while (submitted < count && submitted - done < in_flight) {
                submit(how, bytes);
                ++submitted;
            }
            io_uring_cqe* cqe = nullptr;
            if (io_uring_peek_cqe(&ring_, &cqe) != 0) {
                wait.idle();
                continue;
            }
            wait.reset();
            ORDO_ASSERT(cqe->res >= 0);
            // Completions may come out of order: each names its slot, not its position.
            commit& c = commits_[io_uring_cqe_get_data64(cqe)];
            io_uring_cqe_seen(&ring_, cqe);
            ORDO_ASSERT(c.cqes_left > 0);
            if (--c.cqes_left > 0) continue;
            samples.add(monotonic_ns() - c.started_ns);
            ++done;
        }
    }

private:
    struct commit {
        std::uint64_t started_ns = 0;
        std::uint32_t cqes_left = 0;  // 0: the slot is free
    };

    // Submits one commit in a free slot.
    void submit(uring_sync how, std::uint32_t bytes) {
        std::uint64_t slot = 0;
        while (commits_[slot].cqes_left != 0) ++slot;  // fewer in flight than slots
        ORDO_ASSERT(slot < commits_.size());
        io_uring_sqe* write = io_uring_get_sqe(&ring_);
        ORDO_ASSERT(write != nullptr);
        io_uring_prep_write_fixed(write, file_.fd(), file_.buffer(), bytes,
                                  file_.next_offset(bytes), 0);
        io_uring_sqe_set_data64(write, slot);
        std::uint32_t cqes = 1;
        if (how == uring_sync::rwf_dsync) {
            write->rw_flags = RWF_DSYNC;
        } else {
            write->flags |= IOSQE_IO_LINK;
            io_uring_sqe* sync = io_uring_get_sqe(&ring_);
            ORDO_ASSERT(sync != nullptr);
            io_uring_prep_fsync(sync, file_.fd(), IORING_FSYNC_DATASYNC);
            io_uring_sqe_set_data64(sync, slot);
            cqes = 2;
        }
        commits_[slot] = commit{.started_ns = monotonic_ns(), .cqes_left = cqes};
        ORDO_ASSERT(io_uring_submit(&ring_) == static_cast<int>(cqes));
    }

    std::array<commit, 2 * batches_in_flight_max> commits_{};
    raw_file file_;
    io_uring ring_{};
};

// Raw pwrite + fdatasync and io_uring commits interleaved, 64 of each per iteration.
void commit_mechanism_ratio(benchmark::State& state, uring_sync how) {
    const std::uint32_t block_commits = smoke() ? 4 : 64;
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    const auto in_flight = static_cast<std::uint64_t>(state.range(1));
    raw_file& raw = raw_prezeroed();
    static uring_file uring;
    latency_samples uring_samples;
    latency_samples raw_samples;
    for (auto _ : state) {
        for (std::uint32_t i = 0; i < block_commits; ++i) {
            raw_samples.add(raw.commit_ns(batch_bytes));
        }
        uring.commit_block(how, batch_bytes, block_commits, in_flight, uring_samples);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * block_commits));
    uring_samples.report(state, "");
    raw_samples.report(state, "raw_");
    state.counters["p50_ratio"] = uring_samples.quantile_us(0.5) / raw_samples.quantile_us(0.5);
    state.counters["p99_ratio"] = uring_samples.quantile_us(0.99) / raw_samples.quantile_us(0.99);
}

// Raw and engine commits interleaved, 64 of each per iteration (the engine in a closed loop
// with `in_flight` batches), so the ratio of their p99s comes from the same disk weather.
void commit_p99_ratio(benchmark::State& state, io_backend_kind backend) {
    const std::uint32_t block_commits = smoke() ? 4 : 64;
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    const auto in_flight = static_cast<std::uint64_t>(state.range(1));
    const offer_bodies bodies(batch_bytes, 1);
    raw_file& raw = raw_prezeroed();
    latency_samples engine_samples;
    latency_samples raw_samples;
    {
        commit_driver driver(journal_for(backend), bodies, engine_samples);
        for (auto _ : state) {
            for (std::uint32_t i = 0; i < block_commits; ++i) {
                raw_samples.add(raw.commit_ns(batch_bytes));
            }
            for (std::uint32_t i = 0; i < block_commits; ++i) {
                driver.wait_below(in_flight);
                driver.offer(0);
                driver.publish();
            }
            driver.drain();
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * block_commits));
    engine_samples.report(state, "");
    raw_samples.report(state, "raw_");
    if (engine_samples.size() == 0 || raw_samples.size() == 0) return;
    state.counters["p50_ratio"] = engine_samples.quantile_us(0.5) / raw_samples.quantile_us(0.5);
    state.counters["p99_ratio"] =
        engine_samples.quantile_us(0.99) / raw_samples.quantile_us(0.99);
}

// verify() over a journal that sits in the page cache: checksums + framing at memory speed.
void verify_page_cache_64kib_batches(benchmark::State& state) {
    const std::filesystem::path dir = make_dir();
    const std::uint32_t batch_bytes = 64u << 10;
    const std::uint64_t batch_count = smoke() ? 32 : 4096;  // 256 MiB in full runs
    // Segments filled exactly: a journal that ends inside a segment makes recovery scan the
    // rest of it for stray batches (the torn-tail rule), which is not what this measures.
    const std::uint64_t segment_bytes = smoke() ? (2ull << 20) : (64ull << 20);
    {
        auto w = writer::open(writer_options{.dir = dir,
                                             .sync = sync_mode::buffered,
                                             .segment_bytes = segment_bytes,
                                             .direct_io = false},
                              {});
        ORDO_ASSERT(w.has_value());
        const offer_bodies bodies(batch_bytes, 1);
        for (std::uint64_t i = 0; i < batch_count; ++i) {
            auto area = (*w)->claim();
            ORDO_ASSERT(area.has_value());
            std::memcpy(area->data(), bodies.bytes.data(), bodies.bytes.size());
            ORDO_ASSERT((*w)->publish(static_cast<std::uint32_t>(bodies.bytes.size()),
                                      bodies.record_counts[1], i));
        }
        ORDO_ASSERT((*w)->wait_durable(batch_count).value() == batch_count);
    }
    ORDO_ASSERT(verify(dir).has_value());  // warm the page cache
    for (auto _ : state) {
        auto report = verify(dir);
        ORDO_ASSERT(report.has_value());
        ORDO_ASSERT(report->batches == batch_count);
        benchmark::DoNotOptimize(report->records);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch_count *
                                                      batch_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_count));
    std::filesystem::remove_all(dir);
}

constexpr std::int64_t batch_sizes[] = {4 << 10, 64 << 10, 1 << 20};

// Full runs sample long enough for a p99.9 of thousands of commits; smoke runs once.
void common(benchmark::internal::Benchmark* b) {
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
    if (!smoke()) b->MinTime(2.0);
}

void raw_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch_bytes"});
    for (const std::int64_t bytes : batch_sizes) b->Args({bytes});
    common(b);
}

void closed_args(benchmark::internal::Benchmark* b, std::initializer_list<std::int64_t> counts) {
    b->ArgNames({"batch_bytes", "in_flight"});
    for (const std::int64_t bytes : batch_sizes) {
        for (const std::int64_t count : counts) b->Args({bytes, count});
    }
    common(b);
}

void uring_closed_args(benchmark::internal::Benchmark* b) { closed_args(b, {1, 2, 4}); }
// pwrite completes each commit inside publish(): one in flight is all it can do.
void pwrite_closed_args(benchmark::internal::Benchmark* b) { closed_args(b, {1}); }
void ratio_args(benchmark::internal::Benchmark* b) { closed_args(b, {1, 2}); }

// Offered loads below saturation: a flush delay's worth of records every 200 us (the
// default flush_delay_us) and every 1000 us; 1 MiB every 2500 and 5000 us (400 and 200
// MB/s: at 1 GB/s the journal saturates, since zeroing the next segment doubles the bytes
// the disk writes).
void paced_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch_bytes", "interval_us"});
    b->Args({4 << 10, 200})->Args({4 << 10, 1000});
    b->Args({64 << 10, 200})->Args({64 << 10, 1000});
    b->Args({1 << 20, 2500})->Args({1 << 20, 5000});
    common(b);
}

}  // namespace

BENCHMARK_CAPTURE(commit_latency_raw, pwrite_fdatasync_prezeroed, true)->Apply(raw_args);
BENCHMARK_CAPTURE(commit_latency_raw, pwrite_fdatasync_fallocated, false)->Apply(raw_args);
BENCHMARK_CAPTURE(commit_latency_closed, uring, io_backend_kind::uring, reaper::poll_backoff)
    ->Apply(uring_closed_args);
BENCHMARK_CAPTURE(commit_latency_closed, uring_wait_cqe, io_backend_kind::uring, reaper::wait_cqe)
    ->Apply(uring_closed_args);
BENCHMARK_CAPTURE(commit_latency_closed, pwrite, io_backend_kind::pwrite, reaper::poll_backoff)
    ->Apply(pwrite_closed_args);
BENCHMARK_CAPTURE(commit_latency_paced, uring, io_backend_kind::uring)->Apply(paced_args);
BENCHMARK_CAPTURE(commit_latency_paced, pwrite, io_backend_kind::pwrite)->Apply(paced_args);
BENCHMARK_CAPTURE(commit_p99_ratio, uring_vs_raw, io_backend_kind::uring)->Apply(ratio_args);
BENCHMARK_CAPTURE(commit_p99_ratio, pwrite_vs_raw, io_backend_kind::pwrite)
    ->Apply(pwrite_closed_args);
BENCHMARK_CAPTURE(commit_mechanism_ratio, uring_rwf_dsync_vs_raw, uring_sync::rwf_dsync)
    ->Apply(ratio_args);
BENCHMARK_CAPTURE(commit_mechanism_ratio, uring_linked_fdatasync_vs_raw,
                  uring_sync::linked_fdatasync)
    ->Apply(ratio_args);
BENCHMARK(verify_page_cache_64kib_batches)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
