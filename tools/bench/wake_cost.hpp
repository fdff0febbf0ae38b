#pragma once

// What waking threads costs on this machine, so a benchmark's CPU figure
// can be read against it: on a virtual machine a thread that sleeps and is
// woken again can cost ten times the CPU it does on bare metal, and a
// daemon whose work is hand-offs between threads pays it on every one.

#include <sys/types.h>

#include <map>
#include <string>

namespace racecontrol::bench {

/// The CPU time, in microseconds, that one thread's sleep and wake-up by
/// another thread costs here, measured with two threads passing a byte
/// through pipes with short idle gaps between round trips (so the CPUs go
/// idle as they do between a daemon's events). Takes about half a second.
double measure_wake_cost_us();

struct context_switches {
  long long voluntary = 0;   ///< the thread slept (waited for something)
  long long involuntary = 0; ///< the thread was preempted
};

/// The sum over every thread of the process that is alive now.
context_switches context_switches_of(pid_t pid);

/// One thread's counters from /proc/PID/task/TID.
struct thread_usage {
  std::string name;
  unsigned long long ticks = 0; ///< user and system CPU, clock ticks
  context_switches switches;
};

/// Every thread of the process that is alive now, by thread id.
std::map<pid_t, thread_usage> threads_of(pid_t pid);

/// What each thread did between two snapshots, per room: its CPU in ms and
/// how often it slept; threads that did (almost) nothing are left out. So a
/// reader sees which hand-offs a room's cost is made of.
void print_threads_per_room(const std::map<pid_t, thread_usage>& before,
                            const std::map<pid_t, thread_usage>& after,
                            double rooms);

} // namespace racecontrol::bench
