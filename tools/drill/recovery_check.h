#pragma once
// What the drills that damage a clean directory (torn, rot) ask after each fault: `ordo
// state` (did it recover, exactly?) and, when asked, `ordo journal verify`, and whether
// either named the damaged file. Thread: the drill's.

#include <filesystem>
#include <string>

#include "tools/drill/child_process.h"

namespace ordo::tools::drill {

// Whether a message names `path` (by its file name: messages print paths as given).
bool names(const std::string& text, const std::filesystem::path& path);

struct recovery_check {
    process_result state;
    process_result verify;      // exit_status -1 and empty when not asked for
    bool exact = false;         // state exit 0 with exactly the expected state
    bool state_names = false;   // state's stderr names the damaged file
    bool verify_names = false;  // verify's output names it
};

// Runs `ordo state` (and `ordo journal verify` when `with_verify`) on `data`, their output
// through files under `scratch_dir`, against `whole_state` (the state JSON, no newline).
recovery_check check_recovery(const std::filesystem::path& binary,
                              const std::filesystem::path& data,
                              const std::filesystem::path& scratch_dir,
                              const std::string& whole_state, const std::filesystem::path& damaged,
                              bool with_verify);

}  // namespace ordo::tools::drill
