#include "tools/bench/wake_cost.hpp"

#include "tools/bench/bench_world.hpp"

#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace racecontrol::bench {

namespace {

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 +
         static_cast<double>(t.tv_nsec) / 1e3;
}

long long field_of(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, name.size(), name) == 0)
      return std::stoll(line.substr(name.size()));
  return 0;
}

} // namespace

double measure_wake_cost_us() {
  int ping[2], pong[2];
  if (pipe(ping) != 0 || pipe(pong) != 0)
    return -1;
  constexpr int rounds = 2000;
  double echo_cpu = 0;
  std::thread echo([&] {
    double c0 = thread_cpu_us();
    char b;
    for (int i = 0; i < rounds; ++i)
      if (read(ping[0], &b, 1) != 1 || write(pong[1], &b, 1) != 1)
        break;
    echo_cpu = thread_cpu_us() - c0;
  });
  double c0 = thread_cpu_us();
  char b = 0;
  for (int i = 0; i < rounds; ++i) {
    usleep(200);
    if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1)
      break;
  }
  double main_cpu = thread_cpu_us() - c0;
  echo.join();
  for (int fd : {ping[0], ping[1], pong[0], pong[1]})
    close(fd);
  // Each round: the echo thread sleeps in read and is woken by a write,
  // this thread likewise, and this thread sleeps in usleep (woken by a
  // timer): three sleeps and wake-ups; the rest is a few system calls.
  return (main_cpu + echo_cpu) / (3.0 * rounds);
}

std::map<pid_t, thread_usage> threads_of(pid_t pid) {
  std::map<pid_t, thread_usage> out;
  auto dir_path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(dir_path.c_str());
  if (dir == nullptr)
    return out;
  while (auto* e = readdir(dir)) {
    if (e->d_name[0] == '.')
      continue;
    auto task = dir_path + "/" + e->d_name;
    std::ifstream stat_file(task + "/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)),
                     std::istreambuf_iterator<char>());
    auto ticks = cpu_of_stat(stat);
    if (!ticks)
      continue; // the thread ended while we read
    thread_usage t;
    auto open = stat.find('(');
    t.name = stat.substr(open + 1, stat.rfind(')') - open - 1);
    t.ticks = ticks->user + ticks->system;
    t.switches.voluntary =
        field_of(task + "/status", "voluntary_ctxt_switches:");
    t.switches.involuntary =
        field_of(task + "/status", "nonvoluntary_ctxt_switches:");
    out.emplace(static_cast<pid_t>(std::stol(e->d_name)), std::move(t));
  }
  closedir(dir);
  return out;
}

context_switches context_switches_of(pid_t pid) {
  context_switches out;
  for (const auto& [tid, t] : threads_of(pid)) {
    out.voluntary += t.switches.voluntary;
    out.involuntary += t.switches.involuntary;
  }
  return out;
}

void print_threads_per_room(const std::map<pid_t, thread_usage>& before,
                            const std::map<pid_t, thread_usage>& after,
                            double rooms) {
  double ms_per_tick = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::printf("  per thread (CPU in ms and sleeps, per room):");
  for (const auto& [tid, a] : after) {
    thread_usage b;
    if (auto i = before.find(tid); i != before.end())
      b = i->second;
    double cpu = static_cast<double>(a.ticks - b.ticks) * ms_per_tick / rooms;
    double slept =
        static_cast<double>(a.switches.voluntary - b.switches.voluntary) /
        rooms;
    if (cpu < 0.005 && slept < 0.5)
      continue;
    std::printf(" %s[%d] %.2f ms %.1f;", a.name.c_str(), static_cast<int>(tid),
                cpu, slept);
  }
  std::printf("\n");
}

} // namespace racecontrol::bench
