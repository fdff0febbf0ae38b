#define BOOST_TEST_MODULE protocol_line_server
#include <boost/test/unit_test.hpp>

// line_splitter on its own, and line_server over real sockets on loopback
// (TCP and a unix socket): greeting, answers in order, a too-long line that
// leaves the session usable, the idle timeout, the session limit, late and
// dropped answers, the end of input flushing what is owed, and the login
// deadline.

#include "protocol/line_server.hpp"
#include "tests/support/line_client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
using test::line_client;

namespace {

std::vector<line_splitter::event> split(line_splitter& s,
                                        std::string_view bytes) {
  std::vector<line_splitter::event> out;
  s.feed(bytes, out);
  return out;
}

/// The server on its own io_context and thread. Its handler greets with
/// "hello N", echoes "echo: LINE", answers "slow" after 300 ms from
/// another thread, never answers "lost", closes on "bye".
struct server_fixture {
  explicit server_fixture(line_server_options o = quick())
      : work(io.get_executor()), server(io, o, handler()) {
    server.start();
    runner = std::thread([this] {
      io.run();
    });
  }

  ~server_fixture() {
    server.stop();
    for (auto& t : answerers)
      t.join();
    work.reset();
    io.stop();
    runner.join();
  }

  static line_server_options quick() {
    line_server_options o;
    o.port = 0;
    o.max_line = 64;
    o.idle_timeout = 2s;
    o.reply_timeout = 1s;
    o.max_sessions = 3;
    return o;
  }

  line_handler handler() {
    line_handler h;
    h.opened = [](std::uint64_t id, std::string, line_reply reply) {
      reply("hello " + std::to_string(id) + "\n", false);
    };
    h.line = [this](std::uint64_t id, std::string line, line_reply reply) {
      if (line == "slow") {
        std::lock_guard<std::mutex> lock(mutex);
        answerers.emplace_back([reply] {
          std::this_thread::sleep_for(300ms);
          reply("slow done\n", false);
        });
        return;
      }
      if (line == "lost") {
        std::lock_guard<std::mutex> lock(mutex);
        held.push_back(reply); // answered never
        return;
      }
      if (line == "dropped")
        return; // the reply goes out of scope uncalled
      if (line == "bye")
        return reply("bye\n", true);
      if (line == "admit") {
        std::lock_guard<std::mutex> lock(mutex);
        admitted.insert(id);
        return reply("admitted\n", false);
      }
      reply("echo: " + line + "\n", false);
    };
    h.closed = [this](std::uint64_t) {
      ++closed;
    };
    h.admitted = [this](std::uint64_t id) {
      std::lock_guard<std::mutex> lock(mutex);
      return admitted.count(id) != 0;
    };
    return h;
  }

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  line_server server;
  std::thread runner;
  std::mutex mutex;
  std::vector<std::thread> answerers;
  std::vector<line_reply> held;
  std::set<std::uint64_t> admitted; ///< sessions that sent "admit"
  std::atomic<int> closed{0};
};

} // namespace

BOOST_AUTO_TEST_SUITE(splitter)

BOOST_AUTO_TEST_CASE(lines_end_at_newline_and_drop_a_carriage_return) {
  line_splitter s{10};
  auto got = split(s, "one\r\ntw");
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].text == "one");
  BOOST_TEST(s.pending() == 2u);
  got = split(s, "o\n\nthree\n");
  BOOST_REQUIRE(got.size() == 3u);
  BOOST_TEST(got[0].text == "two");
  BOOST_TEST(got[1].text == "");
  BOOST_TEST(got[2].text == "three");
}

BOOST_AUTO_TEST_CASE(a_long_line_is_reported_once_and_skipped) {
  line_splitter s{4};
  auto got = split(s, "abcd\r\nabcdefghij");
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].text == "abcd"); // exactly the limit, CRLF included
  BOOST_TEST((got[1].what == line_splitter::event::kind::too_long));
  got = split(s, "klmnop\nok\n");
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].text == "ok");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(server, server_fixture)

BOOST_AUTO_TEST_CASE(greets_and_answers_in_order) {
  line_client c{server.bound_port()};
  BOOST_REQUIRE(c.connected());
  BOOST_TEST(c.read_until("\n", 2s).find("hello ") == 0u);
  // Typed ahead: the slow answer still comes before the next one.
  BOOST_REQUIRE(c.send("slow\nfirst\nsecond\n"));
  auto got = c.read_until("echo: second\n", 3s);
  BOOST_TEST(got == "slow done\necho: first\necho: second\n");
}

BOOST_AUTO_TEST_CASE(a_too_long_line_answers_an_error_and_the_session_goes_on) {
  line_client c{server.bound_port()};
  c.read_until("\n", 2s);
  BOOST_REQUIRE(c.line(std::string(1000, 'x')));
  BOOST_REQUIRE(c.line("still here"));
  auto got = c.read_until("echo: still here\n", 3s);
  BOOST_TEST(got == "error: line longer than 64 bytes; ignored\n"
                    "echo: still here\n");
}

BOOST_AUTO_TEST_CASE(late_and_dropped_answers_become_error_lines) {
  line_client c{server.bound_port()};
  c.read_until("\n", 2s);
  c.line("dropped");
  BOOST_TEST(c.read_until("\n", 2s) ==
             "error: the command was dropped without an answer\n");
  c.line("lost");
  auto got = c.read_until("\n", 3s);
  BOOST_TEST(got.find("error: no answer within 1 s") == 0u, got);
  c.line("after");
  BOOST_TEST(c.read_until("\n", 2s) == "echo: after\n");
}

BOOST_AUTO_TEST_CASE(an_idle_session_is_told_and_closed) {
  line_client c{server.bound_port()};
  c.read_until("\n", 2s);
  auto got = c.read_until("closing the session\n", 4s);
  BOOST_TEST(got == "idle for 2 s; closing the session\n");
  BOOST_TEST(c.closed_by_peer(2s));
}

BOOST_AUTO_TEST_CASE(sessions_beyond_the_limit_are_refused_with_a_line) {
  line_client a{server.bound_port()}, b{server.bound_port()},
      c{server.bound_port()};
  for (auto* x : {&a, &b, &c})
    BOOST_TEST(x->read_until("\n", 2s).find("hello") == 0u);
  line_client d{server.bound_port()};
  auto got = d.read_until("\n", 2s);
  BOOST_TEST(
      got.find("error: the console has its most sessions open (3)") == 0u, got);
  BOOST_TEST(d.closed_by_peer(2s));
  // The others are untouched, and each is answered on its own.
  a.line("from a");
  c.line("from c");
  BOOST_TEST(c.read_until("\n", 2s) == "echo: from c\n");
  BOOST_TEST(a.read_until("\n", 2s) == "echo: from a\n");
  // A place frees up when one leaves.
  b.line("bye");
  BOOST_TEST(b.closed_by_peer(2s));
  std::this_thread::sleep_for(100ms);
  line_client e{server.bound_port()};
  BOOST_TEST(e.read_until("\n", 2s).find("hello") == 0u);
}

BOOST_AUTO_TEST_CASE(the_end_of_input_still_gets_every_answer) {
  line_client c{server.bound_port()};
  c.read_until("\n", 2s);
  c.send("slow\none\n");
  c.shutdown_send();
  auto got = c.read_until("echo: one\n", 3s);
  BOOST_TEST(got == "slow done\necho: one\n");
  BOOST_TEST(c.closed_by_peer(2s));
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(closed.load() >= 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_session_not_admitted_in_time_is_told_and_closed) {
  // Sessions that never log in would otherwise hold the listener's places
  // for as long as they send a line before the idle timeout.
  auto o = server_fixture::quick();
  o.login_timeout = 1s;
  o.idle_timeout = 10s;
  server_fixture f{o};
  line_client lurker{f.server.bound_port()}, member{f.server.bound_port()};
  BOOST_TEST(lurker.read_until("\n", 2s).find("hello") == 0u);
  BOOST_TEST(member.read_until("\n", 2s).find("hello") == 0u);
  member.line("admit");
  BOOST_TEST(member.read_until("\n", 2s) == "admitted\n");
  std::this_thread::sleep_for(500ms);
  lurker.line("still here");
  BOOST_TEST(lurker.read_until("\n", 2s) == "echo: still here\n");
  auto got = lurker.read_until("closing the session\n", 3s);
  BOOST_TEST(got == "error: not logged in within 1 s; closing the session\n");
  BOOST_TEST(lurker.closed_by_peer(2s));
  // The admitted session outlives the deadline.
  std::this_thread::sleep_for(700ms);
  member.line("later");
  BOOST_TEST(member.read_until("\n", 2s) == "echo: later\n");
}

BOOST_AUTO_TEST_CASE(a_login_being_answered_at_the_deadline_is_waited_for) {
  auto o = server_fixture::quick();
  o.login_timeout = 1s;
  o.idle_timeout = 10s;
  o.reply_timeout = 5s;
  server_fixture f{o};
  line_client c{f.server.bound_port()};
  BOOST_TEST(c.read_until("\n", 2s).find("hello") == 0u);
  std::this_thread::sleep_for(800ms);
  c.line("slow"); // answered after 300 ms, past the deadline
  BOOST_TEST(c.read_until("\n", 2s) == "slow done\n");
  c.line("admit");
  BOOST_TEST(c.read_until("\n", 2s) == "admitted\n");
  std::this_thread::sleep_for(1500ms);
  c.line("kept");
  BOOST_TEST(c.read_until("\n", 2s) == "echo: kept\n");
}

BOOST_AUTO_TEST_CASE(listens_on_a_unix_socket_too) {
  auto path = "/tmp/rc-line-test-" + std::to_string(::getpid()) + ".sock";
  auto o = server_fixture::quick();
  o.address.clear(); // the socket only
  o.unix_path = path;
  {
    server_fixture f{o};
    BOOST_TEST(f.server.bound_port() == 0u);
    BOOST_TEST(f.server.bound_address() == path);
    line_client c{path};
    BOOST_REQUIRE(c.connected());
    BOOST_TEST(c.read_until("\n", 2s).find("hello") == 0u);
    c.line("over unix");
    BOOST_TEST(c.read_until("\n", 2s) == "echo: over unix\n");
    // A second server refuses the path while the first listens there.
    boost::asio::io_context io;
    line_server second{io, o, {}};
    BOOST_CHECK_EXCEPTION(
        second.start(), std::runtime_error, [](const std::runtime_error& e) {
          return std::string{e.what()}.find("another process is listening") !=
                 std::string::npos;
        });
  }
  BOOST_TEST(::access(path.c_str(), F_OK) != 0); // removed at stop
}

BOOST_AUTO_TEST_CASE(the_tcp_port_full_leaves_the_unix_socket_its_places) {
  // Whoever can reach the TCP port on loopback (any local user) fills its
  // places; the operator's 0600 socket still lets them in.
  auto path = "/tmp/rc-line-test-full-" + std::to_string(::getpid()) + ".sock";
  auto o = server_fixture::quick(); // 3 sessions a listener
  o.unix_path = path;
  server_fixture f{o};
  line_client a{f.server.bound_port()}, b{f.server.bound_port()},
      c{f.server.bound_port()};
  for (auto* x : {&a, &b, &c})
    BOOST_TEST(x->read_until("\n", 2s).find("hello") == 0u);
  line_client d{f.server.bound_port()};
  BOOST_TEST(d.read_until("\n", 2s).find("most sessions open (3)") !=
             std::string::npos);
  line_client u{path};
  BOOST_REQUIRE(u.connected());
  BOOST_TEST(u.read_until("\n", 2s).find("hello") == 0u);
  u.line("operator");
  BOOST_TEST(u.read_until("\n", 2s) == "echo: operator\n");
  BOOST_TEST(f.server.sessions() == 4u);
}
