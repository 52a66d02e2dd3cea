// Journal benchmarks: writer commit throughput and latency (io_uring vs pwrite), the raw
// device baseline (O_DIRECT pwrite + fdatasync on pre-zeroed vs fallocate'd files) and the
// reader's verify speed from page cache. ORDO_BENCH_SMOKE=1 shrinks every file so the CTest
// smoke run stays under a few seconds.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "journal/base/assert.h"
#include "journal/base/clock.h"
#include "journal/format.h"
#include "journal/record.h"
#include "journal/verify.h"
#include "journal/writer.h"

namespace {

using namespace ordo::journal;

bool smoke() { return std::getenv("ORDO_BENCH_SMOKE") != nullptr; }

std::filesystem::path make_dir() {
    char pattern[] = "/tmp/ordo-journal-bench-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    ORDO_ASSERT(made != nullptr);
    return made;
}

// A batch body of records filling exactly `batch_bytes` on disk.
std::vector<std::byte> body_for(std::uint32_t batch_bytes, std::uint32_t* record_count) {
    std::vector<std::byte> body(batch_bytes - batch_header_bytes);
    std::vector<std::byte> payload(record_bytes_max, std::byte{0x5a});
    std::size_t used = 0;
    *record_count = 0;
    while (used < body.size()) {
        const std::size_t left = body.size() - used;
        const std::size_t record = std::min<std::size_t>(left, record_bytes_max);
        ORDO_ASSERT(record >= record_header_bytes);
        used += write_record(std::span(body).subspan(used), 1, 1,
                             std::span(payload).first(record - record_header_bytes));
        ++*record_count;
    }
    ORDO_ASSERT(used == body.size());
    return body;
}

void report_latency(benchmark::State& state, std::vector<std::uint64_t>& latencies_ns) {
    if (latencies_ns.empty()) return;
    std::sort(latencies_ns.begin(), latencies_ns.end());
    auto at = [&](double q) {
        const auto index = static_cast<std::size_t>(q * static_cast<double>(latencies_ns.size() - 1));
        return static_cast<double>(latencies_ns[index]) / 1000.0;
    };
    state.counters["latency_us_p50"] = at(0.50);
    state.counters["latency_us_p99"] = at(0.99);
    state.counters["latency_us_p999"] = at(0.999);
    state.counters["latency_us_max"] = at(1.0);
}

// Commit latency = publish() to the poll() that first reports the batch durable.
void journal_commit(benchmark::State& state, io_backend_kind backend) {
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    const std::filesystem::path dir = make_dir();
    const writer_options options{.dir = dir,
                                 .sync = sync_mode::fdatasync,
                                 .segment_bytes = smoke() ? (4ull << 20) : (256ull << 20),
                                 .batch_bytes_max = batch_bytes_max,
                                 .batches_in_flight = batches_in_flight_max,
                                 .backend = backend};
    auto opened = writer::open(options, {});
    ORDO_ASSERT(opened.has_value());
    writer& w = **opened;
    std::uint32_t record_count = 0;
    const std::vector<std::byte> body = body_for(batch_bytes, &record_count);
    std::vector<std::uint64_t> published_ns(1u << 20);
    std::vector<std::uint64_t> latencies_ns;
    latencies_ns.reserve(1u << 20);
    std::uint64_t durable = 0;
    std::uint64_t batches = 0;
    auto collect = [&](std::uint64_t now_durable) {
        const std::uint64_t now = ordo::base::monotonic_ns();
        for (; durable < now_durable; ++durable) {
            latencies_ns.push_back(now - published_ns[durable % published_ns.size()]);
        }
    };
    for (auto _ : state) {
        auto area = w.claim();
        ORDO_ASSERT(area.has_value());
        collect(w.poll().value());
        std::memcpy(area->data(), body.data(), body.size());
        published_ns[batches % published_ns.size()] = ordo::base::monotonic_ns();
        ORDO_ASSERT(w.publish(static_cast<std::uint32_t>(body.size()), record_count, 0));
        ++batches;
        collect(w.poll().value());
    }
    collect(w.wait_durable(batches).value());
    state.SetBytesProcessed(static_cast<std::int64_t>(batches * batch_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(batches));
    report_latency(state, latencies_ns);
    opened->reset();
    std::filesystem::remove_all(dir);
}

// Raw device: O_DIRECT pwrite + fdatasync, one at a time, sequentially through a file that
// is either pre-written with zeros or fallocate'd (unwritten extents).
void raw_pwrite_fdatasync(benchmark::State& state, bool prezeroed) {
    const auto batch_bytes = static_cast<std::uint32_t>(state.range(0));
    const std::uint64_t file_bytes = smoke() ? (4ull << 20) : (256ull << 20);
    const std::filesystem::path dir = make_dir();
    const std::filesystem::path path = dir / "raw";
    auto* buffer = static_cast<std::byte*>(std::aligned_alloc(block_bytes, batch_bytes));
    std::memset(buffer, 0x5a, batch_bytes);
    int fd = -1;
    auto prepare = [&] {
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
        ORDO_ASSERT(fd >= 0);
        if (prezeroed) {
            std::vector<std::byte> zeros(1 << 20);
            for (std::uint64_t at = 0; at < file_bytes; at += zeros.size()) {
                ORDO_ASSERT(::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(at)) > 0);
            }
            ORDO_ASSERT(::fdatasync(fd) == 0);
        } else {
            ORDO_ASSERT(::fallocate(fd, 0, 0, static_cast<off_t>(file_bytes)) == 0);
            ORDO_ASSERT(::fsync(fd) == 0);
        }
    };
    // O_DIRECT writes of the zero buffer need alignment: a vector is not aligned, so the
    // prezero pass above uses a buffered descriptor instead.
    auto prepare_buffered = [&] {
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
        if (prezeroed) {
            const int plain = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            std::vector<std::byte> zeros(1 << 20);
            for (std::uint64_t at = 0; at < file_bytes; at += zeros.size()) {
                ORDO_ASSERT(::pwrite(plain, zeros.data(), zeros.size(), static_cast<off_t>(at)) > 0);
            }
            ORDO_ASSERT(::fsync(plain) == 0);
            ::close(plain);
            fd = ::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
        } else {
            fd = -1;
            prepare();
        }
        ORDO_ASSERT(fd >= 0);
    };
    prepare_buffered();
    std::vector<std::uint64_t> latencies_ns;
    latencies_ns.reserve(1u << 20);
    std::uint64_t offset = 0;
    std::uint64_t batches = 0;
    for (auto _ : state) {
        if (offset + batch_bytes > file_bytes) {
            state.PauseTiming();
            prepare_buffered();  // fallocate'd blocks once written are no longer unwritten
            offset = 0;
            state.ResumeTiming();
        }
        const std::uint64_t start = ordo::base::monotonic_ns();
        ORDO_ASSERT(::pwrite(fd, buffer, batch_bytes, static_cast<off_t>(offset)) ==
                    static_cast<ssize_t>(batch_bytes));
        ORDO_ASSERT(::fdatasync(fd) == 0);
        latencies_ns.push_back(ordo::base::monotonic_ns() - start);
        offset += batch_bytes;
        ++batches;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(batches * batch_bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(batches));
    report_latency(state, latencies_ns);
    ::close(fd);
    std::free(buffer);
    std::filesystem::remove_all(dir);
}

// verify() over a journal that sits in the page cache: checksums + framing at memory speed.
void journal_verify(benchmark::State& state) {
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
        std::uint32_t record_count = 0;
        const std::vector<std::byte> body = body_for(batch_bytes, &record_count);
        for (std::uint64_t i = 0; i < batch_count; ++i) {
            auto area = (*w)->claim();
            ORDO_ASSERT(area.has_value());
            std::memcpy(area->data(), body.data(), body.size());
            ORDO_ASSERT((*w)->publish(static_cast<std::uint32_t>(body.size()), record_count, i));
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

void sizes(benchmark::internal::Benchmark* b) {
    b->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20)->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK_CAPTURE(journal_commit, uring, io_backend_kind::uring)->Apply(sizes);
BENCHMARK_CAPTURE(journal_commit, pwrite, io_backend_kind::pwrite)->Apply(sizes);
BENCHMARK_CAPTURE(raw_pwrite_fdatasync, prezeroed, true)->Apply(sizes);
BENCHMARK_CAPTURE(raw_pwrite_fdatasync, fallocated, false)->Apply(sizes);
BENCHMARK(journal_verify)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
