// Tests for journal/io/uring_backend.h on real files: a synced batch is one RWF_DSYNC write
// with one completion, its failure is reported as such, and it really makes the device flush.

#include "journal/io/uring_backend.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "base/cpu.h"
#include "tests/journal/journal_fixture.h"

using namespace ordo::journal;
using namespace ordo::journal::test;

namespace {

constexpr std::uint32_t buffer_bytes = 64u << 10;

// Block-aligned buffers for O_DIRECT, freed with the object.
struct aligned_buffers {
    std::byte* memory = nullptr;
    std::vector<std::span<std::byte>> spans;
    explicit aligned_buffers(std::uint32_t count) {
        memory = static_cast<std::byte*>(std::aligned_alloc(block_bytes, count * buffer_bytes));
        REQUIRE(memory != nullptr);
        for (std::uint32_t i = 0; i < count; ++i) {
            spans.emplace_back(memory + std::size_t{i} * buffer_bytes, buffer_bytes);
            std::memset(spans.back().data(), 0x40 + static_cast<int>(i), buffer_bytes);
        }
    }
    ~aligned_buffers() { std::free(memory); }
    aligned_buffers(const aligned_buffers&) = delete;
    aligned_buffers& operator=(const aligned_buffers&) = delete;
};

std::unique_ptr<io::uring_backend> make_uring() {
    auto backend = io::uring_backend::create(2 * batches_in_flight_max);
    REQUIRE(backend.has_value());
    return std::move(*backend);
}

// Reaps until `count` completions arrived; returns them.
std::vector<io::io_completion> reap_all(io::io_backend& backend, std::uint32_t count) {
    std::vector<io::io_completion> all;
    io::io_completion batch[2 * batches_in_flight_max];
    while (all.size() < count) {
        const std::uint32_t got = backend.reap(batch, true);
        all.insert(all.end(), batch, batch + got);
    }
    REQUIRE(backend.reap(batch, false) == 0);  // nothing more than was submitted
    return all;
}

// Flushes completed by the block device holding `path` (/proc/diskstats), or nullopt when the
// device cannot be found or does not need flushes (no volatile write cache, or FUA).
std::optional<std::uint64_t> device_flushes(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return std::nullopt;
    const std::string dev = std::to_string(major(status.st_dev)) + ":" +
                            std::to_string(minor(status.st_dev));
    std::error_code error;
    std::filesystem::path sys = std::filesystem::canonical("/sys/dev/block/" + dev, error);
    if (error) return std::nullopt;
    if (!std::filesystem::exists(sys / "queue")) sys = sys.parent_path();  // a partition
    std::ifstream cache(sys / "queue/write_cache");
    std::string mode;
    std::getline(cache, mode);
    std::ifstream fua_file(sys / "queue/fua");
    int fua = 1;
    fua_file >> fua;
    if (mode != "write back" || fua != 0) return std::nullopt;
    std::ifstream stats("/proc/diskstats");
    std::string line;
    while (std::getline(stats, line)) {
        std::istringstream fields(line);
        std::string major_text, minor_text, name;
        fields >> major_text >> minor_text >> name;
        if (name != sys.filename().string()) continue;
        std::uint64_t value = 0;
        for (int field = 1; field <= 16 && fields >> value; ++field) {
            if (field == 16) return value;  // flush requests completed
        }
        return std::nullopt;
    }
    return std::nullopt;
}

// A zeroed 1 MiB segment opened for O_DIRECT on a fresh io_uring, with `buffer_count`
// buffers attached.
struct uring_segment {
    temp_dir tmp;
    std::filesystem::path path = tmp.path() / "segment";
    std::unique_ptr<io::uring_backend> backend = make_uring();
    aligned_buffers buffers;
    io::file_id file = -1;
    explicit uring_segment(std::uint32_t buffer_count) : buffers(buffer_count) {
        REQUIRE(io::real_file_system().create_zeroed(path, 1u << 20).has_value());
        auto opened = backend->open_file(path, true);
        REQUIRE(opened.has_value());
        file = opened->file;
        REQUIRE(backend->attach_buffers(buffers.spans).has_value());
    }
};

}  // namespace

TEST_CASE("synced writes through io_uring complete once each, with their bytes in place") {
    // Proves: three synced writes in flight at once each complete exactly once, without
    // error, and the file then holds their bytes at their offsets (and zeros around them).
    uring_segment segment(3);
    auto& backend = segment.backend;
    auto& buffers = segment.buffers;
    const auto& path = segment.path;
    for (std::uint32_t i = 0; i < 3; ++i) {
        const io::write_request request{.file = segment.file,
                                        .buffer_index = i,
                                        .bytes = buffers.spans[i],
                                        .offset = std::uint64_t{i} * 2 * buffer_bytes,
                                        .sync = true,
                                        .tag = 100 + i};
        REQUIRE(backend->submit_write(request).has_value());
    }
    const auto completions = reap_all(*backend, 3);
    std::set<std::uint64_t> tags;
    for (const io::io_completion& done : completions) {
        REQUIRE(done.error == 0);
        REQUIRE_FALSE(done.short_write);
        tags.insert(done.tag);
    }
    REQUIRE(tags == std::set<std::uint64_t>{100, 101, 102});
    backend->close_file(segment.file);
    const std::vector<std::byte> bytes = read_file(path);
    REQUIRE(bytes.size() == 1u << 20);
    for (std::size_t at = 0; at < bytes.size(); at += block_bytes) {
        const std::size_t slot = at / buffer_bytes;
        const auto expected = slot % 2 == 0 && slot / 2 < 3
                                  ? static_cast<std::byte>(0x40 + slot / 2)
                                  : std::byte{0};
        REQUIRE(bytes[at] == expected);
    }
}

TEST_CASE("a failed io_uring write is reported with its errno and whether it was synced") {
    // Proves: a write the kernel refuses (here EBADF: a read-only descriptor) completes with
    // that errno, as `write_dsync` when it carried the sync and as `write` when it did not.
    temp_dir tmp;
    const auto path = tmp.path() / "segment";
    auto backend = make_uring();
    REQUIRE(io::real_file_system().create_zeroed(path, 1u << 20).has_value());
    const int read_only = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(read_only >= 0);
    aligned_buffers buffers(2);
    REQUIRE(backend->attach_buffers(buffers.spans).has_value());
    for (const bool sync : {true, false}) {
        const io::write_request request{.file = read_only,
                                        .buffer_index = sync ? 0u : 1u,
                                        .bytes = buffers.spans[sync ? 0 : 1],
                                        .offset = 0,
                                        .sync = sync,
                                        .tag = sync ? 7u : 8u};
        REQUIRE(backend->submit_write(request).has_value());
        const auto completions = reap_all(*backend, 1);
        REQUIRE(completions[0].tag == request.tag);
        REQUIRE(completions[0].error == EBADF);
        REQUIRE(completions[0].failed ==
                (sync ? io::io_operation::write_dsync : io::io_operation::write));
    }
    ::close(read_only);
}

TEST_CASE("every synced io_uring write makes the device flush its write cache") {
    // Proves: RWF_DSYNC is not lost on the way: on a disk with a volatile write cache and no
    // FUA (MACHINE.md), 20 synced writes one after another complete at least 20 device
    // flushes (/proc/diskstats; other processes can only add to the count). Elsewhere the
    // test has nothing to observe and says so.
    temp_dir tmp;
    const auto path = tmp.path() / "segment";
    const auto flushes_before = device_flushes(tmp.path());
    if (!flushes_before.has_value()) {
        WARN("the device of /tmp needs no flushes (or is not found): nothing to observe");
        return;
    }
    auto backend = make_uring();
    REQUIRE(io::real_file_system().create_zeroed(path, 2u << 20).has_value());
    auto opened = backend->open_file(path, true);
    REQUIRE(opened.has_value());
    aligned_buffers buffers(1);
    REQUIRE(backend->attach_buffers(buffers.spans).has_value());
    const auto start = device_flushes(tmp.path());
    REQUIRE(start.has_value());
    constexpr std::uint32_t writes = 20;
    for (std::uint32_t i = 0; i < writes; ++i) {
        const io::write_request request{.file = opened->file,
                                        .buffer_index = 0,
                                        .bytes = buffers.spans[0].first(block_bytes),
                                        .offset = std::uint64_t{i} * block_bytes,
                                        .sync = true,
                                        .tag = i};
        REQUIRE(backend->submit_write(request).has_value());
        REQUIRE(reap_all(*backend, 1)[0].error == 0);
    }
    const auto end = device_flushes(tmp.path());
    REQUIRE(end.has_value());
    REQUIRE(*end - *start >= writes);
    backend->close_file(opened->file);
}

TEST_CASE("io_uring workers kept off the submitter's CPU run elsewhere, and writes still land") {
    // Proves: with keep_workers_off_cpu(c) on a thread pinned to c (the sequencer's case:
    // workers would inherit its pinning), synced writes complete once each, no tag lost, and
    // every worker the kernel started for them may not run on c. A fresh thread, like the
    // sequencer's: io_uring workers belong to a thread, and earlier tests' would linger.
    if (ordo::base::cpu_count() < 2) {
        WARN("one CPU: nothing to keep the workers off");
        return;
    }
    const std::uint32_t cpu = 0;
    uring_segment segment(4);
    auto& backend = segment.backend;
    auto& buffers = segment.buffers;
    backend->keep_workers_off_cpu(cpu);
    // The thread only records (Catch assertions belong to the test's thread).
    bool pinned = false, submits_ok = true, completions_ok = true;
    std::set<std::uint64_t> tags;
    std::uint32_t workers = 0, on_cpu = 0;
    std::thread submitter([&] {
        pinned = ordo::base::pin_current_thread(cpu);
        for (std::uint32_t round = 0; round < 8; ++round) {
            for (std::uint32_t i = 0; i < 4; ++i) {
                const io::write_request request{.file = segment.file,
                                                .buffer_index = i,
                                                .bytes = buffers.spans[i],
                                                .offset = std::uint64_t{i} * buffer_bytes,
                                                .sync = true,
                                                .tag = round * 4 + i};
                submits_ok = submits_ok && backend->submit_write(request).has_value();
            }
            io::io_completion batch[4];
            for (std::uint32_t got = 0; got < 4;) {
                const std::uint32_t n = backend->reap(std::span(batch).subspan(got), true);
                for (std::uint32_t k = got; k < got + n; ++k) {
                    completions_ok = completions_ok && batch[k].error == 0 && !batch[k].short_write;
                    tags.insert(batch[k].tag);
                }
                got += n;
            }
        }
        // Workers linger for seconds after their last request: look at them now.
        for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
            std::ifstream comm(task.path() / "comm");
            std::string name;
            std::getline(comm, name);
            if (name != "iou-wrk-" + std::to_string(gettid())) continue;  // this thread's
            workers++;
            cpu_set_t allowed;
            const pid_t tid = std::stoi(task.path().filename().string());
            if (sched_getaffinity(tid, sizeof(allowed), &allowed) == 0 && CPU_ISSET(cpu, &allowed)) {
                on_cpu++;
            }
        }
    });
    submitter.join();
    backend->close_file(segment.file);
    REQUIRE(pinned);
    REQUIRE(submits_ok);
    REQUIRE(completions_ok);
    REQUIRE(tags.size() == 32);
    INFO(workers << " io_uring workers, " << on_cpu << " allowed on CPU " << cpu);
    if (workers == 0) WARN("no io_uring worker seen (the kernel ran every write inline)");
    REQUIRE(on_cpu == 0);
}
