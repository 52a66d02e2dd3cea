#include "journal/io/io_backend.h"

#include <cstdio>
#include <cstring>

#include "base/assert.h"
#include "journal/io/pwrite_backend.h"
#include "journal/io/simulated_backend.h"
#include "journal/io/uring_backend.h"

namespace ordo::journal {

std::string_view io_backend_name(io_backend_kind kind) noexcept {
    switch (kind) {
        case io_backend_kind::automatic: return "automatic";
        case io_backend_kind::uring: return "io_uring";
        case io_backend_kind::pwrite: return "pwrite";
        case io_backend_kind::simulated: return "simulated";
    }
    return "unknown";
}

namespace io {

std::expected<std::unique_ptr<io_backend>, journal_error> make_backend(
    io_backend_kind kind, std::uint32_t ring_depth, simulated_disk* disk) {
    ORDO_ASSERT(ring_depth >= 2);
    if (kind == io_backend_kind::simulated) {
        ORDO_ASSERT(disk != nullptr);
        return std::make_unique<simulated_backend>(disk);
    }
    if (kind == io_backend_kind::pwrite) return std::make_unique<pwrite_backend>();
    auto uring = uring_backend::create(ring_depth);
    if (uring) return std::unique_ptr<io_backend>(std::move(*uring));
    if (kind == io_backend_kind::uring) return std::unexpected(uring.error());
    ORDO_ASSERT(kind == io_backend_kind::automatic);
    if (uring.error().code != journal_errc::unsupported) return std::unexpected(uring.error());
    // Said once per writer: the operator should know commits take the slower path.
    std::fprintf(stderr, "ordo: journal: io_uring unavailable (%s); using pwrite + fdatasync\n",
                 std::strerror(uring.error().system_errno));
    return std::make_unique<pwrite_backend>();
}

}  // namespace io
}  // namespace ordo::journal
