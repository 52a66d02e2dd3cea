#pragma once
// The built `ordo` binary in a subprocess, as a user runs it: its exit status, stdout and
// stderr; and temporary directories removed when a test ends. For the CLI tests of
// time travel, queries and followers.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ordo::test {

namespace fs = std::filesystem;

class temp_dir {
  public:
    explicit temp_dir(const std::string& tag) {
        static int counter = 0;
        path_ = fs::temp_directory_path() / ("ordo_" + tag + "_" + std::to_string(::getpid()) +
                                             "_" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

inline std::string quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

struct run_result {
    int exit_status = -1;
    std::string out;
    std::string err;
};

// Runs `ordo <args>` (each argument shell-quoted) with stdout and stderr captured.
inline run_result run_ordo(const std::vector<std::string>& args) {
    const temp_dir capture("capture");
    std::string command = quoted(ORDO_BINARY);
    for (const std::string& arg : args) {
        command += ' ';
        command += quoted(arg);
    }
    command += " >";
    command += quoted((capture.path() / "out").string());
    command += " 2>";
    command += quoted((capture.path() / "err").string());
    command += " </dev/null";
    const int status = std::system(command.c_str());
    run_result result;
    REQUIRE(status != -1);
    REQUIRE(WIFEXITED(status));
    result.exit_status = WEXITSTATUS(status);
    result.out = read_text(capture.path() / "out");
    result.err = read_text(capture.path() / "err");
    return result;
}

}  // namespace ordo::test
