// Thread priorities: background work (telemetry parsing and its reading threads) runs below
// the threads that answer requests. Linux priorities are per thread.
#pragma once

namespace apex {

// Lowers the calling thread's priority by `steps` nice steps, up to the lowest (19). A
// thread may always lower its own priority; if the system says no, it stays as it was,
// since this is a preference, not a need.
void lower_this_thread_priority(int steps);

}  // namespace apex
