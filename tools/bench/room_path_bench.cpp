// room_path_bench: what one race room's actor spends on each race.data frame
// of its room (issue 10: decode, diff against the last state, dispatch; no
// database), in messages per second of one core and MB/s.
//
// Every measured path is one function `bench_<path>(const frame&)` that
// returns a `measurement`; main() runs them in order on each frame. To add
// a path (the room actor's diff and dispatch), write one more such
// function around `measure()` and list it in `paths`.
//
// Frames are what racetime-sim writes for a race in progress (several
// entrants, one finished), once compact as the simulator sends them and
// once with Python's json.dumps separators (", " and ": ") as racetime.gg
// sends them. Rates come from the thread's CPU time (what the path costs a
// core, even when other processes share it) and from wall time.
//
// Pin it to one core and note the load, e.g.
//   uptime; taskset -c 1 room_path_bench [--messages N] [--repeat R]

#include "actors/room_plan.hpp"
#include "config/command_line.hpp"
#include "protocol/json.hpp"
#include "protocol/race_snapshot.hpp"
#include "protocol/server_messages.hpp"
#include "tools/racetime-sim/sim_sample_race.hpp"

#include <malloc.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

using namespace racecontrol;
using namespace racecontrol::protocol;

namespace {

// --- the frames -------------------------------------------------------------

struct frame {
  std::string label;
  std::string text;
  std::size_t entrants = 0;
};

/// The same JSON with json.dumps' default separators, as racetime.gg's
/// channels consumer sends it.
std::string python_spacing(const std::string& compact) {
  std::string out;
  out.reserve(compact.size() * 11 / 10);
  bool in_string = false;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    out += c;
    if (in_string) {
      if (c == '\\')
        out += compact[++i];
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',' || c == ':') {
      out += ' ';
    }
  }
  return out;
}

// --- measuring --------------------------------------------------------------

struct measurement {
  std::string path;
  std::size_t messages = 0;
  std::size_t bytes = 0;
  double cpu_seconds = 0;
  double wall_seconds = 0;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

std::size_t messages_per_run = 200000;
int repeats = 3;
std::string only_path; ///< --path: run only paths whose name has this

/// Runs `one` on the frame `messages_per_run` times after a warm-up, best
/// of `repeats` runs by CPU time. `one` returns something that depends on
/// the work (summed into a sink so the compiler cannot drop it).
std::optional<measurement>
measure(const std::string& path, const frame& f,
        const std::function<std::size_t(std::string_view)>& one) {
  if (path.find(only_path) == std::string::npos)
    return std::nullopt;
  static volatile std::size_t sink = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(2000, messages_per_run);
       ++i)
    sink = sink + one(f.text);
  measurement best{path, messages_per_run, f.text.size(), 1e300, 1e300};
  for (int r = 0; r < repeats; ++r) {
    auto wall0 = std::chrono::steady_clock::now();
    auto cpu0 = thread_cpu_seconds();
    std::size_t sum = 0;
    for (std::size_t i = 0; i < messages_per_run; ++i)
      sum += one(f.text);
    auto cpu = thread_cpu_seconds() - cpu0;
    auto wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0)
            .count();
    sink = sink + sum;
    if (cpu < best.cpu_seconds) {
      best.cpu_seconds = cpu;
      best.wall_seconds = wall;
    }
  }
  return best;
}

void print(const std::optional<measurement>& measured) {
  if (!measured)
    return;
  const auto& m = *measured;
  std::printf("  %-34s %9.0f msg/s  %7.1f MB/s  %6.2f us/msg   (wall: %9.0f "
              "msg/s)\n",
              m.path.c_str(), m.messages / m.cpu_seconds,
              m.messages * m.bytes / m.cpu_seconds / 1e6,
              m.cpu_seconds / m.messages * 1e6, m.messages / m.wall_seconds);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "room_path_bench: %s\n", what.c_str());
  std::exit(1);
}

// --- the paths --------------------------------------------------------------

/// Reference: RapidJSON building a document tree, as parse_json does.
std::optional<measurement> bench_dom_parse(const frame& f) {
  return measure("RapidJSON DOM parse (reference)", f, [](std::string_view t) {
    auto doc = parse_json(t);
    return static_cast<std::size_t>(doc.MemberCount());
  });
}

/// What a room does with a frame today: the full model, then a visitor.
struct old_dispatcher {
  std::size_t operator()(const race_data_message& m) const {
    return m.race.entrants.size() +
           (m.race.status == race_status::finished ? 1000 : 0);
  }
  template <class T>
  std::size_t operator()(const T&) const {
    return 0;
  }
};

std::optional<measurement> bench_full_parse_dispatch(const frame& f) {
  return measure("old: full parse + dispatch", f, [](std::string_view t) {
    auto msg = parse_server_message(t);
    if (!msg)
      die(msg.error().message);
    return std::visit(old_dispatcher{}, msg->body);
  });
}

std::optional<measurement> bench_classify(const frame& f) {
  return measure("classify_frame only", f, [](std::string_view t) {
    auto kind = classify_frame(t);
    if (!kind || *kind != frame_kind::race_data)
      die("classify_frame failed");
    return std::size_t{1};
  });
}

/// The room actor's decode step: what kind of frame, then the snapshot.
std::optional<measurement> bench_classify_decode(const frame& f) {
  return measure("new: classify_frame + decode", f, [](std::string_view t) {
    auto kind = classify_frame(t);
    if (!kind || *kind != frame_kind::race_data)
      die("classify_frame failed");
    auto snap = decode_race_frame(t);
    if (!snap)
      die(snap.error().what());
    return snap->entrants.size() + snap->status.size();
  });
}

/// The same into one snapshot reused for every frame, as a room keeps a
/// scratch snapshot beside its last one (no allocation per frame).
std::optional<measurement> bench_classify_decode_into(const frame& f) {
  race_snapshot scratch;
  return measure("new: classify_frame + decode into", f,
                 [&](std::string_view t) {
                   auto kind = classify_frame(t);
                   if (!kind || *kind != frame_kind::race_data)
                     die("classify_frame failed");
                   if (auto error = decode_race_frame(t, scratch))
                     die(error->what());
                   return scratch.entrants.size() + scratch.status.size();
                 });
}

/// The room actor's whole path without the database: the kind of frame
/// (dispatch), the snapshot (decoded into the room's scratch snapshot),
/// the version gate, and the plan that compares it with the last applied
/// snapshot (the diff: which writes, invitations, acceptances, whether the
/// race ended). The room's match players are the frame's entrants, and the
/// last snapshot differs from the frame in the version and in one
/// entrant's status, so every frame makes a change. (A room swaps its
/// scratch and last snapshots after applying a frame; here the last one
/// stays as it is, so that every frame passes the gate.)
std::optional<measurement> bench_room_path(const frame& f) {
  auto first = decode_race_frame(f.text);
  if (!first)
    die(first.error().what());
  persistence::room_context ctx;
  ctx.room = {
      5,     first->name, "alttpr", first->name.substr(7), "open", 10, 1,
      false, "",          0};
  for (const auto& e : first->entrants)
    ctx.players.push_back({static_cast<std::int32_t>(ctx.players.size() + 1),
                           e.user_name,
                           e.user_id,
                           e.user_name,
                           e.status,
                           e.place,
                           {}});
  race_snapshot last = *first;
  last.version -= 1;
  if (!last.entrants.empty())
    last.entrants[0].status = "ready";
  room_memory memory;
  auto now = std::chrono::system_clock::now();
  race_snapshot next;
  return measure("new: room path (+ gate, diff, plan)", f,
                 [&](std::string_view t) {
                   auto kind = classify_frame(t);
                   if (!kind)
                     die("classify_frame failed");
                   switch (*kind) {
                     case frame_kind::race_data: {
                       if (auto error = decode_race_frame(t, next))
                         die(error->what());
                       if (next.version <= last.version)
                         return std::size_t{0};
                       auto plan = plan_room(ctx, &last, next, memory, now);
                       return std::size_t{plan.progress ? 1u : 0u} +
                              plan.invite.size() + plan.accept.size();
                     }
                     default:
                       return std::size_t{0};
                   }
                 });
}

using bench_path = std::optional<measurement> (*)(const frame&);
const std::vector<bench_path> paths = {
    bench_dom_parse,       bench_full_parse_dispatch,  bench_classify,
    bench_classify_decode, bench_classify_decode_into, bench_room_path,
};

// --- what a snapshot keeps --------------------------------------------------

std::size_t heap_of(const std::string& s) {
  // libstdc++ keeps up to 15 characters inside the object.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

/// Heap bytes the snapshot asked for (capacities, not sizes).
std::size_t heap_of(const race_snapshot& s) {
  std::size_t n = heap_of(s.name) + heap_of(s.status) + heap_of(s.goal) +
                  heap_of(s.info_bot) +
                  s.entrants.capacity() * sizeof(entrant_snapshot);
  for (const auto& e : s.entrants)
    n += heap_of(e.user_id) + heap_of(e.user_name) + heap_of(e.status);
  return n;
}

void print_snapshot_size(const frame& f) {
  auto one = decode_race_frame(f.text);
  if (!one)
    die(one.error().what());
  // What malloc really hands out, overhead included: keep many alive.
  constexpr std::size_t kept = 1000;
  std::vector<race_snapshot> many;
  many.reserve(kept);
  auto before = mallinfo2().uordblks;
  for (std::size_t i = 0; i < kept; ++i)
    many.push_back(*decode_race_frame(f.text));
  auto after = mallinfo2().uordblks;
  std::printf("  snapshot with %zu entrants: sizeof %zu + heap %zu bytes "
              "requested (capacities; %zu entrants allocated), %zu bytes "
              "from malloc with its overhead\n",
              one->entrants.size(), sizeof(race_snapshot), heap_of(*one),
              one->entrants.capacity(), (after - before) / kept);
}

void print_machine() {
  std::ifstream load{"/proc/loadavg"};
  std::string avg1, avg5, avg15;
  load >> avg1 >> avg5 >> avg15;
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  std::printf("load average %s %s %s on %ld cores; this process may run on "
              "%d core(s)%s\n",
              avg1.c_str(), avg5.c_str(), avg15.c_str(),
              sysconf(_SC_NPROCESSORS_ONLN), CPU_COUNT(&set),
              CPU_COUNT(&set) == 1 ? "" : " (pin it: taskset -c N)");
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {"help"},
        {"messages", "repeat", "path"});
    if (cli.has("help")) {
      std::cout << "usage: room_path_bench [--messages N] [--repeat R] "
                   "[--path TEXT]\n"
                   "  --path: only the paths whose name contains TEXT\n";
      return 0;
    }
    messages_per_run = std::stoul(cli.value("messages").value_or("200000"));
    repeats = std::stoi(cli.value("repeat").value_or("3"));
    only_path = cli.value("path").value_or("");
  } catch (const std::exception& e) {
    die(e.what());
  }
  print_machine();
  std::printf("%zu messages per run, best of %d runs by CPU time\n",
              messages_per_run, repeats);

  std::vector<frame> frames;
  for (std::size_t n : {2, 8}) {
    auto compact = sim::sample_race_frame(n);
    frames.push_back({"compact (racetime-sim)", compact, n});
    frames.push_back(
        {"json.dumps spacing (racetime.gg)", python_spacing(compact), n});
  }
  for (const auto& f : frames) {
    std::printf("\nrace.data, %zu entrants, %zu bytes, %s:\n", f.entrants,
                f.text.size(), f.label.c_str());
    for (auto path : paths)
      print(path(f));
  }

  std::printf("\nmemory of a decoded snapshot (sizeof(entrant_snapshot) = "
              "%zu):\n",
              sizeof(entrant_snapshot));
  for (std::size_t n : {2, 8})
    print_snapshot_size({"", sim::sample_race_frame(n), n});
  return 0;
}
