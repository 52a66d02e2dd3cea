#include "tools/drill/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/clock.h"

namespace ordo::tools::drill {

namespace {

pid_t spawn(const std::filesystem::path& binary, const std::vector<std::string>& args,
            const std::filesystem::path& out, const std::filesystem::path& err,
            bool lowest_priority = false) {
    std::vector<char*> argv;
    std::string program = binary.string();
    argv.push_back(program.data());
    std::vector<std::string> copies = args;
    for (std::string& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    if (child != 0) return child;
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd =
        out == err ? out_fd : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0 || err_fd < 0) ::_exit(126);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    if (lowest_priority) ::setpriority(PRIO_PROCESS, 0, 19);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
}

int status_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::uint64_t size_or_zero(const std::filesystem::path& path) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
}

process_result run_process(const std::filesystem::path& binary,
                           const std::vector<std::string>& args,
                           const std::filesystem::path& scratch) {
    const std::filesystem::path out = scratch.string() + ".out";
    const std::filesystem::path err = scratch.string() + ".err";
    const std::uint64_t start_ns = base::monotonic_ns();
    const pid_t child = spawn(binary, args, out, err);
    process_result result;
    if (child < 0) return result;
    result.exit_status = wait_process(child);
    result.elapsed_ns = base::monotonic_ns() - start_ns;
    result.out = read_text(out);
    result.err = read_text(err);
    return result;
}

pid_t start_process(const std::filesystem::path& binary, const std::vector<std::string>& args,
                    const std::filesystem::path& log) {
    return spawn(binary, args, log, log, true);
}

bool has_exited(pid_t child) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == child;
}

bool kill_process(pid_t child) {
    const bool running = !has_exited(child);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    return running && WIFSIGNALED(status);
}

int wait_process(pid_t child) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status_of(status);
}

bool pause_process(pid_t child) {
    if (::kill(child, SIGSTOP) != 0) return false;
    while (true) {
        // WNOWAIT: an exit is seen without reaping it (kill_process reaps).
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(child), &info, WSTOPPED | WEXITED | WNOWAIT) != 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (info.si_code != CLD_STOPPED) return false;
        // Takes the stop's report, so that the next pause waits for its own.
        siginfo_t taken{};
        while (::waitid(P_PID, static_cast<id_t>(child), &taken, WSTOPPED) != 0 && errno == EINTR) {
        }
        return true;
    }
}

bool run_slice(pid_t child, std::uint64_t slice_us) {
    if (::kill(child, SIGCONT) != 0) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(slice_us));
    return pause_process(child);
}

}  // namespace ordo::tools::drill
