#include "base/assert.h"

#include <cstdio>

namespace ordo::base {

void assert_fail(const char* expression, const char* file, int line) noexcept {
    // fprintf to unbuffered stderr: no allocation, safe to call from any thread.
    std::fprintf(stderr, "ordo: assertion failed: %s at %s:%d\n", expression, file, line);
    std::fflush(stderr);
    __builtin_trap();
}

}  // namespace ordo::base
