// The one entry point every fuzz target defines (libFuzzer's). In the fuzz
// build (tools/fuzz) libFuzzer supplies main(); in the normal build
// standalone_main.cc runs a target over files, so that the regression inputs
// of fuzz/regressions/ replay under plain ctest.
//
// A target returns 0 for every input. Bad input must come back from the code
// under test as an error value; a crash, a sanitizer report, an uncaught
// exception or a failed FUZZ_REQUIRE is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// A property of the code under test that must hold for every input (e.g. a
// restored state writes itself back). Aborts, so that libFuzzer saves the input.
#define FUZZ_REQUIRE(cond, what)                                                  \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, \
                   static_cast<const char*>(what));                              \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
