#pragma once
// XXH3-128 checksums for everything the journal and snapshots put on disk. Compiled
// header-only (XXH_INLINE_ALL): Debian's libxxhash is built without AVX2 and is ~4.5x
// slower here (MACHINE.md), and inlining lets small headers hash at ~300 M/s.

// AVX2, not AVX-512: GCC 12 warns (falsely) about uninitialised vectors in its AVX-512
// intrinsics as xxhash uses them, and AVX2 already hashes far faster than the disk writes.
#define XXH_INLINE_ALL
#if defined(__AVX2__)
#define XXH_VECTOR XXH_AVX2
#endif
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace ordo::journal {

struct checksum128 {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    friend bool operator==(const checksum128&, const checksum128&) = default;
};
static_assert(sizeof(checksum128) == 16);
static_assert(std::has_unique_object_representations_v<checksum128>);

inline checksum128 checksum(const void* data, std::size_t size_bytes) noexcept {
    const XXH128_hash_t hash = XXH3_128bits(data, size_bytes);
    return checksum128{.low = hash.low64, .high = hash.high64};
}
inline checksum128 checksum(std::span<const std::byte> bytes) noexcept {
    return checksum(bytes.data(), bytes.size());
}
// Seeded variant: chains a value to its predecessor without copying them together.
inline checksum128 checksum(const void* data, std::size_t size_bytes,
                            std::uint64_t seed) noexcept {
    const XXH128_hash_t hash = XXH3_128bits_withSeed(data, size_bytes, seed);
    return checksum128{.low = hash.low64, .high = hash.high64};
}

// The checksum of bytes given a piece at a time (a file written in pieces, too large to
// build in memory first): equal to checksum() over the pieces back to back. The state is
// 576 bytes, 64-byte aligned; one thread.
class checksum_stream {
  public:
    checksum_stream() noexcept { XXH3_128bits_reset(&state_); }
    void update(std::span<const std::byte> bytes) noexcept {
        XXH3_128bits_update(&state_, bytes.data(), bytes.size());
    }
    checksum128 digest() const noexcept {
        const XXH128_hash_t hash = XXH3_128bits_digest(&state_);
        return checksum128{.low = hash.low64, .high = hash.high64};
    }

  private:
    XXH3_state_t state_;  // 64-byte aligned by its own declaration
};

}  // namespace ordo::journal
