// QSIM_CHECK: for what must never happen (a bug in qsim, not bad input and
// not API misuse, which get a Status). Stays on in release builds: a broken
// invariant that went unnoticed would make every number after it wrong.
// Prints the condition, the place and a printf-style message, then aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define QSIM_CHECK(cond, ...)                                                          \
  do {                                                                                 \
    if (!(cond)) [[unlikely]] {                                                        \
      std::fprintf(stderr, "qsim internal check failed: %s (%s:%d): ", #cond, __FILE__, \
                   __LINE__);                                                          \
      std::fprintf(stderr, __VA_ARGS__);                                               \
      std::fprintf(stderr, "\n");                                                      \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
