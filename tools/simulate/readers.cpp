#include "tools/simulate/readers.h"

#include "base/assert.h"
#include "base/cpu.h"
#include "projections/availability.h"
#include "projections/customers.h"
#include "projections/history.h"
#include "projections/sales.h"

namespace ordo::tools {
namespace {

std::unique_ptr<projections::projection> make_view(std::uint32_t index) {
    switch (index) {
        case 0: return std::make_unique<projections::availability>();
        case 1: return std::make_unique<projections::customers>();
        case 2: return std::make_unique<projections::sales>();
        case 3: return std::make_unique<projections::history>();
    }
    ORDO_ASSERT(false);
    return nullptr;
}

}  // namespace

in_process_readers::in_process_readers(journal::writer& writer, std::uint32_t count,
                                       std::uint32_t threads, int keep_off_cpu)
    : gate_(threads, writer.position()) {
    ORDO_ASSERT(count >= 1);
    ORDO_ASSERT(count <= readers_max);
    ORDO_ASSERT(threads >= 1 && threads <= count);
    ORDO_ASSERT(count <= projections::projection::together_max);
    writer.attach_readers(gate_);
    for (std::uint32_t t = 0; t < threads; t++) {
        auto r = std::make_unique<reader>();
        r->source = std::make_unique<projections::inprocess_source>(gate_, t);
        readers_.push_back(std::move(r));
    }
    for (std::uint32_t i = 0; i < count; i++) readers_[i % threads]->views.push_back(make_view(i));
    // Started after the gate is attached: the readers read its slot count unsynchronised.
    for (auto& r : readers_) {
        r->thread = std::thread([&target = *r, keep_off_cpu] { run(target, keep_off_cpu); });
    }
}

in_process_readers::~in_process_readers() { (void)finish(); }

void in_process_readers::run(reader& r, int keep_off_cpu) noexcept {
    if (keep_off_cpu >= 0) base::keep_current_thread_off(static_cast<std::uint32_t>(keep_off_cpu));
    std::vector<projections::projection*> group;
    for (auto& view : r.views) group.push_back(view.get());
    ORDO_ASSERT(!group.empty());
    for (;;) {
        auto next = r.source->next();
        if (!next) {
            r.failure = next.error();
            return;  // detached by the source
        }
        if (!next->has_value()) break;
        auto applied = projections::projection::apply_together(group, **next);
        if (!applied) {
            r.failure = applied.error();
            r.source->detach();
            return;
        }
        ORDO_ASSERT(*applied == projections::applied::whole);
        r.source->applied();
    }
    for (const projections::projection* view : group) {
        ORDO_ASSERT(view->position() == r.source->position());
    }
}

const std::vector<reader_report>& in_process_readers::finish() {
    if (finished_) return reports_;
    finished_ = true;
    gate_.close();
    for (auto& r : readers_) {
        if (r->thread.joinable()) r->thread.join();
    }
    // In projection order (projection i is view i / T of thread i mod T).
    const std::size_t threads = readers_.size();
    std::size_t count = 0;
    for (const auto& r : readers_) count += r->views.size();
    for (std::size_t i = 0; i < count; i++) {
        const reader& r = *readers_[i % threads];
        const projections::projection& view = *r.views[i / threads];
        reports_.push_back(reader_report{.projection = std::string(view.name()),
                                         .batches = r.source->batches(),
                                         .records = r.source->records(),
                                         .commands = view.commands(),
                                         .lag = r.source->lag(),
                                         .failure = r.failure});
    }
    return reports_;
}

}  // namespace ordo::tools
