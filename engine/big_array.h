#pragma once
// A fixed-size array of trivially copyable records backed by an anonymous mapping. The
// kernel hands out zero pages lazily, so a large table costs only what is touched;
// prefault() populates it all at start-up so the sequencer never page-faults while running.
// Large arrays ask for transparent huge pages: a lookup in a table of gigabytes would
// otherwise miss the TLB as well as the cache.

#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "base/assert.h"

namespace ordo::engine {

// Thread: owned by whoever owns the table (the sequencer); lifecycle: allocated at
// start-up, freed at shutdown, never resized.
template <class T>
class big_array {
    static_assert(std::is_trivially_copyable_v<T>);
    static_assert(std::is_trivially_default_constructible_v<T>);

public:
    big_array() = default;
    explicit big_array(std::size_t count) : count_(count) {
        ORDO_ASSERT(count > 0);
        bytes_ = count * sizeof(T);
        void* memory = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (memory == MAP_FAILED) throw std::bad_alloc();  // start-up only
        data_ = static_cast<T*>(memory);
        if (bytes_ >= huge_page_bytes) madvise(memory, bytes_, MADV_HUGEPAGE);  // a hint only
    }
    big_array(const big_array&) = delete;
    big_array& operator=(const big_array&) = delete;
    big_array(big_array&& other) noexcept { swap(other); }
    big_array& operator=(big_array&& other) noexcept {
        big_array moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~big_array() {
        if (data_ != nullptr) munmap(data_, bytes_);
    }

    void prefault() noexcept {
        // MADV_POPULATE_WRITE (Linux 5.14) faults everything in one call; older kernels
        // get a write per page (a read would map the shared zero page and fault again).
        if (madvise(data_, bytes_, madv_populate_write) == 0) return;
        auto* bytes = reinterpret_cast<volatile unsigned char*>(data_);
        for (std::size_t i = 0; i < bytes_; i += 4096) bytes[i] = 0;
    }
    void clear() noexcept { std::memset(static_cast<void*>(data_), 0, bytes_); }

    // Faults in the pages of [first, first + count) elements without writing them
    // (MADV_POPULATE_WRITE), so another thread may be using the array meanwhile. False when
    // the kernel cannot (before Linux 5.14): the pages then fault in when first touched.
    bool populate(std::size_t first, std::size_t count) const noexcept {
        ORDO_ASSERT(first <= count_);
        ORDO_ASSERT(count <= count_ - first);
        if (count == 0) return true;
        constexpr std::uintptr_t page_bytes = 4096;
        const auto begin = reinterpret_cast<std::uintptr_t>(data_ + first) & ~(page_bytes - 1);
        const auto end = reinterpret_cast<std::uintptr_t>(data_ + first + count);
        return madvise(reinterpret_cast<void*>(begin), end - begin, madv_populate_write) == 0;
    }

    T& operator[](std::size_t index) noexcept {
        ORDO_ASSERT(index < count_);
        return data_[index];
    }
    const T& operator[](std::size_t index) const noexcept {
        ORDO_ASSERT(index < count_);
        return data_[index];
    }
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return count_; }
    std::size_t bytes() const noexcept { return bytes_; }

private:
    static constexpr std::size_t huge_page_bytes = 2u << 20;
    static constexpr int madv_populate_write = 23;  // MADV_POPULATE_WRITE, not in older headers

    void swap(big_array& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(count_, other.count_);
        std::swap(bytes_, other.bytes_);
    }

    T* data_ = nullptr;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
};

}  // namespace ordo::engine
