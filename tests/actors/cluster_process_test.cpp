// racecontrold as a cluster (issue 13): a coordinator and workers as real
// processes on loopback, talking over mutual TLS with certificates made by
// tools/cluster-certs.

#define BOOST_TEST_MODULE cluster_process
#include <boost/test/unit_test.hpp>

#include "persistence/sql.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/line_client.hpp"
#include "tests/support/scratch_database.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace racecontrol;
using namespace std::chrono_literals;
using test::daemon_process;
namespace fs = std::filesystem;

namespace {

/// A scratch database and certificates of two CAs: "cluster" signs the
/// coordinator and workers w1, w2; "other" signs rogue.
struct cluster_fixture {
  test::scratch_database scratch;
  std::string url_without_password;
  std::map<std::string, std::string> env;
  fs::path certs;

  cluster_fixture() {
    auto url = scratch.url();
    env["RACECONTROL_DATABASE_PASSWORD"] = url.password.reveal();
    url.password = {};
    url_without_password = url.to_string();
    char tmpl[] = "/tmp/cluster-process-test-XXXXXX";
    certs = mkdtemp(tmpl);
    make_certs("cluster", "coordinator coord-b w1 w2");
    make_certs("other", "rogue");
  }
  ~cluster_fixture() { fs::remove_all(certs); }

  void make_certs(const std::string& ca, const std::string& nodes) {
    auto cmd = std::string{RACECONTROL_SOURCE_DIR} + "/tools/cluster-certs " +
               (certs / ca).string() + " " + nodes + " >/dev/null";
    BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
  }

  /// The arguments of node `name` whose certificate `ca` signed.
  std::vector<std::string> node_args(const std::string& name,
                                     const std::string& ca = "cluster") const {
    return {"--migrate",
            "--database.url=" + url_without_password,
            "--daemon.node_name=" + name,
            "--cluster.certificate=" + (certs / ca / (name + ".pem")).string(),
            "--cluster.key=" + (certs / ca / (name + ".key")).string(),
            "--cluster.ca=" + (certs / "cluster" / "ca.pem").string()};
  }

  std::unique_ptr<daemon_process>
  coordinator(const std::string& name = "coordinator",
              std::vector<std::string> extra = {}) {
    auto args = node_args(name);
    args.push_back("--cluster.role=coordinator");
    args.push_back("--cluster.listen=127.0.0.1:0");
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<daemon_process>(args, env);
  }

  void execute(const std::string& sql) {
    auto conn = scratch.db().connection();
    persistence::sql_execute(*conn, sql);
  }

  std::unique_ptr<daemon_process> worker(const std::string& name,
                                         std::uint16_t coordinator_port,
                                         const std::string& ca = "cluster") {
    auto args = node_args(name, ca);
    args.push_back("--cluster.role=worker");
    args.push_back("--cluster.coordinator=127.0.0.1:" +
                   std::to_string(coordinator_port));
    return std::make_unique<daemon_process>(args, env);
  }
};

/// The port in the first line with `marker` (which ends before it).
std::uint16_t logged_port(daemon_process& d, const std::string& marker) {
  if (!d.wait_for_output(marker, 30s))
    return 0;
  auto out = d.output();
  auto at = out.find(marker) + marker.size();
  return static_cast<std::uint16_t>(std::stoi(out.substr(at)));
}

/// The port of "cluster: coordinator listening on 127.0.0.1:N".
std::uint16_t cluster_port(daemon_process& d) {
  return logged_port(d, "coordinator listening on 127.0.0.1:");
}

/// One HTTP GET over a plain socket: the whole answer, headers and body.
std::string http_get(std::uint16_t port, const std::string& target) {
  test::line_client c{port};
  c.send("GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  return c.read_answer(5000ms);
}

/// Logs in to the console on `port` with `password` and runs `nodes`: its
/// table.
std::string console_nodes(std::uint16_t port, const std::string& password) {
  test::line_client c{port};
  c.read_answer(5000ms);
  c.line("login " + password);
  BOOST_TEST(c.read_until("logged in", 5000ms).find("logged in") !=
             std::string::npos);
  c.line("nodes");
  return c.read_until("\n", 5000ms) + c.read_answer(2000ms);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_process, cluster_fixture)

BOOST_AUTO_TEST_CASE(workers_join_and_a_killed_one_is_noticed) {
  env["RACECONTROL_CONSOLE_PASSWORD"] = "console-pw-nodes";
  auto coordinator =
      this->coordinator("coordinator", {"--console.listen=127.0.0.1:0"});
  auto port = cluster_port(*coordinator);
  BOOST_REQUIRE_MESSAGE(port != 0,
                        coordinator->output() + coordinator->error_output());
  auto w1 = worker("w1", port);
  auto w2 = worker("w2", port);
  BOOST_REQUIRE_MESSAGE(
      coordinator->wait_for_output("cluster: worker w1 joined", 30s),
      coordinator->output() + w1->output());
  BOOST_REQUIRE_MESSAGE(
      coordinator->wait_for_output("cluster: worker w2 joined", 30s),
      coordinator->output() + w2->output());
  BOOST_TEST(w1->wait_for_output("cluster: joined the coordinator at", 5s),
             w1->output());
  // A worker serves no HTTP API: its coordinator does.
  BOOST_TEST(w1->output().find("http: listening") == std::string::npos);

  // The coordinator's /metrics and console show its nodes.
  auto http = coordinator->http_port(5s);
  auto metrics = http_get(http, "/metrics");
  BOOST_TEST(metrics.find("racecontrol_cluster_nodes{state=\"connected\"} 2") !=
                 std::string::npos,
             metrics);
  BOOST_TEST(metrics.find("racecontrol_cluster_node_rooms{node=\"w1\"} 0") !=
                 std::string::npos,
             metrics);
  BOOST_TEST(metrics.find("racecontrol_scrape_part_ok{part=\"cluster\"} 1") !=
                 std::string::npos,
             metrics);
  auto console_port =
      logged_port(*coordinator, "console: listening on 127.0.0.1:");
  {
    auto table = console_nodes(console_port, "console-pw-nodes");
    BOOST_TEST(table.find("active (this node)") != std::string::npos, table);
    BOOST_TEST(table.find("w1") != std::string::npos, table);
    BOOST_TEST(table.find("w2") != std::string::npos, table);
    BOOST_TEST(table.find("connected") != std::string::npos, table);
  }

  w1->signal(SIGKILL);
  BOOST_REQUIRE(w1->exited(5000ms));
  BOOST_TEST(coordinator->wait_for_output("cluster: worker w1 left", 15s),
             coordinator->output());
  BOOST_TEST(coordinator->output_count("cluster: worker w2 left") == 0u);
  metrics = http_get(http, "/metrics");
  BOOST_TEST(metrics.find("racecontrol_cluster_nodes{state=\"left\"} 1") !=
                 std::string::npos,
             metrics);

  // The coordinator stops cleanly with a worker still connected, and the
  // worker notices and keeps trying to join again.
  coordinator->signal(SIGTERM);
  BOOST_REQUIRE_MESSAGE(coordinator->exited(5000ms),
                        "no exit within 5 s of SIGTERM");
  BOOST_TEST(coordinator->exit_code == 0, coordinator->output());
  BOOST_TEST(w2->wait_for_output("cluster: lost the coordinator", 15s),
             w2->output());
  BOOST_TEST(w2->wait_for_output("cannot reach the coordinator", 15s),
             w2->output());
  w2->signal(SIGTERM);
  BOOST_REQUIRE(w2->exited(5000ms));
  BOOST_TEST(w2->exit_code == 0, w2->output());
}

BOOST_AUTO_TEST_CASE(a_worker_whose_lease_runs_out_stops_and_joins_again) {
  // A coordinator that answers nothing (stopped) looks to a worker like a
  // cut: after the lease (5 s) the worker stops its rooms; the coordinator,
  // running again, holds the silent worker gone (its rooms would move),
  // refuses its heartbeat, and the worker joins again. The coordinator's own
  // lease in MariaDB is made longer than the pause: a coordinator stopped
  // for longer than that stops acting (see the standby case below).
  auto coordinator =
      this->coordinator("coordinator", {"--cluster.coordinator_lease=60s"});
  auto port = cluster_port(*coordinator);
  BOOST_REQUIRE_MESSAGE(port != 0,
                        coordinator->output() + coordinator->error_output());
  auto w1 = worker("w1", port);
  BOOST_REQUIRE_MESSAGE(
      coordinator->wait_for_output("placement: worker w1 takes rooms", 30s),
      coordinator->output() + w1->output());
  coordinator->signal(SIGSTOP);
  auto stopped = std::chrono::steady_clock::now();
  BOOST_TEST(w1->wait_for_output("cluster: no heartbeat answered for", 10s),
             w1->output());
  auto fenced_after = std::chrono::steady_clock::now() - stopped;
  BOOST_TEST((fenced_after >= 4s)); // the lease, less the last heartbeat's age
  BOOST_TEST((fenced_after < 7s));
  std::this_thread::sleep_for(1s);
  coordinator->signal(SIGCONT);
  // The worker left the silent coordinator when its lease ran out and
  // tries the coordinators in turn (here the same one): it joins again
  // once the coordinator runs (and the placer places the rooms it
  // stopped).
  for (int i = 0;
       i < 150 && w1->output_count("cluster: joined the coordinator at") < 2;
       ++i)
    std::this_thread::sleep_for(100ms);
  BOOST_TEST(w1->output_count("cluster: joined the coordinator at") == 2u,
             w1->output());
  BOOST_TEST(w1->output_count("cluster: leaving the coordinator at") == 1u,
             w1->output());
  BOOST_TEST(coordinator->output_count("cluster: worker w1 joined") == 2u,
             coordinator->output());
}

BOOST_AUTO_TEST_CASE(a_standby_coordinator_waits_then_takes_over) {
  auto a = coordinator();
  BOOST_REQUIRE_MESSAGE(
      a->wait_for_output("coordinator is now the active coordinator (epoch 1)",
                         30s),
      a->output() + a->error_output());
  env["RACECONTROL_CONSOLE_PASSWORD"] = "console-pw-standby";
  auto b = coordinator("coord-b", {"--console.listen=127.0.0.1:0"});
  BOOST_REQUIRE_MESSAGE(
      b->wait_for_output("coord-b is standby: coordinator@", 30s),
      b->output() + b->error_output());
  // A standby binds HTTP and the console but serves neither, and does not
  // publish the registry (workers must not join it).
  auto http = b->http_port(10s);
  BOOST_REQUIRE(http != 0);
  auto ready = http_get(http, "/readyz");
  BOOST_TEST(ready.find("503") != std::string::npos, ready);
  BOOST_TEST(ready.find("standby") != std::string::npos, ready);
  auto console_port = logged_port(*b, "console: listening on 127.0.0.1:");
  BOOST_REQUIRE(console_port != 0);
  {
    test::line_client c{console_port};
    auto greeting = c.read_answer(5000ms);
    BOOST_TEST(greeting.find("coord-b) is the standby") != std::string::npos,
               greeting);
  }
  BOOST_TEST(b->output_count("coordinator listening on") == 0u);

  // A clean stop releases the lease: the standby takes over at once.
  a->signal(SIGTERM);
  BOOST_REQUIRE(a->exited(6000ms));
  BOOST_TEST(a->exit_code == 0, a->output());
  BOOST_TEST(a->output_count("released the coordinator lease") == 1u,
             a->output());
  auto stopped = std::chrono::steady_clock::now();
  BOOST_REQUIRE_MESSAGE(
      b->wait_for_output("coord-b is now the active coordinator (epoch 2)",
                         10s),
      b->output());
  auto took = std::chrono::steady_clock::now() - stopped;
  BOOST_TEST_MESSAGE(
      "standby active "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms after the active one exited");
  BOOST_TEST((took < 3s));
  BOOST_TEST(cluster_port(*b) != 0);
  // Its console now serves, `nodes` included.
  BOOST_REQUIRE(b->wait_for_output("node: started", 10s));
  std::this_thread::sleep_for(500ms); // the console actor fills its slot
  {
    auto table = console_nodes(console_port, "console-pw-standby");
    BOOST_TEST(table.find("active (this node)") != std::string::npos, table);
    BOOST_TEST(table.find("coord-b") != std::string::npos, table);
    BOOST_TEST(table.find("coordinator") != std::string::npos, table);
  }
  // Another holder takes the lease (as after a pause longer than it): the
  // coordinator stops acting and exits 1 for systemd to start it again.
  execute("UPDATE cluster_leases SET holder = 'intruder', epoch = epoch + 1, "
          "expires_at = NOW(3) + INTERVAL 30 SECOND");
  BOOST_REQUIRE(b->exited(10000ms));
  BOOST_TEST(b->exit_code == 1, b->output());
  BOOST_TEST(b->output_count(
                 "cluster: coord-b stops acting as the active coordinator: "
                 "the lease is now intruder's (epoch 3)") == 1u,
             b->output());
}

BOOST_AUTO_TEST_CASE(workers_leave_a_silent_coordinator_for_the_standby) {
  // The active coordinator stops answering but keeps its connections (a
  // hung process, a paused VM): no one reports it down. The standby takes
  // the lease; the worker, its own lease run out, goes on to the next
  // coordinator of its list and joins the standby.
  auto a = coordinator();
  auto a_port = cluster_port(*a);
  BOOST_REQUIRE_MESSAGE(a_port != 0, a->output() + a->error_output());
  std::uint16_t b_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe{
        io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    b_port = probe.local_endpoint().port(); // free now; b binds it later
  }
  auto b = coordinator(
      "coord-b", {"--cluster.listen=127.0.0.1:" + std::to_string(b_port)});
  BOOST_REQUIRE_MESSAGE(
      b->wait_for_output("coord-b is standby: coordinator@", 30s),
      b->output() + b->error_output());
  auto args = node_args("w1");
  args.push_back("--cluster.role=worker");
  args.push_back("--cluster.coordinator=127.0.0.1:" + std::to_string(a_port) +
                 ",127.0.0.1:" + std::to_string(b_port));
  daemon_process w1{args, env};
  BOOST_REQUIRE_MESSAGE(a->wait_for_output("cluster: worker w1 joined", 30s),
                        a->output() + w1.output());
  a->signal(SIGSTOP);
  BOOST_REQUIRE_MESSAGE(
      b->wait_for_output("coord-b is now the active coordinator", 20s),
      b->output());
  BOOST_TEST(b->wait_for_output("cluster: worker w1 joined", 30s),
             b->output() + w1.output());
  BOOST_TEST(w1.output_count("cluster: joined the coordinator at 127.0.0.1:" +
                             std::to_string(b_port)) == 1u,
             w1.output());
  a->signal(SIGKILL);
  BOOST_REQUIRE(a->exited(5000ms));
  w1.signal(SIGTERM);
  BOOST_REQUIRE(w1.exited(10000ms));
  b->signal(SIGTERM);
  BOOST_REQUIRE(b->exited(10000ms));
}

BOOST_AUTO_TEST_CASE(a_node_with_a_certificate_of_another_ca_cannot_join) {
  auto coordinator = this->coordinator();
  auto port = cluster_port(*coordinator);
  BOOST_REQUIRE_MESSAGE(port != 0,
                        coordinator->output() + coordinator->error_output());
  // The rogue's own check of its files refuses to start it (the TLS
  // handshake's refusal of such a node is cluster_tls_test's).
  auto rogue = worker("rogue", port, "other");
  BOOST_REQUIRE(rogue->exited(10000ms));
  BOOST_TEST(rogue->exit_code == 2);
  BOOST_TEST(rogue->error_output().find("not accepted by the cluster CA") !=
                 std::string::npos,
             rogue->error_output());
  BOOST_TEST(coordinator->output_count("joined") == 0u);
}

BOOST_AUTO_TEST_CASE(a_missing_certificate_stops_the_start_with_one_line) {
  auto args = node_args("w1");
  args.push_back("--cluster.role=worker");
  args.push_back("--cluster.coordinator=127.0.0.1:9");
  args[3] = "--cluster.certificate=" + (certs / "nope.pem").string();
  daemon_process d(args, env);
  BOOST_REQUIRE(d.exited(10000ms));
  BOOST_TEST(d.exit_code == 2);
  BOOST_TEST(d.error_output().find("cannot read cluster.certificate") !=
                 std::string::npos,
             d.error_output());
}

BOOST_AUTO_TEST_SUITE_END()
