// STYLE.md "Allocate at start-up only": the sequencer does not allocate per command once
// it runs. Every global operator new and delete of this executable is replaced by a
// counting one; the count is read across a steady-state window of 200k commands.
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include "engine/memory_sink.h"
#include "base/ring/spsc_ring.h"
#include "engine/sequencer.h"

namespace {

// Counted only while `counting` is set: thread start-up and Catch2 allocate, and are not
// what this test measures.
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> counted_allocations{0};
std::atomic<std::uint64_t> counted_bytes{0};

void note_allocation(std::size_t bytes) noexcept {
    if (counting.load(std::memory_order_relaxed)) {
        counted_allocations.fetch_add(1, std::memory_order_relaxed);
        counted_bytes.fetch_add(bytes, std::memory_order_relaxed);
    }
}

void* allocate(std::size_t bytes) {
    note_allocation(bytes);
    void* p = std::malloc(bytes == 0 ? 1 : bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void* allocate_aligned(std::size_t bytes, std::align_val_t alignment) {
    note_allocation(bytes);
    const auto align = static_cast<std::size_t>(alignment);
    const std::size_t rounded = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

}  // namespace

// The replaceable global allocation functions ([new.delete]), all of them, so no path
// around the count remains.
void* operator new(std::size_t bytes) {
    return allocate(bytes);
}
void* operator new[](std::size_t bytes) {
    return allocate(bytes);
}
void* operator new(std::size_t bytes, std::align_val_t a) {
    return allocate_aligned(bytes, a);
}
void* operator new[](std::size_t bytes, std::align_val_t a) {
    return allocate_aligned(bytes, a);
}
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
    try {
        return allocate(bytes);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t bytes, const std::nothrow_t&) noexcept {
    try {
        return allocate(bytes);
    } catch (...) {
        return nullptr;
    }
}
void* operator new(std::size_t bytes, std::align_val_t a, const std::nothrow_t&) noexcept {
    try {
        return allocate_aligned(bytes, a);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t bytes, std::align_val_t a, const std::nothrow_t&) noexcept {
    try {
        return allocate_aligned(bytes, a);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}

using namespace ordo::engine;
using namespace ordo::base;

namespace {

constexpr std::uint64_t conferences = 8;
constexpr std::uint64_t warm_up_commands = 50'000;
constexpr std::uint64_t measured_commands = 200'000;

// Command i of a booking load, built on the stack (no allocation). Each block of eight
// commands: a hold, its retry (duplicate), a second hold, confirm of the first, cancel of
// the first (confirmed) or the second (held), a capacity change up and down, and a
// confirm of a hold from 1500 ms ago (expired or cancelled by then: not_active). Time
// moves 1 ms per block, so holds expire inside the window. Twice in the window that last
// command closes a conference instead (its ~100 holds expire at close); its later holds
// and capacity changes are conference_closed.
command command_at(std::uint64_t i) {
    const std::uint64_t block = i / 8;
    const std::uint64_t t = block;
    const std::uint64_t conference = 1 + block % conferences;
    const std::uint64_t first = 2 * block + 1;
    const std::uint64_t second = 2 * block + 2;
    const seat_item seats[] = {
        {.quantity = static_cast<std::uint32_t>(1 + block % 4), .seat_type = 1, .reserved_zero = 0},
        {.quantity = 1,
         .seat_type = static_cast<std::uint16_t>(2 + block % 3),
         .reserved_zero = 0}};
    switch (i % 8) {
        case 0:
        case 1:
            return make_reserve(t, conference, first, 1 + block % 1000, seats);
        case 2:
            return make_reserve(t, conference, second, 1 + block % 1000, seats);
        case 3:
            return make_reservation_op(op::confirm, t, first);
        case 4:
            return make_reservation_op(op::cancel, t, block % 2 == 0 ? first : second);
        case 5:
            return make_seats_change(op::add_seats, t, conference, 4, 3);
        case 6:
            return make_seats_change(op::remove_seats, t, conference, 4, 2);
        default:
            if (block == 10'000 || block == 20'000) {
                return make_close_conference(t, 1 + block % conferences);
            }
            return make_reservation_op(op::confirm, t, block > 1500 ? second - 3000 : 1);
    }
}

}  // namespace

TEST_CASE("the sequencer does not allocate per command in steady state",
          "[sequencer][allocation]") {
    // Proves zero calls to any operator new, on any thread, across 200k commands through a
    // running sequencer (own ring, memory sink) after a 50k-command warm-up; the commands
    // cover every op, rejections and expiries, so the count is of real work.
    booking_state state(state_options{.conferences_max = 16, .reservations_max = 1 << 18});
    state.prefault();
    memory_sink sink(1 << 16);
    const sequencer_options options{.producers = 1,
                                    .command_ring_slots = 4096,
                                    .reply_ring_slots = 4096,
                                    .drain_slots_max = 256,
                                    .flush_delay_us = 100};
    sequencer<spsc_ring> seq(state, sink, options);
    seq.start();
    auto& producer = seq.producer_at(0);

    std::uint64_t replies = 0;
    std::array<std::uint64_t, outcome_count> outcomes{};
    auto take = [&](reply r) noexcept {
        replies++;
        outcomes[static_cast<std::size_t>(r.result())]++;
    };
    bool ok = true;
    for (std::uint64_t c = 1; c <= conferences; c++) {
        const seat_item seats[] = {{.quantity = 20'000, .seat_type = 1, .reserved_zero = 0},
                                   {.quantity = 500, .seat_type = 2, .reserved_zero = 0},
                                   {.quantity = 500, .seat_type = 3, .reserved_zero = 0},
                                   {.quantity = 500, .seat_type = 4, .reserved_zero = 0}};
        ok = producer.submit(make_create_conference(0, c, seats, 1000), take) && ok;
    }
    for (std::uint64_t i = 0; i < warm_up_commands; i++) {
        ok = producer.submit(command_at(i), take) && ok;
    }
    ok = producer.drain(take) && ok;
    REQUIRE(ok);
    const std::uint64_t expired_before = state.counts.expired;  // the sequencer is idle now

    // The window: nothing but submitting and taking replies, no Catch2 macros.
    counting.store(true, std::memory_order_seq_cst);
    for (std::uint64_t i = warm_up_commands; i < warm_up_commands + measured_commands; i++) {
        ok = producer.submit(command_at(i), take) && ok;
    }
    ok = producer.drain(take) && ok;
    counting.store(false, std::memory_order_seq_cst);
    const std::uint64_t allocations = counted_allocations.load(std::memory_order_relaxed);
    const std::uint64_t bytes = counted_bytes.load(std::memory_order_relaxed);

    REQUIRE(seq.stop());
    REQUIRE(ok);
    INFO("allocations " << allocations << " (" << bytes << " bytes) in the window");
    CHECK(allocations == 0);

    // The window did real work: every command answered, most kinds of outcome seen.
    const std::uint64_t total = conferences + warm_up_commands + measured_commands;
    CHECK(replies == total);
    CHECK(state.commands == total);
    CHECK(outcomes[static_cast<std::size_t>(outcome::accepted)] > total / 2);
    CHECK(outcomes[static_cast<std::size_t>(outcome::duplicate)] > 10'000);
    CHECK(outcomes[static_cast<std::size_t>(outcome::not_active)] > 0);
    CHECK(outcomes[static_cast<std::size_t>(outcome::conference_closed)] > 0);
    CHECK(state.conference(state.find_conference(1 + 10'000 % conferences)).closed == 1);
    CHECK(state.conference(state.find_conference(1 + 20'000 % conferences)).closed == 1);
    CHECK(state.counts.expired > expired_before);
    CHECK(state.counts.confirmed > 0);
    CHECK(state.counts.cancelled > 0);
}

TEST_CASE("the counting allocator counts", "[allocation]") {
    // Proves the replaced operator new is the one in use, so a zero above means something.
    counting.store(true, std::memory_order_seq_cst);
    const std::uint64_t before = counted_allocations.load(std::memory_order_relaxed);
    auto p = std::make_unique<std::uint64_t[]>(100);
    auto q = std::make_unique<seat_item>();
    const std::uint64_t after = counted_allocations.load(std::memory_order_relaxed);
    counting.store(false, std::memory_order_seq_cst);
    p[0] = 1;
    q->quantity = 2;
    CHECK(after - before == 2);
}
