// SIGINT and SIGTERM for every qsim command. The first one sets a flag the
// work polls: `qsim run` stops at its next check (every 2^16 events); the
// child runner starts no more runs and passes the signal on, once, to the
// process group of every running child, which then stops the same way. A
// second one ends qsim at once, its children killed.
//
// The one piece of process-wide state in qsim: a signal handler has nowhere
// else to put what it saw.
#pragma once

#include <sys/types.h>

namespace qsim::app {

// Installs the handlers (without SA_RESTART, so a blocked waitpid returns).
void InstallStopHandlers();

// The signal that asked qsim to stop, or 0.
int StopSignal();

// Registers or forgets the process group of a running child, which a second
// signal kills (SIGKILL). Up to 256 groups are tracked.
void AddChildGroup(pid_t group);
void RemoveChildGroup(pid_t group);

}  // namespace qsim::app
