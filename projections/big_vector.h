#pragma once
// The views' large arrays (id indexes, append-only entries) on transparent huge pages. Their
// lookups land anywhere in tables of tens to hundreds of MB (ids named at random, as a
// mistyped one is): on 4 KiB pages each such lookup also misses the TLB, and each first
// touch of a page is a host page fault (1-3 GB/s here, MACHINE.md). An allocation of a huge
// page or more is aligned to one and madvise(MADV_HUGEPAGE)d (a hint: the kernel may still
// use small pages); smaller ones come from the default allocator.
//
// Stateless allocator; any thread.

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace ordo::projections {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

template <class T>
struct huge_page_allocator {
    using value_type = T;

    huge_page_allocator() noexcept = default;
    template <class U>
    explicit(false) huge_page_allocator(const huge_page_allocator<U>&) noexcept {}

    T* allocate(std::size_t count) {
        const std::size_t bytes = count * sizeof(T);
        if (bytes < huge_page_bytes) return std::allocator<T>{}.allocate(count);
        const std::size_t rounded =
            (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
        void* memory = std::aligned_alloc(huge_page_bytes, rounded);
        if (memory == nullptr) throw std::bad_alloc();
        ::madvise(memory, rounded, MADV_HUGEPAGE);  // a hint only: failing it costs speed
        return static_cast<T*>(memory);
    }
    void deallocate(T* memory, std::size_t count) noexcept {
        if (count * sizeof(T) < huge_page_bytes) {
            std::allocator<T>{}.deallocate(memory, count);
        } else {
            std::free(memory);
        }
    }
    template <class U>
    bool operator==(const huge_page_allocator<U>&) const noexcept {
        return true;
    }
};

template <class T>
using big_vector = std::vector<T, huge_page_allocator<T>>;

// Reserves room for `count` elements as a hint (projection::expect_records), and at least
// twice the room it has: a follower falling behind now and then hints a few records past its
// size each time, and reserving just those would copy the whole array at every hint (the
// growth stays geometric). When memory refuses, the vector grows as elements come instead.
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
