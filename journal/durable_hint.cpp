#include "journal/durable_hint.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstring>
#include <ctime>

#include "base/assert.h"
#include "base/clock.h"
#include "base/cpu.h"
#include "journal/data_dir.h"

namespace ordo::journal {
namespace {

// Byte offsets (DURABLE_HINT_FORMAT.md).
constexpr std::size_t at_magic = 0;
constexpr std::size_t at_version = 8;
constexpr std::size_t at_wake = 12;     // u32 futex word: +1 at every publish
constexpr std::size_t at_waiters = 16;  // u32 readers in (or entering) a futex wait
constexpr std::size_t at_lock = 24;     // u64 sequence lock: odd while an update is under way
constexpr std::size_t at_opened_write_count = 32;
constexpr std::size_t at_opened = 40;   // a position: 6 words
constexpr std::size_t at_durable = 88;  // a position: 6 words
constexpr std::size_t at_durable_ns = 136;
constexpr std::size_t at_busy_cpu = 144;  // u32: the CPU + 1, 0 when none (older pages)

// A reader gives up on a lock that does not settle (a writer that died mid-update).
constexpr int settle_tries_max = 10'000;
// How long a waiting reader spins before it sleeps in the kernel: a writer at full rate
// moves its watermark every few microseconds, and a futex round trip costs about as much.
constexpr std::uint64_t spin_ns = 20'000;

std::atomic_ref<std::uint64_t> word64(void* page, std::size_t offset) noexcept {
    return std::atomic_ref<std::uint64_t>(
        *reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(page) + offset));
}
std::atomic_ref<std::uint32_t> word32(void* page, std::size_t offset) noexcept {
    return std::atomic_ref<std::uint32_t>(
        *reinterpret_cast<std::uint32_t*>(static_cast<std::byte*>(page) + offset));
}

// The sequence lock without fences (GCC refuses atomic_thread_fence under -fsanitize=thread):
// every word inside the lock is stored with release and loaded with acquire, so a reader that
// sees any new word also sees the odd lock before it, and its re-read of the lock cannot move
// above its loads of the words. On x86 these are plain moves, as relaxed ones are.
void store_position(void* page, std::size_t offset, const journal_position& p) noexcept {
    const std::uint64_t words[6] = {p.next_batch_number, p.next_sequence, p.segment_index,
                                    p.segment_offset,    p.previous_header_checksum.low,
                                    p.previous_header_checksum.high};
    for (std::size_t i = 0; i < 6; i++) {
        word64(page, offset + 8 * i).store(words[i], std::memory_order_release);
    }
}

journal_position load_position(void* page, std::size_t offset) noexcept {
    std::uint64_t w[6];
    for (std::size_t i = 0; i < 6; i++) {
        w[i] = word64(page, offset + 8 * i).load(std::memory_order_acquire);
    }
    return journal_position{.next_batch_number = w[0],
                            .next_sequence = w[1],
                            .segment_index = static_cast<std::uint32_t>(w[2]),
                            .segment_offset = w[3],
                            .previous_header_checksum = {.low = w[4], .high = w[5]}};
}

void* map_page(const std::filesystem::path& path, bool create) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) return nullptr;
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0;
    if (ok && create && st.st_size != static_cast<off_t>(durable_hint_bytes)) {
        ok = ::ftruncate(fd, static_cast<off_t>(durable_hint_bytes)) == 0;
    } else if (ok && !create) {
        ok = st.st_size == static_cast<off_t>(durable_hint_bytes);
    }
    void* page = ok ? ::mmap(nullptr, durable_hint_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                             fd, 0)
                    : MAP_FAILED;
    ::close(fd);  // the mapping keeps the file
    return page == MAP_FAILED ? nullptr : page;
}

// The stored CPU + 1 as a CPU, -1 for none (or one no CPU number can be: a damaged page).
std::int32_t busy_cpu_of(std::uint32_t stored) noexcept {
    if (stored == 0 || stored > static_cast<std::uint32_t>(INT32_MAX)) return -1;
    return static_cast<std::int32_t>(stored - 1);
}

long futex(void* word, int op, std::uint32_t value, const timespec* timeout) noexcept {
    // No FUTEX_PRIVATE_FLAG: the word is in a shared file mapping, other processes wait on it.
    return ::syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

}  // namespace

std::expected<durable_hint_file, std::string> durable_hint_file::create(
    const std::filesystem::path& data_dir, std::uint64_t opened_write_count,
    const journal_position& opened, std::int32_t busy_cpu) {
    ORDO_ASSERT(busy_cpu >= -1);
    const auto path = data_dir_layout::durable_hint(data_dir);
    void* page = map_page(path, true);
    if (page == nullptr) {
        return std::unexpected(path.string() + ": " + std::strerror(errno));
    }
    // In place, under the lock: a reader that mapped a previous writer's page sees this one.
    std::uint64_t lock = word64(page, at_lock).load(std::memory_order_relaxed);
    if (lock % 2 == 0) lock++;
    word64(page, at_lock).store(lock, std::memory_order_relaxed);
    word64(page, at_magic).store(durable_hint_magic, std::memory_order_release);
    word32(page, at_version).store(durable_hint_format_version, std::memory_order_release);
    word64(page, at_opened_write_count).store(opened_write_count, std::memory_order_release);
    store_position(page, at_opened, opened);
    store_position(page, at_durable, opened);
    word64(page, at_durable_ns).store(base::monotonic_ns(), std::memory_order_release);
    word32(page, at_busy_cpu).store(static_cast<std::uint32_t>(busy_cpu + 1),
                                    std::memory_order_release);
    word64(page, at_lock).store(lock + 1, std::memory_order_release);
    return durable_hint_file(page);
}

durable_hint_file::~durable_hint_file() {
    if (page_ != nullptr) ::munmap(page_, durable_hint_bytes);
}

void durable_hint_file::publish(const journal_position& durable,
                                std::uint64_t monotonic_ns) noexcept {
    ORDO_ASSERT(page_ != nullptr);
    const std::uint64_t lock = word64(page_, at_lock).load(std::memory_order_relaxed);
    ORDO_ASSERT(lock % 2 == 0);  // one writer, this thread
    ORDO_ASSERT(durable.next_batch_number >=
                word64(page_, at_durable).load(std::memory_order_relaxed));
    word64(page_, at_lock).store(lock + 1, std::memory_order_relaxed);
    store_position(page_, at_durable, durable);
    word64(page_, at_durable_ns).store(monotonic_ns, std::memory_order_release);
    word64(page_, at_lock).store(lock + 2, std::memory_order_release);
    // Waiters: a reader counts itself, then reads the wake word, then checks the end; this
    // bumps the word after publishing, then reads the count (all sequentially consistent):
    // either it sees the reader, or the reader sees the new end or the new word.
    word32(page_, at_wake).fetch_add(1, std::memory_order_seq_cst);
    if (word32(page_, at_waiters).load(std::memory_order_seq_cst) != 0) {
        futex(static_cast<std::byte*>(page_) + at_wake, FUTEX_WAKE, INT_MAX, nullptr);
    }
}

std::optional<durable_hint_view> durable_hint_view::open(const std::filesystem::path& data_dir) {
    void* page = map_page(data_dir_layout::durable_hint(data_dir), false);
    if (page == nullptr) return std::nullopt;
    return durable_hint_view(page);
}

durable_hint_view& durable_hint_view::operator=(durable_hint_view&& other) noexcept {
    if (this != &other) {
        if (page_ != nullptr) ::munmap(page_, durable_hint_bytes);
        page_ = other.page_;
        other.page_ = nullptr;
    }
    return *this;
}

durable_hint_view::~durable_hint_view() {
    if (page_ != nullptr) ::munmap(page_, durable_hint_bytes);
}

std::optional<durable_hint_value> durable_hint_view::load() const noexcept {
    ORDO_ASSERT(page_ != nullptr);
    for (int tries = 0; tries < settle_tries_max; tries++) {
        const std::uint64_t before = word64(page_, at_lock).load(std::memory_order_acquire);
        if (before % 2 == 0) {
            const std::uint64_t magic = word64(page_, at_magic).load(std::memory_order_acquire);
            const std::uint32_t version =
                word32(page_, at_version).load(std::memory_order_acquire);
            durable_hint_value value{
                .opened_write_count =
                    word64(page_, at_opened_write_count).load(std::memory_order_acquire),
                .opened = load_position(page_, at_opened),
                .durable = load_position(page_, at_durable),
                .durable_monotonic_ns =
                    word64(page_, at_durable_ns).load(std::memory_order_acquire),
                .busy_cpu = busy_cpu_of(
                    word32(page_, at_busy_cpu).load(std::memory_order_acquire))};
            if (word64(page_, at_lock).load(std::memory_order_relaxed) == before) {
                if (magic != durable_hint_magic || version != durable_hint_format_version) {
                    return std::nullopt;
                }
                return value;
            }
        }
        base::cpu_relax();
    }
    return std::nullopt;
}

bool hint_belongs_to(const durable_hint_value& hint, const manifest& recorded) noexcept {
    // A closed manifest records the exact end: nothing can be ahead of it.
    if (recorded.state != manifest_state::open) return false;
    // Written by the writer that opened it, or by its keeper since (write_count grows).
    if (hint.opened_write_count > recorded.write_count) return false;
    if (hint.opened_write_count == recorded.write_count &&
        hint.opened != recorded.durable_end) {
        return false;
    }
    if (hint.opened.next_batch_number > recorded.durable_end.next_batch_number) return false;
    if (hint.durable.next_batch_number < hint.opened.next_batch_number ||
        hint.durable.next_sequence < hint.opened.next_sequence ||
        hint.durable.segment_index < hint.opened.segment_index) {
        return false;
    }
    return true;
}

std::optional<durable_hint_value> durable_hint_view::end_for(
    const manifest& recorded) const noexcept {
    const auto hint = load();
    if (!hint || !hint_belongs_to(*hint, recorded)) return std::nullopt;
    if (hint->durable.next_batch_number <= recorded.durable_end.next_batch_number) {
        return std::nullopt;  // behind or equal: the manifest says as much
    }
    return hint;
}

void durable_hint_view::wait_past(std::uint64_t batches, std::uint64_t timeout_us) const noexcept {
    ORDO_ASSERT(page_ != nullptr);
    auto durable = [this] {
        return word64(page_, at_durable).load(std::memory_order_acquire);
    };
    const std::uint64_t start_ns = base::monotonic_ns();
    while (base::monotonic_ns() - start_ns < spin_ns) {
        if (durable() > batches) return;
        base::cpu_relax();
    }
    auto waiters = word32(page_, at_waiters);
    waiters.fetch_add(1, std::memory_order_seq_cst);
    const std::uint32_t seen = word32(page_, at_wake).load(std::memory_order_seq_cst);
    if (durable() <= batches) {
        const timespec timeout{.tv_sec = static_cast<time_t>(timeout_us / 1'000'000),
                               .tv_nsec = static_cast<long>(timeout_us % 1'000'000) * 1000};
        futex(static_cast<std::byte*>(page_) + at_wake, FUTEX_WAIT, seen, &timeout);
    }
    waiters.fetch_sub(1, std::memory_order_seq_cst);
}

}  // namespace ordo::journal
