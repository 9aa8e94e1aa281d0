// QSIM_SIM_CHECK: for what must never happen inside the simulator itself (a
// bug, not bad input). Stays on in release builds; prints the message and
// aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define QSIM_SIM_CHECK(cond, ...)                                            \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "qsim internal check failed: %s (%s:%d): ", #cond, \
                   __FILE__, __LINE__);                                      \
      std::fprintf(stderr, __VA_ARGS__);                                     \
      std::fprintf(stderr, "\n");                                            \
      std::abort();                                                          \
    }                                                                        \
  } while (0)
