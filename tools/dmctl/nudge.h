// SPDX-License-Identifier: GPL-2.0
//
// Ending a wait for DMAPI messages on a stop signal, reliably.
//
// A program that loops "while (!stopped) dm_get_events(..., DM_EV_WAIT)"
// misses a stop signal that lands between its check and the start of the
// wait: the handler ran, and the wait then blocks until the next message.
// After a stop, SIGALRM nudges the program every 100 ms: the module ends
// such a wait with EINTR, whatever SA_RESTART says, and the loop sees
// its flag.  With SA_RESTART, the other calls a nudge interrupts are
// restarted where the kernel can restart them.
#ifndef DMTOOL_NUDGE_H
#define DMTOOL_NUDGE_H

namespace dmtool {

// From a stop signal's handler, once (setitimer() is a plain system
// call on Linux, and leaves errno alone on success): start the nudges.
void start_nudging() noexcept;

// Once nothing waits for messages any more: stop them.
void stop_nudging() noexcept;

// A SIGALRM handler that does nothing but interrupt, with SA_RESTART, so
// that the nudges end a wait for messages and calls that can be
// restarted go on; for programs that have no SIGALRM handler of their
// own.
void catch_nudges();

} // namespace dmtool

#endif
