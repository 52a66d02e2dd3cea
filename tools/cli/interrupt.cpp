#include "tools/cli/interrupt.h"

namespace ordo::tools {
namespace {

std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "stored from a signal handler");

extern "C" void on_signal(int signal_number) { received.store(signal_number); }

}  // namespace

interrupt_watch::interrupt_watch() noexcept {
    received.store(0);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;  // the second signal is not caught: it ends the process
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
    // A signal the parent chose to ignore (nohup, a background job) stays ignored.
    if (previous_int_.sa_handler == SIG_IGN) sigaction(SIGINT, &previous_int_, nullptr);
    if (previous_term_.sa_handler == SIG_IGN) sigaction(SIGTERM, &previous_term_, nullptr);
}

interrupt_watch::~interrupt_watch() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
}

const std::atomic<int>& interrupt_watch::signal() noexcept { return received; }

}  // namespace ordo::tools
