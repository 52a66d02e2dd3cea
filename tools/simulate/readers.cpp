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
                                       int keep_off_cpu)
    : gate_(count, writer.position()) {
    ORDO_ASSERT(count >= 1);
    ORDO_ASSERT(count <= readers_max);
    writer.attach_readers(gate_);
    for (std::uint32_t i = 0; i < count; i++) {
        auto r = std::make_unique<reader>();
        r->view = make_view(i);
        r->source = std::make_unique<projections::inprocess_source>(gate_, i);
        r->report.projection = std::string(r->view->name());
        readers_.push_back(std::move(r));
    }
    // Started after the gate is attached: the readers read its slot count unsynchronised.
    for (auto& r : readers_) {
        r->thread = std::thread([&target = *r, keep_off_cpu] { run(target, keep_off_cpu); });
    }
}

in_process_readers::~in_process_readers() { (void)finish(); }

void in_process_readers::run(reader& r, int keep_off_cpu) noexcept {
    if (keep_off_cpu >= 0) base::keep_current_thread_off(static_cast<std::uint32_t>(keep_off_cpu));
    for (;;) {
        auto next = r.source->next();
        if (!next) {
            r.report.failure = next.error();
            return;  // detached by the source
        }
        if (!next->has_value()) break;
        auto applied = r.view->apply(**next);
        if (!applied) {
            r.report.failure = applied.error();
            r.source->detach();
            return;
        }
        ORDO_ASSERT(*applied == projections::applied::whole);
        r.source->applied();
    }
    ORDO_ASSERT(r.view->position() == r.source->position());
}

const std::vector<reader_report>& in_process_readers::finish() {
    if (finished_) return reports_;
    finished_ = true;
    gate_.close();
    for (auto& r : readers_) {
        if (r->thread.joinable()) r->thread.join();
        r->report.batches = r->source->batches();
        r->report.records = r->source->records();
        r->report.commands = r->view->commands();
        r->report.lag = r->source->lag();
        reports_.push_back(r->report);
    }
    return reports_;
}

}  // namespace ordo::tools
