// message_bench: what a message costs when it crosses nodes (issue 13).
// Two actor systems in this process, each loaded with the cluster
// transport racecontrold uses (CAF's middleman over its OpenSSL module,
// mutual certificates from tools/cluster-certs, real loopback sockets): an
// echo actor published by one, reached by the other. For three payloads (a
// short string, a room_record as the coordinator's `watch` carries it, a
// 2 KiB string the size of a race.data update) it prints, local (echo in
// the sender's own system) and remote:
//   - round trip: one request at a time, mean / p50 / p99 in microseconds;
//   - pipelined: N messages sent at once, the replies received; messages
//     per second and the process's CPU time per message (both systems).
//
//   message_bench [--round-trips 5000] [--pipelined 50000]

#include "actors/cluster_transport.hpp"
#include "actors/messages.hpp"
#include "config/command_line.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace racecontrol;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "message_bench: %s\n", why.c_str());
  std::exit(2);
}

/// An actor system with the cluster transport and racecontrol's types.
struct node_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  explicit node_system(const cluster_tls& tls) {
    register_message_types(cfg);
    configure_cluster_transport(cfg, tls);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

/// Answers each payload with its size, so the reply is small and the cost
/// measured is the request's.
caf::behavior echo(caf::event_based_actor*) {
  return {
      [](const std::string& s) {
        return static_cast<std::uint64_t>(s.size());
      },
      [](const room_record& r) {
        return static_cast<std::uint64_t>(r.slug.size());
      },
  };
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct figures {
  double mean_us = 0, p50_us = 0, p99_us = 0;
  double per_second = 0, cpu_us = 0;
};

template <class Payload>
figures measure(caf::actor_system& sys, const caf::actor& target,
                const Payload& payload, int round_trips, int pipelined) {
  figures f;
  caf::scoped_actor self{sys};
  std::vector<double> took;
  took.reserve(round_trips);
  for (int i = 0; i < round_trips; ++i) {
    auto start = clock_type::now();
    self->request(target, std::chrono::seconds{10}, payload)
        .receive([](std::uint64_t) {},
                 [&](const caf::error& e) {
                   die(sys.render(e));
                 });
    took.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - start)
            .count());
  }
  std::sort(took.begin(), took.end());
  for (auto t : took)
    f.mean_us += t / double(took.size());
  f.p50_us = took[took.size() / 2];
  f.p99_us = took[took.size() * 99 / 100];

  auto cpu = cpu_seconds();
  auto start = clock_type::now();
  for (int i = 0; i < pipelined; ++i)
    self->send(target, payload);
  int got = 0;
  self->receive_for(got, pipelined)([](std::uint64_t) {});
  auto wall = std::chrono::duration<double>(clock_type::now() - start).count();
  f.per_second = double(pipelined) / wall;
  f.cpu_us = 1e6 * (cpu_seconds() - cpu) / double(pipelined);
  return f;
}

void print(const char* payload, const char* where, const figures& f) {
  std::printf("%-22s %-7s %9.1f %9.1f %9.1f %12.0f %12.2f\n", payload, where,
              f.mean_us, f.p50_us, f.p99_us, f.per_second, f.cpu_us);
  std::fflush(stdout);
}

int number(const config::command_line& cli, const std::string& name,
           int fallback) {
  auto v = cli.value(name);
  if (!v)
    return fallback;
  int n = std::atoi(v->c_str());
  if (n < 100)
    die("--" + name + " needs a number of at least 100, got " + *v);
  return n;
}

} // namespace

int main(int argc, char** argv) {
  config::command_line cli;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc), {},
        {"round-trips", "pipelined"});
  } catch (const std::exception& e) {
    die(e.what());
  }
  int round_trips = number(cli, "round-trips", 5000);
  int pipelined = number(cli, "pipelined", 50000);

  char tmpl[] = "/tmp/message-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  auto cmd = std::string{RACECONTROL_SOURCE_DIR} + "/tools/cluster-certs " +
             dir.string() + " coordinator worker >/dev/null";
  if (std::system(cmd.c_str()) != 0)
    die("cannot make certificates: " + cmd);
  auto tls = [&](const std::string& name) {
    return cluster_tls{(dir / (name + ".pem")).string(),
                       (dir / (name + ".key")).string(),
                       (dir / "ca.pem").string()};
  };
  {
    node_system coordinator{tls("coordinator")};
    node_system worker{tls("worker")};
    auto published = coordinator.sys->spawn(echo);
    auto port = publish_on_cluster(published, {"127.0.0.1", 0});
    if (!port)
      die(coordinator.sys->render(port.error()));
    auto remote = connect_to_node(*worker.sys, "127.0.0.1", *port);
    if (!remote)
      die(worker.sys->render(remote.error()));
    auto local = worker.sys->spawn(echo);

    room_record room;
    room.id = 4711;
    room.slug = "alttpr/clever-yoshi-4711";
    room.category = "alttpr";
    room.room_name = "clever-yoshi-4711";
    room.status = "open";
    room.match_id = 1234;
    room.bot_id = 7;
    room.owner_node = "worker-2";
    room.owner_epoch = 42;

    std::printf("message_bench: %d round trips and %d pipelined messages "
                "each; remote = over the cluster's mutual-TLS transport on "
                "loopback\n",
                round_trips, pipelined);
    std::printf("%-22s %-7s %9s %9s %9s %12s %12s\n", "payload", "where",
                "rtt us", "p50 us", "p99 us", "msgs/s", "CPU us/msg");
    auto run = [&](const char* name, const auto& payload) {
      print(name, "local",
            measure(*worker.sys, local, payload, round_trips, pipelined));
      print(name, "remote",
            measure(*worker.sys, *remote, payload, round_trips, pipelined));
    };
    run("string 16 B", std::string(16, 'x'));
    run("room_record", room);
    run("string 2 KiB", std::string(2048, 'x'));
    caf::anon_send_exit(published, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(local, caf::exit_reason::user_shutdown);
  }
  fs::remove_all(dir);
  return 0;
}
