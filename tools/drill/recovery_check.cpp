#include "tools/drill/recovery_check.h"

namespace ordo::tools::drill {

bool names(const std::string& text, const std::filesystem::path& path) {
    return text.find(path.filename().string()) != std::string::npos;
}

recovery_check check_recovery(const std::filesystem::path& binary,
                              const std::filesystem::path& data,
                              const std::filesystem::path& scratch_dir,
                              const std::string& whole_state, const std::filesystem::path& damaged,
                              bool with_verify) {
    recovery_check check;
    check.state = run_process(binary, {"state", "--data", data.string()}, scratch_dir / "state");
    if (with_verify) {
        check.verify = run_process(binary, {"journal", "verify", "--data", data.string()},
                                   scratch_dir / "verify");
    }
    check.exact = check.state.exit_status == 0 && check.state.out == whole_state + "\n";
    check.state_names = names(check.state.err, damaged);
    check.verify_names = with_verify && names(check.verify.out + check.verify.err, damaged);
    return check;
}

}  // namespace ordo::tools::drill
