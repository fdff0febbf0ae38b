// A connection's handlers run one at a time: on a strand of an io_context
// that several threads may run, on the io_context's own executor when one
// thread runs it (io_runtime declares it so with at most one thread).

#define BOOST_TEST_MODULE protocol_serial_executor
#include <boost/test/unit_test.hpp>

#include "protocol/io_runtime.hpp"
#include "protocol/serial_executor.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <thread>
#include <vector>

using namespace racecontrol;
namespace net = boost::asio;

namespace {

using io_strand = net::strand<net::io_context::executor_type>;

bool is_strand(const net::any_io_executor& ex) {
  return ex.target<io_strand>() != nullptr;
}

bool is_plain(const net::any_io_executor& ex) {
  return ex.target<net::io_context::executor_type>() != nullptr;
}

protocol::io_runtime_options runtime_options(std::size_t threads) {
  protocol::io_runtime_options o;
  o.racetime = *protocol::parse_url("http://127.0.0.1:9");
  o.threads = threads;
  return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_strand_unless_one_thread_is_declared) {
  net::io_context io;
  net::io_context other;
  BOOST_TEST(is_strand(protocol::serial_executor(io)));
  protocol::declare_single_threaded(io);
  BOOST_TEST(is_plain(protocol::serial_executor(io)));
  // The declaration is the io_context's, not the process's.
  BOOST_TEST(is_strand(protocol::serial_executor(other)));
}

BOOST_AUTO_TEST_CASE(
    io_runtime_declares_its_io_when_at_most_one_thread_runs_it) {
  for (std::size_t threads : {0u, 1u}) {
    protocol::io_runtime rt{runtime_options(threads)};
    BOOST_TEST(is_plain(protocol::serial_executor(rt.io())),
               threads << " thread(s)");
  }
  protocol::io_runtime two{runtime_options(2)};
  BOOST_TEST(is_strand(protocol::serial_executor(two.io())));
}

BOOST_AUTO_TEST_CASE(handlers_posted_from_other_threads_run_in_order) {
  // What a session relies on either way: posts from the actors' threads
  // run one at a time and in the order each thread posted them.
  for (bool declared : {false, true}) {
    net::io_context io;
    if (declared)
      protocol::declare_single_threaded(io);
    auto ex = protocol::serial_executor(io);
    std::vector<int> seen;
    std::vector<std::thread> posters;
    for (int t = 0; t < 4; ++t)
      posters.emplace_back([&, t] {
        for (int i = 0; i < 1000; ++i)
          net::post(ex, [&seen, v = t * 1000 + i] {
            seen.push_back(v);
          });
      });
    for (auto& p : posters)
      p.join();
    io.run();
    BOOST_REQUIRE_EQUAL(seen.size(), 4000u);
    std::vector<int> last(4, -1);
    bool ordered = true;
    for (int v : seen) {
      ordered = ordered && v % 1000 > last[v / 1000];
      last[v / 1000] = v % 1000;
    }
    BOOST_TEST(ordered, (declared ? "declared" : "strand"));
  }
}
