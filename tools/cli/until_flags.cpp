#include "tools/cli/until_flags.h"

#include "tools/cli/whole_number.h"

namespace ordo::tools {

void add_until_flags(CLI::App& sub, until_flags& flags) {
    CLI::Option* command =
        sub.add_option("--until-command", flags.command,
                       "Answer as of right after the first N commands of DIR's history")
            ->transform(whole_number);
    CLI::Option* time =
        sub.add_option("--until-time", flags.time_ms,
                       "Answer as of right after the last command whose stamped time (ms) "
                       "is <= T (0 commands if none)")
            ->transform(whole_number_in(0, (std::uint64_t{1} << 63) - 1));
    command->excludes(time);
}

std::string past_the_end_message(std::uint64_t asked, std::uint64_t commands) {
    return "--until-command " + std::to_string(asked) + " is past the end: DIR holds " +
           std::to_string(commands) + " commands (ask for at most " + std::to_string(commands) +
           ")";
}

}  // namespace ordo::tools
