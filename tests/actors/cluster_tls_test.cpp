// The cluster transport (issue 13): nodes reach each other's actors only
// with a certificate the cluster CA signed. Real actor systems over real
// loopback sockets, certificates made by tools/cluster-certs.

#define BOOST_TEST_MODULE cluster_tls
#include <boost/test/unit_test.hpp>

#include "actors/cluster_transport.hpp"
#include "actors/messages.hpp"
#include "actors/openssl_error_queue.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

using namespace racecontrol;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Two CAs in a scratch directory: "cluster" signs coordinator and worker,
/// "other" signs rogue.
struct certificates {
  fs::path dir;

  certificates() {
    char tmpl[] = "/tmp/cluster-tls-test-XXXXXX";
    dir = mkdtemp(tmpl);
    make("cluster", "coordinator worker");
    make("other", "rogue");
  }
  ~certificates() { fs::remove_all(dir); }

  void make(const std::string& ca, const std::string& nodes) {
    auto cmd = std::string{RACECONTROL_SOURCE_DIR} + "/tools/cluster-certs " +
               (dir / ca).string() + " " + nodes + " >/dev/null";
    BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
  }

  cluster_tls node(const std::string& ca, const std::string& name,
                   const std::string& trusted_ca) const {
    return {(dir / ca / (name + ".pem")).string(),
            (dir / ca / (name + ".key")).string(),
            (dir / trusted_ca / "ca.pem").string()};
  }
};

/// An actor system that speaks the cluster transport with `tls`.
struct node_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  explicit node_system(const cluster_tls& tls) {
    register_message_types(cfg);
    configure_cluster_transport(cfg, tls);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

/// Answers "ping" with "pong from <node>" and counts what it was sent.
caf::behavior echo(caf::event_based_actor*, std::string name,
                   std::shared_ptr<std::atomic<int>> seen) {
  return {[name, seen](const std::string& text) {
    ++*seen;
    return text + " -> pong from " + name;
  }};
}

struct published {
  std::shared_ptr<std::atomic<int>> seen = std::make_shared<std::atomic<int>>();
  node_system node;
  std::uint16_t port = 0;

  caf::actor actor;

  explicit published(const cluster_tls& tls) : node(tls) {
    actor = node.sys->spawn(echo, "coordinator", seen);
    auto bound = publish_on_cluster(actor, {"127.0.0.1", 0});
    BOOST_REQUIRE_MESSAGE(bound,
                          (bound ? "" : node.sys->render(bound.error())));
    port = *bound;
  }
  // The actor system waits for its actors when it ends.
  ~published() { caf::anon_send_exit(actor, caf::exit_reason::user_shutdown); }
};

} // namespace

BOOST_AUTO_TEST_CASE(check_accepts_a_node_of_the_cluster) {
  certificates certs;
  auto err = check_cluster_tls(certs.node("cluster", "worker", "cluster"));
  BOOST_TEST(!err);
}

BOOST_AUTO_TEST_CASE(check_names_the_bad_file_and_what_is_wrong) {
  certificates certs;
  auto good = certs.node("cluster", "worker", "cluster");
  auto describe = [](const caf::error& e) {
    return caf::to_string(e);
  };

  auto missing = good;
  missing.key = (certs.dir / "nope.key").string();
  auto e1 = describe(check_cluster_tls(missing));
  BOOST_TEST(e1.find("cannot read cluster.key") != std::string::npos, e1);
  BOOST_TEST(e1.find("nope.key") != std::string::npos, e1);

  auto unset = good;
  unset.ca.clear();
  auto e2 = describe(check_cluster_tls(unset));
  BOOST_TEST(e2.find("cluster.ca is not set") != std::string::npos, e2);

  auto other_key = good;
  other_key.key = certs.node("cluster", "coordinator", "cluster").key;
  auto e3 = describe(check_cluster_tls(other_key));
  BOOST_TEST(e3.find("does not belong to the certificate") != std::string::npos,
             e3);

  auto foreign = certs.node("other", "rogue", "cluster");
  auto e4 = describe(check_cluster_tls(foreign));
  BOOST_TEST(e4.find("not accepted by the cluster CA") != std::string::npos,
             e4);
}

BOOST_AUTO_TEST_CASE(a_node_of_the_cluster_reaches_a_published_actor) {
  certificates certs;
  published coordinator{certs.node("cluster", "coordinator", "cluster")};
  node_system worker{certs.node("cluster", "worker", "cluster")};
  auto remote = connect_to_node(*worker.sys, "127.0.0.1", coordinator.port);
  BOOST_REQUIRE_MESSAGE(remote,
                        (remote ? "" : worker.sys->render(remote.error())));
  caf::scoped_actor self{*worker.sys};
  std::string answer;
  self->request(*remote, 10s, std::string{"ping"})
      .receive(
          [&](const std::string& text) {
            answer = text;
          },
          [&](const caf::error& err) {
            BOOST_FAIL("no answer: " << worker.sys->render(err));
          });
  BOOST_TEST(answer == "ping -> pong from coordinator");
  BOOST_TEST(coordinator.seen->load() == 1);
}

BOOST_AUTO_TEST_CASE(a_node_with_a_certificate_of_another_ca_is_refused) {
  certificates certs;
  published coordinator{certs.node("cluster", "coordinator", "cluster")};
  // The rogue trusts the cluster's CA, so only the coordinator's check of
  // the rogue's certificate can stop it.
  node_system rogue{certs.node("other", "rogue", "cluster")};
  auto remote = connect_to_node(*rogue.sys, "127.0.0.1", coordinator.port);
  BOOST_TEST(!remote);
  if (remote) {
    caf::scoped_actor self{*rogue.sys};
    self->request(*remote, 5s, std::string{"ping"})
        .receive([](const std::string&) {}, [](const caf::error&) {});
  }
  BOOST_TEST(coordinator.seen->load() == 0);
}

BOOST_AUTO_TEST_CASE(a_node_without_tls_is_refused) {
  certificates certs;
  published coordinator{certs.node("cluster", "coordinator", "cluster")};
  caf::actor_system_config cfg;
  register_message_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system plain{cfg};
  auto remote = plain.middleman().remote_actor("127.0.0.1", coordinator.port);
  BOOST_TEST(!remote);
  BOOST_TEST(coordinator.seen->load() == 0);
}

// --- the OpenSSL error queue (actors/openssl_error_queue.hpp) -------------

namespace {

using ssl_read_function = int (*)(SSL*, void*, int);

/// A TLS connection between two of the cluster's nodes over a socket pair,
/// handshake done, both ends non-blocking.
struct tls_pair {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> server_ctx{
      SSL_CTX_new(TLS_server_method()), SSL_CTX_free};
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_ctx{
      SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> server{nullptr, SSL_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> client{nullptr, SSL_free};
  int fds[2] = {-1, -1};

  explicit tls_pair(const cluster_tls& node) {
    BOOST_REQUIRE(SSL_CTX_use_certificate_chain_file(
                      server_ctx.get(), node.certificate.c_str()) == 1);
    BOOST_REQUIRE(SSL_CTX_use_PrivateKey_file(server_ctx.get(),
                                              node.key.c_str(),
                                              SSL_FILETYPE_PEM) == 1);
    // TLS 1.2, as CAF's transport speaks it (TLSv1_2_method).
    SSL_CTX_set_max_proto_version(server_ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(client_ctx.get(), TLS1_2_VERSION);
    BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    for (int fd : fds)
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    server.reset(SSL_new(server_ctx.get()));
    client.reset(SSL_new(client_ctx.get()));
    SSL_set_fd(server.get(), fds[0]);
    SSL_set_fd(client.get(), fds[1]);
    SSL_set_accept_state(server.get());
    SSL_set_connect_state(client.get());
    bool server_done = false, client_done = false;
    for (int i = 0; i < 100 && !(server_done && client_done); ++i) {
      client_done = client_done || SSL_do_handshake(client.get()) == 1;
      server_done = server_done || SSL_do_handshake(server.get()) == 1;
    }
    BOOST_REQUIRE(server_done && client_done);
  }
  ~tls_pair() {
    for (int fd : fds)
      if (fd >= 0)
        close(fd);
  }

  /// What SSL_get_error says after `read` found no data, with a stale
  /// error from elsewhere (a broken connection's reset) in the queue.
  int read_with_stale_error(ssl_read_function read) {
    ERR_clear_error();
    ERR_raise(ERR_LIB_SYS, ECONNRESET);
    char buf[64];
    int ret = read(client.get(), buf, sizeof buf);
    int result = SSL_get_error(client.get(), ret);
    ERR_clear_error();
    return result;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_stale_openssl_error_does_not_break_a_healthy_read) {
  certificates certs;
  tls_pair tls(certs.node("cluster", "worker", "cluster"));
  // libssl's own SSL_read, as CAF's transport called it: the stale error
  // makes a read that merely found no data look like a broken connection.
  auto raw = reinterpret_cast<ssl_read_function>(
      dlvsym(RTLD_NEXT, "SSL_read", "OPENSSL_3.0.0"));
  BOOST_REQUIRE(raw != nullptr);
  BOOST_TEST(tls.read_with_stale_error(raw) == SSL_ERROR_SYSCALL);
  // The SSL_read every library of this process is bound to (looked up as
  // the dynamic linker does for libcaf_openssl) empties the queue first.
  BOOST_TEST(openssl_error_queue_guarded());
  auto bound =
      reinterpret_cast<ssl_read_function>(dlsym(RTLD_DEFAULT, "SSL_read"));
  BOOST_TEST(tls.read_with_stale_error(bound) == SSL_ERROR_WANT_READ);
}
