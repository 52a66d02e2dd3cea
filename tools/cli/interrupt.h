#pragma once
// Ctrl-C (SIGINT) or SIGTERM during a long run: the first one asks the run to stop as a
// timed run would (every submitted command answered, the journal durable, the summary
// printed); the handler then resets itself, so a second one kills the process at once. A
// signal the process was started ignoring (nohup, a background job) stays ignored.
//
// Thread: construct and destroy on the main thread; signal() may be read from any thread.

#include <atomic>
#include <csignal>

namespace ordo::tools {

class interrupt_watch {
public:
    interrupt_watch() noexcept;   // installs the handlers
    ~interrupt_watch();           // puts the previous ones back
    interrupt_watch(const interrupt_watch&) = delete;
    interrupt_watch& operator=(const interrupt_watch&) = delete;

    // The signal that arrived (SIGINT or SIGTERM), or 0.
    static const std::atomic<int>& signal() noexcept;

private:
    struct sigaction previous_int_ {};
    struct sigaction previous_term_ {};
};

// "SIGINT" or "SIGTERM", the two signals watched.
inline constexpr const char* watched_signal_name(int signal_number) noexcept {
    return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

// The shell's convention for a run a signal ended: 128 + the signal's number.
inline constexpr int exit_status_after(int signal_number) noexcept { return 128 + signal_number; }

}  // namespace ordo::tools
