#include "journal/errc.h"

#include <cstring>

namespace ordo::journal {

std::string_view journal_errc_name(journal_errc code) noexcept {
    switch (code) {
        case journal_errc::io_error: return "I/O error";
        case journal_errc::no_space: return "no space left on device";
        case journal_errc::short_write: return "short write";
        case journal_errc::permission_denied: return "permission denied";
        case journal_errc::not_found: return "not found";
        case journal_errc::damaged: return "damaged";
        case journal_errc::unsupported: return "unsupported";
        case journal_errc::format_version: return "unknown format version";
        case journal_errc::invalid_argument: return "invalid argument";
        case journal_errc::locked: return "in use by another process";
    }
    return "unknown error";
}

std::string journal_error::message() const {
    std::string text;
    text += path.empty() ? std::string("journal") : path;
    if (code == journal_errc::damaged || offset != 0) {
        text += " at byte ";
        text += std::to_string(offset);
    }
    text += ": ";
    text += journal_errc_name(code);
    if (system_errno != 0) {
        text += " (";
        text += std::strerror(system_errno);
        text += ")";
    }
    if (!detail.empty()) {
        text += ": ";
        text += detail;
    }
    return text;
}

}  // namespace ordo::journal
