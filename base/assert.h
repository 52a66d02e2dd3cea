#pragma once
// Always-on assertions: a broken invariant is a bug, and a bug must stop the process
// before it can write a wrong record. Release builds keep them (TigerBeetle style).

namespace ordo::base {
[[noreturn]] void assert_fail(const char* expression, const char* file, int line) noexcept;
}  // namespace ordo::base

#define ORDO_ASSERT(cond)                                                  \
    (__builtin_expect(static_cast<bool>(cond), 1)                          \
         ? static_cast<void>(0)                                            \
         : ::ordo::base::assert_fail(#cond, __FILE__, __LINE__))
