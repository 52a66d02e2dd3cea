#include "journal/segment_preparer.h"

#include <algorithm>
#include <chrono>

#include "base/assert.h"
#include "base/cpu.h"
#include "base/clock.h"
#include "journal/limits.h"
#include "journal/segment.h"

namespace ordo::journal {

namespace {

std::uint64_t align_up_to_block(std::uint64_t bytes) {
    return (bytes + block_bytes - 1) / block_bytes * block_bytes;
}

}  // namespace

std::uint64_t zero_lead_bytes_for(std::uint64_t segment_bytes) noexcept {
    const std::uint64_t quarter = segment_bytes / 4 / block_bytes * block_bytes;
    return std::min(segment_preparer::zero_lead_bytes, quarter);
}

std::uint64_t paced_zero_target_bytes(std::uint64_t segment_bytes, std::uint64_t lead_bytes,
                                      std::uint64_t remaining_bytes) noexcept {
    ORDO_ASSERT(lead_bytes > 0);
    ORDO_ASSERT(lead_bytes < segment_bytes);
    if (remaining_bytes <= lead_bytes) return segment_bytes;
    if (remaining_bytes >= segment_bytes) return 0;
    const std::uint64_t written = segment_bytes - remaining_bytes;
    const std::uint64_t span = segment_bytes - lead_bytes;
    ORDO_ASSERT(written < span);
    // written * segment / span without overflow: segment = span + lead, and
    // written * lead < 2^34 * 2^22 (segment_bytes_max, zero_lead_bytes).
    const std::uint64_t target = written + written * lead_bytes / span;
    ORDO_ASSERT(target >= written);
    ORDO_ASSERT(target <= segment_bytes);
    return target;
}

static_assert(segment_preparer::zero_piece_bytes_min % block_bytes == 0);
static_assert(segment_preparer::zero_piece_bytes_max % block_bytes == 0);
static_assert(segment_preparer::zero_piece_bytes_min <= segment_preparer::zero_piece_bytes_max);
static_assert(segment_preparer::zero_lead_bytes % block_bytes == 0);
static_assert(segment_bytes_max <= ~std::uint64_t{0} / segment_preparer::zero_lead_bytes,
              "paced_zero_target_bytes cannot overflow");
static_assert(segment_preparer::zero_lead_bytes >= batch_bytes_max, "a whole batch of slack");
static_assert(segment_preparer::zero_tick_us_min <= segment_preparer::zero_tick_us_max);
static_assert(segment_preparer::zero_idle_us >= 2 * segment_preparer::zero_tick_us_max);

segment_preparer::segment_preparer(io::file_system* files, std::filesystem::path dir,
                                   std::uint64_t segment_bytes, std::uint32_t named_through,
                                   int keep_off_cpu, name_durable_hook on_name_durable)
    : files_(files),
      dir_(std::move(dir)),
      segment_bytes_(segment_bytes),
      lead_bytes_(zero_lead_bytes_for(segment_bytes)),
      on_name_durable_(std::move(on_name_durable)),
      named_through_(named_through),
      writer_remaining_bytes_(segment_bytes) {
    ORDO_ASSERT(files != nullptr);
    ORDO_ASSERT(segment_bytes >= segment_bytes_min);
    ORDO_ASSERT(segment_bytes % block_bytes == 0);
    ORDO_ASSERT(lead_bytes_ > 0);
    ORDO_ASSERT(lead_bytes_ < segment_bytes_);
    thread_ = std::thread([this, keep_off_cpu] {
        if (keep_off_cpu >= 0) {
            base::keep_current_thread_off(static_cast<std::uint32_t>(keep_off_cpu));
        }
        run();
    });
}

segment_preparer::~segment_preparer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void segment_preparer::request_prepare(std::uint32_t index) {
    {
        std::lock_guard lock(mutex_);
        ORDO_ASSERT(!prepare_requested_.has_value());
        ORDO_ASSERT(!prepared_.has_value());
        prepare_requested_ = index;
    }
    changed_.notify_all();
}

std::expected<std::filesystem::path, journal_error> segment_preparer::take(std::uint32_t index) {
    std::unique_lock lock(mutex_);
    if (!prepared_.has_value() && !error_.has_value()) {
        hurry_ = true;  // the writer waits: no more pacing
        changed_.notify_all();
    }
    changed_.wait(lock, [&] { return prepared_.has_value() || error_.has_value(); });
    hurry_ = false;
    if (error_.has_value()) return std::unexpected(*error_);
    ORDO_ASSERT(*prepared_ == index);
    prepared_.reset();
    return dir_ / prepared_segment_name(index);
}

void segment_preparer::request_name_sync(std::uint32_t index) {
    {
        std::lock_guard lock(mutex_);
        ORDO_ASSERT(!name_sync_requested_.has_value());
        ORDO_ASSERT(index == named_through_.load(std::memory_order_relaxed) + 1);
        name_sync_requested_ = index;
    }
    changed_.notify_all();
}

std::expected<void, journal_error> segment_preparer::wait_name_durable(std::uint32_t index) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] {
        return named_through_.load(std::memory_order_acquire) >= index || error_.has_value();
    });
    if (named_through_.load(std::memory_order_acquire) >= index) return {};
    return std::unexpected(*error_);
}

// Notes the writer's position; while it moves, the tick follows its rate so that about
// zero_piece_bytes_min is owed per tick (small pieces, spread over many commits).
void segment_preparer::pace::observe(std::uint64_t remaining, std::uint64_t now_ns) noexcept {
    if (remaining == remaining_bytes) return;
    const bool moved_on = remaining_bytes != ~std::uint64_t{0} && remaining < remaining_bytes;
    if (moved_on && now_ns > seen_ns) {
        const std::uint64_t progressed = remaining_bytes - remaining;
        // piece_min * elapsed / progressed, clamped (elapsed < 2^40 ns in practice).
        const std::uint64_t elapsed = std::min<std::uint64_t>(now_ns - seen_ns, 1ull << 40);
        const double tick = static_cast<double>(zero_piece_bytes_min) *
                            static_cast<double>(elapsed) / static_cast<double>(progressed);
        tick_ns = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(tick),
                                            std::uint64_t{zero_tick_us_min} * 1000,
                                            std::uint64_t{zero_tick_us_max} * 1000);
    }
    remaining_bytes = remaining;  // a rollover (remaining grows) only restarts the count
    seen_ns = now_ns;
}

// Waits (a tick at a time) until the pacing rules of the header allow the next piece.
segment_preparer::piece segment_preparer::next_piece(std::uint64_t zeroed, pace* seen) {
    ORDO_ASSERT(zeroed < segment_bytes_);
    ORDO_ASSERT(zeroed % block_bytes == 0);
    const std::uint64_t left = segment_bytes_ - zeroed;
    const std::uint64_t largest = std::min(left, zero_piece_bytes_max);
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stop_) return piece{};
        // The last piece is always synced: the segment is durable zeros before it is used.
        if (hurry_) return piece{.bytes = largest, .sync = largest == left};
        const std::uint64_t now_ns = base::monotonic_ns();
        const std::uint64_t remaining = writer_remaining_bytes_.load(std::memory_order_relaxed);
        seen->observe(remaining, now_ns);  // the first look counts as progress
        if (now_ns - seen->seen_ns >= std::uint64_t{zero_idle_us} * 1000) {
            return piece{.bytes = largest, .sync = true};  // idle writer: the disk is free
        }
        const std::uint64_t target =
            paced_zero_target_bytes(segment_bytes_, lead_bytes_, remaining);
        if (target > zeroed) {
            const std::uint64_t owed = align_up_to_block(target - zeroed);
            if (owed >= zero_piece_bytes_min || target == segment_bytes_) {
                const std::uint64_t bytes =
                    std::min(largest, std::max(owed, zero_piece_bytes_min));
                return piece{.bytes = bytes, .sync = bytes == left};
            }
        }
        // Ahead of the writer: look again in a tick.
        changed_.wait_for(lock, std::chrono::nanoseconds(seen->tick_ns));
    }
}

// Zero-fills segment `index` a piece at a time. The prepared file need not survive a crash
// (it holds no data; the writer deletes it at open), but its blocks must be written before
// batches overwrite them, and the last piece's fdatasync makes every piece durable.
std::expected<void, journal_error> segment_preparer::prepare(std::uint32_t index) {
    const std::filesystem::path path = dir_ / prepared_segment_name(index);
    std::uint64_t zeroed = 0;
    pace seen;
    while (zeroed < segment_bytes_) {
        const piece next = next_piece(zeroed, &seen);
        if (next.bytes == 0) return {};  // stopping; the unfinished file is removed at open
        ORDO_ASSERT(next.bytes % block_bytes == 0);
        ORDO_ASSERT(zeroed + next.bytes <= segment_bytes_);
        if (zeroed + next.bytes == segment_bytes_) ORDO_ASSERT(next.sync);
        auto written = files_->append_zeros(path, zeroed, next.bytes, next.sync);
        if (!written) return written;
        zeroed += next.bytes;
    }
    return {};
}

void segment_preparer::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [&] {
            return stop_ || prepare_requested_.has_value() || name_sync_requested_.has_value();
        });
        if (stop_) return;
        if (name_sync_requested_.has_value()) {
            const std::uint32_t index = *name_sync_requested_;
            lock.unlock();
            auto synced = files_->sync_dir(dir_);
            if (synced && on_name_durable_) synced = on_name_durable_(index);
            lock.lock();
            name_sync_requested_.reset();
            if (synced) {
                named_through_.store(index, std::memory_order_release);
            } else if (!error_.has_value()) {
                error_ = synced.error();
            }
            changed_.notify_all();
            continue;
        }
        const std::uint32_t index = *prepare_requested_;
        lock.unlock();
        auto prepared = prepare(index);
        lock.lock();
        if (stop_) return;
        prepare_requested_.reset();
        if (prepared) {
            prepared_ = index;
        } else if (!error_.has_value()) {
            error_ = prepared.error();
        }
        changed_.notify_all();
    }
}

}  // namespace ordo::journal
