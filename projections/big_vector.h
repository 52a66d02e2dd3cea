#pragma once
// The views' large arrays (id indexes, append-only entries): a vector of trivially copyable
// elements in its own anonymous mapping, which grows by mremap instead of allocate-copy-free.
// Why not std::vector: a view's arrays reach gigabytes (a history of 100 M commands holds
// 2.4 GB of entries), and each doubling of a std::vector zeroed and copied the whole array in
// one go, inside the follower's poll: at 22 M records a single poll of 1,878 records took
// 2.8 s (bench/RESULTS.md). mremap moves the page tables instead (no copy, no fault); the
// new room is faulted in page by page as elements arrive. Mappings of a huge page or more
// are madvise(MADV_HUGEPAGE)d: lookups land anywhere in tables of hundreds of MB, and on
// 4 KiB pages each would also miss the TLB (a hint: the kernel may still use small pages).
//
// Value type (movable, not copyable), one thread.

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "base/assert.h"

namespace ordo::projections {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

template <class T>
class big_vector {
    static_assert(std::is_trivially_copyable_v<T>, "moved by mremap, never by T's code");
    static_assert(alignof(T) <= 4096);

  public:
    using value_type = T;
    using iterator = T*;
    using const_iterator = const T*;

    big_vector() noexcept = default;
    big_vector(big_vector&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)),
          mapped_bytes_(std::exchange(other.mapped_bytes_, 0)) {}
    big_vector& operator=(big_vector&& other) noexcept {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            capacity_ = std::exchange(other.capacity_, 0);
            mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
        }
        return *this;
    }
    big_vector(const big_vector&) = delete;
    big_vector& operator=(const big_vector&) = delete;
    ~big_vector() { release(); }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t capacity() const noexcept { return capacity_; }
    static constexpr std::size_t max_size() noexcept {
        return static_cast<std::size_t>(PTRDIFF_MAX) / sizeof(T);
    }
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    T* begin() noexcept { return data_; }
    T* end() noexcept { return data_ + size_; }
    const T* begin() const noexcept { return data_; }
    const T* end() const noexcept { return data_ + size_; }
    // Unchecked, as std::vector's: the innermost lookup of every view (a flat index's probe
    // masks its slot number; the views assert the record numbers they keep).
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    T& back() noexcept {
        ORDO_ASSERT(size_ > 0);
        return data_[size_ - 1];
    }
    const T& back() const noexcept {
        ORDO_ASSERT(size_ > 0);
        return data_[size_ - 1];
    }

    void push_back(const T& value) {
        if (size_ == capacity_) grow_to(size_ + 1);
        data_[size_++] = value;
    }
    template <class... Args>
    T& emplace_back(Args&&... args) {
        if (size_ == capacity_) grow_to(size_ + 1);
        data_[size_] = T{std::forward<Args>(args)...};
        return data_[size_++];
    }
    // Appends [first, last) (contiguous elements of T).
    void append(const T* first, const T* last) {
        ORDO_ASSERT(first <= last);
        const auto count = static_cast<std::size_t>(last - first);
        if (count == 0) return;
        if (size_ + count > capacity_) grow_to(size_ + count);
        std::memcpy(data_ + size_, first, count * sizeof(T));
        size_ += count;
    }
    // Room for `count` elements (address space: untouched room costs no memory).
    void reserve(std::size_t count) {
        if (count > capacity_) remap(count);
    }
    // `count` elements of all zero bytes (for a T whose zero is its empty value, as a flat
    // index's slot) in fresh memory: the kernel's zero-filled pages, populated in one call
    // (a flat index touches every page at once as it rehashes; faulting them one by one in
    // hash order measured 4-6% slower on the views that look ids up).
    void assign_zeroed(std::size_t count) {
        assign_zeroed_unpopulated(count);
        populate(0, count);
    }
    // As assign_zeroed, but the pages come in as they are first touched, or by populate():
    // room prepared ahead of its use, faulted in a little at a time.
    void assign_zeroed_unpopulated(std::size_t count) {
        release();
        if (count == 0) return;
        remap(count);
        size_ = count;
    }
    // Faults in the elements [first, first + count) (a hint: they fault when touched
    // otherwise).
    void populate(std::size_t first, std::size_t count) noexcept {
        ORDO_ASSERT(first <= size_ && count <= size_ - first);
        if (count == 0) return;
        const auto start = reinterpret_cast<std::uintptr_t>(data_ + first) & ~std::uintptr_t{4095};
        const auto end = reinterpret_cast<std::uintptr_t>(data_ + first + count);
        (void)::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
    }
    void clear() noexcept { size_ = 0; }
    // Gives the memory back when empty (the rest stays: a view's arrays shrink only when
    // the view is cleared).
    void shrink_to_fit() noexcept {
        if (size_ == 0) release();
    }

  private:
    static std::size_t bytes_for(std::size_t count) {
        if (count > max_size()) throw std::bad_alloc();
        const std::size_t bytes = count * sizeof(T);
        const std::size_t unit = bytes >= huge_page_bytes ? huge_page_bytes : 4096;
        return (bytes + unit - 1) / unit * unit;
    }
    void grow_to(std::size_t needed) {
        // Geometric: appends stay amortised O(1), with a first mapping of one page or more.
        const std::size_t doubled = capacity_ > max_size() / 2 ? max_size() : capacity_ * 2;
        remap(std::max({needed, doubled, 4096 / sizeof(T) + 1}));
    }
    // Capacity for at least `count` elements; the elements kept where they are or moved
    // with their pages. Throws std::bad_alloc when the kernel refuses (as a vector would).
    void remap(std::size_t count) {
        ORDO_ASSERT(count > capacity_);
        const std::size_t bytes = bytes_for(count);
        void* memory = nullptr;
        if (bytes < huge_page_bytes) {
            memory = data_ == nullptr ? map_fresh(bytes)
                                      : ::mremap(data_, mapped_bytes_, bytes, MREMAP_MAYMOVE);
            if (memory == MAP_FAILED) throw std::bad_alloc();
        } else {
            // Huge-page aligned (the kernel maps huge pages only at aligned addresses), and
            // the elements' pages moved to its start, not copied.
            const std::size_t reach = bytes + huge_page_bytes;
            void* fresh = map_fresh(reach);
            if (fresh == MAP_FAILED) throw std::bad_alloc();
            const auto start = reinterpret_cast<std::uintptr_t>(fresh);
            const std::uintptr_t aligned = (start + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
            if (aligned > start) ::munmap(fresh, aligned - start);
            if (const std::size_t tail = start + reach - (aligned + bytes); tail > 0) {
                ::munmap(reinterpret_cast<void*>(aligned + bytes), tail);
            }
            memory = reinterpret_cast<void*>(aligned);
            if (data_ != nullptr && ::mremap(data_, mapped_bytes_, mapped_bytes_,
                                             MREMAP_MAYMOVE | MREMAP_FIXED, memory) == MAP_FAILED) {
                ::munmap(memory, bytes);
                throw std::bad_alloc();
            }
            ::madvise(memory, bytes, MADV_HUGEPAGE);  // a hint: failing it costs speed
        }
        data_ = static_cast<T*>(memory);
        mapped_bytes_ = bytes;
        capacity_ = bytes / sizeof(T);
        ORDO_ASSERT(capacity_ >= count);
    }
    static void* map_fresh(std::size_t bytes) noexcept {
        return ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    void release() noexcept {
        if (data_ != nullptr) ::munmap(data_, mapped_bytes_);
        data_ = nullptr;
        size_ = 0;
        capacity_ = 0;
        mapped_bytes_ = 0;
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
    std::size_t mapped_bytes_ = 0;
};

// Reserves room for `count` elements as a hint (projection::expect_records), and at least
// twice the room it has: a follower falling behind now and then hints a few records past its
// size each time. When memory refuses, the vector grows as elements come instead.
template <class T>
void reserve_hint(big_vector<T>& v, std::uint64_t count) noexcept {
    if (count <= v.capacity() || count > v.max_size()) return;
    try {
        v.reserve(std::max<std::uint64_t>(count, std::min<std::uint64_t>(v.capacity() * 2,
                                                                          v.max_size())));
    } catch (const std::bad_alloc&) {
        // The hint is dropped.
    }
}

}  // namespace ordo::projections
