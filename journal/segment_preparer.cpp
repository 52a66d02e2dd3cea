#include "journal/segment_preparer.h"

#include "journal/base/assert.h"
#include "journal/segment.h"

namespace ordo::journal {

segment_preparer::segment_preparer(io::io_backend* backend, std::filesystem::path dir,
                                   std::uint64_t segment_bytes, std::uint32_t named_through)
    : backend_(backend),
      dir_(std::move(dir)),
      segment_bytes_(segment_bytes),
      named_through_(named_through) {
    ORDO_ASSERT(backend != nullptr);
    ORDO_ASSERT(segment_bytes > 0);
    thread_ = std::thread([this] { run(); });
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
    changed_.wait(lock, [&] { return prepared_.has_value() || error_.has_value(); });
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

std::expected<void, journal_error> segment_preparer::prepare(std::uint32_t index) {
    const std::filesystem::path path = dir_ / prepared_segment_name(index);
    auto created = backend_->create_zeroed(path, segment_bytes_);
    if (!created) return created;
    // The prepared file itself need not survive a crash (it holds no data), but its blocks
    // must be written before they are overwritten by batches; create_zeroed synced them.
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
            auto synced = backend_->sync_dir(dir_);
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
