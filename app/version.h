// What `qsim --version` prints: the source version (`git describe --always
// --dirty` of the checkout at build time, else the project version) and the
// build type, e.g. "qsim a51f559-dirty (RelWithDebInfo build)".
#pragma once

#include <string>

namespace qsim::app {

std::string VersionLine();
// The source version alone ("a51f559-dirty"), as run.json records it.
std::string VersionString();

}  // namespace qsim::app
