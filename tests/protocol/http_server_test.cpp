#define BOOST_TEST_MODULE protocol_http_server
#include <boost/test/unit_test.hpp>

// http_server and http_router over real sockets on loopback: limits,
// malformed input, slow clients, many clients, asynchronous answers and
// the JSON error shape. Clients are raw sockets so that the tests can send
// exactly the bytes they mean, half a request included.

#include "protocol/http_client.hpp"
#include "protocol/http_router.hpp"
#include "protocol/http_server.hpp"
#include "protocol/json.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <unistd.h>

using namespace racecontrol;
using namespace racecontrol::protocol;
using namespace std::chrono_literals;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using response = http::response<http::string_body>;

namespace {

/// The server on its own io_context and threads, with a router that has
/// the routes the tests use.
struct server_fixture {
  explicit server_fixture(http_server_options o = quick(),
                          std::size_t threads = 1)
      : work(io.get_executor()), server(io, o, routes()) {
    server.start();
    for (std::size_t i = 0; i < threads; ++i)
      runners.emplace_back([this] {
        io.run();
      });
  }

  ~server_fixture() {
    server.stop();
    // Answer whatever a test left waiting, then let the threads go.
    release_held();
    work.reset();
    io.stop();
    for (auto& t : runners)
      t.join();
    for (auto& t : answerers)
      t.join();
  }

  static http_server_options quick() {
    http_server_options o;
    o.port = 0;
    o.read_timeout = 5s;
    o.max_body = 1000;
    return o;
  }

  http_router routes() {
    http_router r;
    r.add(http::verb::get, "/echo", [this](auto req, auto respond) {
      ++handled;
      respond(json_response(200, json_text([&](json_writer& w) {
                              w.StartObject();
                              write_string(w, "path", req.path);
                              write_string(w, "query", req.query);
                              write_int(w, "peer_port", req.peer.port());
                              write_bool(w, "trust_forwarded",
                                         req.trust_forwarded);
                              w.EndObject();
                            })));
    });
    r.add(http::verb::post, "/echo", [this](auto req, auto respond) {
      ++handled;
      respond(json_response(
          200, json_text([&](json_writer& w) {
            w.StartObject();
            write_int(w, "size", static_cast<std::int64_t>(req.body.size()));
            write_int(w, "peer_port", req.peer.port());
            w.EndObject();
          })));
    });
    r.add(http::verb::get, "/matches/{id}/room", [](auto req, auto respond) {
      respond(json_response(200, json_text([&](json_writer& w) {
                              w.StartObject();
                              write_string(w, "id", req.params["id"]);
                              w.EndObject();
                            })));
    });
    r.add(http::verb::get, "/error", [](auto, auto respond) {
      respond(error_response(422, "invalid", tricky_message,
                             {{"goal", tricky_field}, {"players", "empty"}}));
    });
    // Held until `hold_until` requests wait, then answered together from
    // another thread (an actor answering later).
    r.add(http::verb::get, "/held", [this](auto, auto respond) {
      std::lock_guard<std::mutex> lock(mutex);
      held.push_back(std::move(respond));
      if (held.size() == hold_until) {
        auto batch = std::move(held);
        held.clear();
        answerers.emplace_back([this, batch = std::move(batch)]() mutable {
          answered_on = std::this_thread::get_id();
          for (auto& r : batch)
            r(json_response(200, R"({"held":true})"));
        });
      }
    });
    r.add(http::verb::get, "/dropped", [](auto, auto) {
      // The responder goes out of scope uncalled.
    });
    r.add(http::verb::get, "/forgotten", [this](auto, auto respond) {
      std::lock_guard<std::mutex> lock(mutex);
      forgotten.push_back(std::move(respond));
    });
    return r;
  }

  void release_held() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& r : held)
      r(json_response(200, "{}"));
    held.clear();
    forgotten.clear();
  }

  std::uint16_t port() const { return server.bound_port(); }

  static inline const std::string tricky_message =
      "goal \"Beat the game\" is not one of\nthe category's goals \\ {}";
  static inline const std::string tricky_field =
      "must be \"quoted\"\r\n\ttwice";

  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work;
  http_server server;
  std::vector<std::thread> runners;
  std::atomic<int> handled{0};
  std::mutex mutex;
  std::vector<http_responder> held;
  std::vector<http_responder> forgotten;
  std::size_t hold_until = 1;
  std::vector<std::thread> answerers;
  std::atomic<std::thread::id> answered_on{}; // set on an answerer thread
};

/// One client connection on its own io_context: writes raw bytes, reads
/// responses with a time limit.
struct client {
  explicit client(std::uint16_t port) {
    stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  }

  void send(const std::string& raw) {
    net::write(stream.socket(), net::buffer(raw));
  }

  /// The next response; nullopt when the connection ended or `limit`
  /// passed first (the error in `last_error`).
  std::optional<response> read(std::chrono::milliseconds limit = 10s) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    stream.expires_after(limit);
    last_error = {};
    bool done = false;
    http::async_read(stream, buffer, parser,
                     [&](beast::error_code ec, std::size_t) {
                       last_error = ec;
                       done = true;
                     });
    io.restart();
    io.run();
    // Not BOOST_REQUIRE: clients run on threads of their own, and Boost.Test's
    // checks are not safe off the test's thread (a hundred at once once
    // corrupted its state: "basic_string::_M_create").
    if (!done)
      throw std::logic_error("the read never completed");
    if (last_error)
      return std::nullopt;
    return parser.release();
  }

  /// Whether the server closes the connection (end of stream or reset)
  /// within `limit` without sending anything more.
  bool closed_within(std::chrono::milliseconds limit) {
    std::array<char, 1> byte{};
    stream.expires_after(limit);
    beast::error_code result;
    std::size_t n = 0;
    stream.async_read_some(net::buffer(byte),
                           [&](beast::error_code ec, std::size_t got) {
                             result = ec;
                             n = got;
                           });
    io.restart();
    io.run();
    return n == 0 && result && result != beast::error::timeout;
  }

  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  beast::error_code last_error;
};

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

std::string post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

/// The `error` object of an error answer, checked for its shape.
struct error_body {
  std::string code;
  std::string message;
  std::map<std::string, std::string> fields;
};

error_body read_error(const response& r) {
  BOOST_TEST(r[http::field::content_type] == "application/json");
  auto doc = parse_json(r.body());
  json_object top{doc, ""};
  auto e = top.object("error");
  error_body out{e.string("code"), e.string("message"), {}};
  auto fields = e.object("fields");
  for (auto it = fields.value().MemberBegin(); it != fields.value().MemberEnd();
       ++it)
    out.fields[it->name.GetString()] = fields.string(it->name.GetString());
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_server_suite)

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
  server_fixture f;
  client c(f.port());
  std::set<std::int64_t> peer_ports;
  for (int i = 0; i < 3; ++i) {
    c.send(i == 1 ? post("/echo", R"({"n":1})")
                  : get("/echo?n=" + std::to_string(i)));
    auto r = c.read();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->result_int() == 200u);
    BOOST_TEST(r->keep_alive());
    auto doc = parse_json(r->body());
    peer_ports.insert(json_object{doc, ""}.integer("peer_port"));
  }
  // One connection: every request came from the same client port.
  BOOST_TEST(peer_ports.size() == 1u);
  BOOST_TEST(f.handled == 3);
  BOOST_TEST(f.server.connections() == 1u);
  // Connection: close is honoured.
  c.send(get("/echo", "Connection: close\r\n"));
  auto last = c.read();
  BOOST_REQUIRE(last);
  BOOST_TEST(!last->keep_alive());
  BOOST_TEST(c.closed_within(2s));
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
  server_fixture f;
  client c(f.port());
  // Three requests in one write; the second's answer comes from another
  // thread, and still the answers keep their order.
  c.send(get("/echo?n=1") + get("/held") + post("/echo", "12345"));
  auto first = c.read();
  auto second = c.read();
  auto third = c.read();
  BOOST_REQUIRE(first && second && third);
  BOOST_TEST(json_object(parse_json(first->body()), "").string("query") ==
             "n=1");
  BOOST_TEST(second->body() == R"({"held":true})");
  BOOST_TEST(json_object(parse_json(third->body()), "").integer("size") == 5);
}

BOOST_AUTO_TEST_CASE(a_huge_body_gets_413_without_being_read) {
  server_fixture f;
  client c(f.port());
  // Says 1 GiB, sends 16 KiB of it, then waits for an answer.
  c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1073741824\r\n"
         "\r\n" +
         std::string(16 * 1024, 'x'));
  auto r = c.read(3s);
  BOOST_REQUIRE_MESSAGE(r, "no answer: " << c.last_error.message());
  BOOST_TEST(r->result_int() == 413u);
  auto e = read_error(*r);
  BOOST_TEST(e.code == "body_too_large");
  BOOST_TEST(e.message.find("1000 bytes") != std::string::npos);
  BOOST_TEST(!r->keep_alive());
  BOOST_TEST(c.closed_within(3s));
  BOOST_TEST(f.handled == 0);
}

BOOST_AUTO_TEST_CASE(a_body_exactly_at_the_limit_is_taken_one_more_is_not) {
  server_fixture f; // max_body 1000
  client c(f.port());
  c.send(post("/echo", std::string(1000, 'a')));
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 200u);
  BOOST_TEST(json_object(parse_json(r->body()), "").integer("size") == 1000);

  client d(f.port());
  d.send(post("/echo", std::string(1001, 'a')));
  auto too_big = d.read();
  BOOST_REQUIRE(too_big);
  BOOST_TEST(too_big->result_int() == 413u);
  BOOST_TEST(f.handled == 1);
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_limit_gets_413) {
  server_fixture f;
  client c(f.port());
  std::string chunk(600, 'b');
  c.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
         "\r\n258\r\n" +
         chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 413u);
  BOOST_TEST(f.handled == 0);
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_400_and_the_connection_closes) {
  server_fixture f;
  for (const std::string raw :
       {"GARBAGE\r\n\r\n", "GET /echo HTTP/1.1\r\nHost test\r\n\r\n",
        "GET /echo HTTP/9.x\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: twelve\r\n\r\n"}) {
    BOOST_TEST_CONTEXT("request " << raw) {
      client c(f.port());
      c.send(raw);
      auto r = c.read();
      BOOST_REQUIRE(r);
      BOOST_TEST(r->result_int() == 400u);
      BOOST_TEST(read_error(*r).code == "bad_request");
      BOOST_TEST(c.closed_within(3s));
    }
  }
  BOOST_TEST(f.handled == 0);
}

BOOST_AUTO_TEST_CASE(headers_over_the_limit_get_431) {
  auto o = server_fixture::quick();
  o.max_header = 2048;
  server_fixture f(o);
  client c(f.port());
  c.send(get("/echo", "X-Padding: " + std::string(4096, 'p') + "\r\n"));
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 431u);
  BOOST_TEST(read_error(*r).code == "headers_too_large");
}

BOOST_AUTO_TEST_CASE(unknown_route_404_wrong_method_405_with_allow) {
  server_fixture f;
  client c(f.port());
  c.send(get("/nowhere"));
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 404u);
  BOOST_TEST(read_error(*r).code == "not_found");
  BOOST_TEST(r->keep_alive()); // a 404 is an answer, not a broken request

  c.send("DELETE /echo HTTP/1.1\r\nHost: test\r\n\r\n");
  r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 405u);
  BOOST_TEST(read_error(*r).code == "method_not_allowed");
  BOOST_TEST((*r)[http::field::allow] == "GET, POST");
  c.send("BREW /echo HTTP/1.1\r\nHost: test\r\n\r\n");
  r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 405u);
  BOOST_TEST(read_error(*r).message.find("BREW is not allowed on /echo") !=
             std::string::npos);

  c.send(get("/matches/17/room"));
  r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 200u);
  BOOST_TEST(json_object(parse_json(r->body()), "").string("id") == "17");
  c.send(get("/matches//room"));
  r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 404u);
}

BOOST_AUTO_TEST_CASE(a_stalled_client_does_not_delay_another_and_times_out) {
  auto o = server_fixture::quick();
  o.read_timeout = 2s;
  server_fixture f(o, 1); // one io thread: only asynchrony keeps B going
  auto started = std::chrono::steady_clock::now();
  client stalled(f.port());
  stalled.send("GET /echo HTTP/1.1\r\nHost: te"); // and nothing more
  client idle(f.port());                          // sends nothing at all

  client b(f.port());
  b.send(get("/echo"));
  auto r = b.read(o.read_timeout);
  auto b_took = std::chrono::steady_clock::now() - started;
  BOOST_REQUIRE_MESSAGE(r, "the second client was not answered before the "
                           "stalled one's timeout");
  BOOST_TEST(r->result_int() == 200u);
  BOOST_TEST((b_took < o.read_timeout));

  // The stalled one is told why and closed once its time is up.
  auto timed_out = stalled.read(o.read_timeout + 3s);
  BOOST_REQUIRE_MESSAGE(timed_out, "no 408: " << stalled.last_error.message());
  BOOST_TEST(timed_out->result_int() == 408u);
  BOOST_TEST(read_error(*timed_out).code == "timeout");
  BOOST_TEST((std::chrono::steady_clock::now() - started >= o.read_timeout));
  BOOST_TEST(stalled.closed_within(3s));
  // The idle one is closed without a word.
  BOOST_TEST(idle.closed_within(3s));
  BOOST_TEST(f.handled == 1);
}

BOOST_AUTO_TEST_CASE(a_hundred_concurrent_clients_are_all_answered) {
  auto o = server_fixture::quick();
  o.handler_timeout = 20s;
  server_fixture f(o, 2);
  // No answer goes out before all 100 requests are in the handler at once:
  // a server that served clients one after another would never get there
  // (and would answer 504 timeout after 20 s).
  f.hold_until = 100;
  std::atomic<int> ok{0};
  std::vector<std::string> problems;
  std::mutex problems_mutex;
  std::vector<std::thread> clients;
  for (int i = 0; i < 100; ++i)
    clients.emplace_back([&] {
      try {
        client c(f.port());
        c.send(get("/held"));
        auto r = c.read(30s);
        if (r && r->result_int() == 200 && r->body() == R"({"held":true})")
          ++ok;
        else {
          std::lock_guard<std::mutex> lock(problems_mutex);
          problems.push_back(r ? std::to_string(r->result_int()) + " " +
                                     r->body()
                               : c.last_error.message());
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(problems_mutex);
        problems.push_back(e.what());
      }
    });
  for (auto& t : clients)
    t.join();
  BOOST_TEST(ok == 100);
  for (auto& p : problems)
    BOOST_TEST_MESSAGE("problem: " << p);
  BOOST_TEST(problems.empty());
  // The answers came from a thread that is not one of the server's.
  BOOST_TEST((f.answered_on.load() != std::thread::id{}));
  for (auto& t : f.runners)
    BOOST_TEST((f.answered_on.load() != t.get_id()));
}

BOOST_AUTO_TEST_CASE(an_answer_from_another_thread_keeps_the_connection) {
  server_fixture f;
  client c(f.port());
  for (int i = 0; i < 2; ++i) {
    c.send(get("/held"));
    auto r = c.read();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->result_int() == 200u);
    BOOST_TEST(r->body() == R"({"held":true})");
    BOOST_TEST(r->keep_alive());
  }
}

BOOST_AUTO_TEST_CASE(a_dropped_responder_answers_500_a_forgotten_one_504) {
  auto o = server_fixture::quick();
  o.handler_timeout = 500ms;
  server_fixture f(o);
  client c(f.port());
  c.send(get("/dropped"));
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 500u);
  BOOST_TEST(read_error(*r).code == "no_answer");

  c.send(get("/forgotten"));
  r = c.read(5s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 504u);
  BOOST_TEST(read_error(*r).code == "timeout");
  // A late answer after the timeout goes nowhere; the connection serves on.
  {
    std::lock_guard<std::mutex> lock(f.mutex);
    for (auto& late : f.forgotten)
      late(json_response(200, R"({"late":true})"));
  }
  c.send(get("/echo"));
  r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 200u);
  BOOST_TEST(r->body().find("late") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_error_shape_round_trips_quotes_and_newlines) {
  server_fixture f;
  client c(f.port());
  c.send(get("/error"));
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 422u);
  auto e = read_error(*r);
  BOOST_TEST(e.code == "invalid");
  BOOST_TEST(e.message == server_fixture::tricky_message);
  BOOST_TEST(e.fields.size() == 2u);
  BOOST_TEST(e.fields["goal"] == server_fixture::tricky_field);
  BOOST_TEST(e.fields["players"] == "empty");
  // Without fields the member is an empty object, not missing.
  auto empty = parse_json(error_json("x", "y"));
  BOOST_TEST(empty["error"]["fields"].IsObject());
  BOOST_TEST(empty["error"]["fields"].MemberCount() == 0u);
}

BOOST_AUTO_TEST_CASE(beyond_max_connections_clients_get_503_busy) {
  auto o = server_fixture::quick();
  o.max_connections = 2;
  server_fixture f(o);
  client a(f.port()), b(f.port());
  for (auto* c : {&a, &b}) { // both served and kept open
    c->send(get("/echo"));
    auto r = c->read();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->result_int() == 200u);
  }
  client third(f.port());
  third.send(get("/echo"));
  auto r = third.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 503u);
  BOOST_TEST(read_error(*r).code == "busy");
  BOOST_TEST((*r)[http::field::retry_after] == "1");
  BOOST_TEST(third.closed_within(3s));
  BOOST_TEST(f.handled == 2);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body) {
  server_fixture f;
  client c(f.port());
  c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
         "Expect: 100-continue\r\n\r\n");
  auto interim = c.read(3s);
  BOOST_REQUIRE(interim);
  BOOST_TEST(interim->result_int() == 100u);
  c.send("hello");
  auto r = c.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 200u);
  BOOST_TEST(json_object(parse_json(r->body()), "").integer("size") == 5);
}

BOOST_AUTO_TEST_CASE(the_trust_flag_and_peer_reach_the_handler) {
  auto o = server_fixture::quick();
  o.trust_forwarded = true;
  server_fixture f(o);
  client c(f.port());
  c.send(get("/echo", "X-Forwarded-For: 203.0.113.7\r\n"));
  auto r = c.read();
  BOOST_REQUIRE(r);
  auto doc = parse_json(r->body());
  json_object body{doc, ""};
  BOOST_TEST(body.boolean("trust_forwarded"));
  BOOST_TEST(body.integer("peer_port") ==
             c.stream.socket().local_endpoint().port());
}

BOOST_AUTO_TEST_CASE(forwarded_headers_count_only_from_trusted_proxies) {
  auto peer = net::ip::make_address("127.0.0.1");
  header_list headers{{"X-Forwarded-For", "198.51.100.9, 203.0.113.7"},
                      {"X-Forwarded-Proto", "https"}};
  // Not configured: the peer, headers ignored.
  auto plain = client_origin(peer, headers, false, {});
  BOOST_TEST(plain.address == "127.0.0.1");
  BOOST_TEST(plain.scheme == "http");
  BOOST_TEST(!plain.forwarded);
  // Another peer than the proxy: ignored too.
  BOOST_TEST(client_origin(net::ip::make_address("192.0.2.1"), headers, false,
                           {"127.0.0.1"})
                 .address == "192.0.2.1");
  // From the proxy: the rightmost address (a client may prepend anything).
  auto trusted = client_origin(peer, headers, false, {"127.0.0.1"});
  BOOST_TEST(trusted.address == "203.0.113.7");
  BOOST_TEST(trusted.scheme == "https");
  BOOST_TEST(trusted.forwarded);
  // Chained trusted proxies are skipped; a dual-stack peer matches IPv4.
  header_list chain{{"X-Forwarded-For", "203.0.113.7"},
                    {"x-forwarded-for", "10.0.0.2"}};
  BOOST_TEST(client_origin(net::ip::make_address("::ffff:127.0.0.1"), chain,
                           false, {"127.0.0.1", "10.0.0.2"})
                 .address == "203.0.113.7");
  // Garbage nearest the proxy: nothing it forwarded is believed.
  header_list junk{{"X-Forwarded-For", "203.0.113.7, <script>"}};
  BOOST_TEST(client_origin(peer, junk, false, {"127.0.0.1"}).address ==
             "127.0.0.1");
  // trust_forwarded believes every peer.
  BOOST_TEST(
      client_origin(net::ip::make_address("192.0.2.1"), headers, true, {})
          .address == "203.0.113.7");
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_named_in_the_error) {
  server_fixture f;
  net::io_context io;
  http_server_options o;
  o.port = f.port();
  http_server second(io, o, http_router{});
  try {
    second.start();
    BOOST_FAIL("a second server listened on a port in use");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(
        std::string{e.what()}.find("127.0.0.1:" + std::to_string(f.port())) !=
        std::string::npos);
  }
}

namespace {

/// A self-signed certificate for 127.0.0.1 and its key, made with the
/// openssl command in a fresh directory.
struct test_certificate {
  test_certificate() {
    dir = std::filesystem::temp_directory_path() /
          ("rc-http-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    cert = (dir / "server.pem").string();
    key = (dir / "server.key").string();
    auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
               "-nodes -days 1 -subj /CN=127.0.0.1 -addext "
               "subjectAltName=IP:127.0.0.1 -keyout '" +
               key + "' -out '" + cert + "' 2>/dev/null";
    BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0,
                          "openssl could not make a test certificate");
  }
  ~test_certificate() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::filesystem::path dir;
  std::string cert;
  std::string key;
};

/// One request through protocol::http_client (which verifies the server's
/// certificate against `ca`), waited for.
http_outcome fetch_with_client(const std::string& address,
                               const std::string& ca) {
  net::io_context io;
  http_client client(io, make_client_tls_context(ca));
  http_request req;
  req.target = *parse_url(address);
  std::promise<http_outcome> done;
  client.request(req, [&](http_outcome o) {
    done.set_value(std::move(o));
  });
  io.run();
  return done.get_future().get();
}

/// A GET or POST of the server's `/echo`, which answers with the client's
/// port as it saw it.
http_request echo_request(const std::string& base, http::verb method) {
  http_request req;
  req.method = method;
  req.target = *parse_url(base + "/echo");
  if (method == http::verb::post) {
    req.body = "{}";
    req.content_type = "application/json";
  }
  return req;
}

/// The client's port of the connection a request through `client` went on,
/// as the server saw it; the request must succeed.
int peer_port_of(net::io_context& io, http_client& client,
                 const std::string& base, http::verb method) {
  auto req = echo_request(base, method);
  std::optional<http_outcome> out;
  client.request(req, [&](http_outcome o) {
    out = std::move(o);
  });
  io.restart();
  io.run();
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST_REQUIRE(static_cast<bool>(*out),
                     (*out ? "" : out->error().message));
  BOOST_TEST_REQUIRE((*out)->status == 200u);
  return parse_json((*out)->body)["peer_port"].GetInt();
}

} // namespace

// A startrace must never go twice, so it goes on a kept-alive connection
// only when that was idle briefly and the server has not closed it.
BOOST_AUTO_TEST_CASE(a_post_takes_only_a_fresh_open_kept_alive_connection) {
  auto o = server_fixture::quick();
  o.read_timeout = 300ms; // also the server's limit for an idle connection
  server_fixture f(o);
  auto base = "http://127.0.0.1:" + std::to_string(f.port());
  net::io_context io;
  http_client_options reuse;
  reuse.fresh_reuse = 5s;
  http_client client(io, nullptr, reuse);
  auto first = peer_port_of(io, client, base, http::verb::get);
  BOOST_TEST(peer_port_of(io, client, base, http::verb::post) == first);
  // The server closes the idle connection meanwhile: the POST sees that
  // and goes on a new one (not "sent, answer unknown").
  std::this_thread::sleep_for(700ms);
  auto after = peer_port_of(io, client, base, http::verb::post);
  BOOST_TEST(after != first);
  // Past the window, or without one, a POST opens a connection of its own.
  http_client_options brief;
  brief.fresh_reuse = 50ms;
  http_client strict(io, nullptr, brief);
  auto kept = peer_port_of(io, strict, base, http::verb::get);
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(peer_port_of(io, strict, base, http::verb::post) != kept);
  http_client never(io, nullptr, {});
  kept = peer_port_of(io, never, base, http::verb::get);
  auto posted = peer_port_of(io, never, base, http::verb::post);
  BOOST_TEST(posted != kept);
  // GETs still take kept-alive connections: the POST's, the newest.
  BOOST_TEST(peer_port_of(io, never, base, http::verb::get) == posted);
}

// Connections kept from earlier requests, too old for a POST, must not
// turn away the POST's own: a burst of startraces shares one connection.
BOOST_AUTO_TEST_CASE(a_full_pool_gives_up_its_oldest_connection) {
  server_fixture f(server_fixture::quick());
  auto base = "http://127.0.0.1:" + std::to_string(f.port());
  net::io_context io;
  http_client_options o;
  o.fresh_reuse = 50ms;
  o.max_idle_per_host = 1;
  http_client client(io, nullptr, o);
  auto old = peer_port_of(io, client, base, http::verb::get);
  std::this_thread::sleep_for(100ms);
  auto first = peer_port_of(io, client, base, http::verb::post);
  BOOST_TEST(first != old);
  BOOST_TEST(peer_port_of(io, client, base, http::verb::post) == first);
  // The old connection was closed, not kept: a GET takes the newest.
  BOOST_TEST(peer_port_of(io, client, base, http::verb::get) == first);
}

// A burst of startraces over max_per_host connections: they wait their
// turn and share the connections instead of opening one each.
BOOST_AUTO_TEST_CASE(a_burst_queues_behind_the_connection_limit) {
  server_fixture f(server_fixture::quick());
  auto base = "http://127.0.0.1:" + std::to_string(f.port());
  net::io_context io;
  http_client_options o;
  o.fresh_reuse = 5s;
  o.max_per_host = 2;
  http_client client(io, nullptr, o);
  std::vector<http_outcome> outs;
  for (int i = 0; i < 10; ++i)
    client.request(echo_request(base, http::verb::post), [&](http_outcome out) {
      outs.push_back(std::move(out));
    });
  io.run();
  BOOST_TEST_REQUIRE(outs.size() == 10u);
  std::set<int> ports;
  for (auto& out : outs) {
    BOOST_TEST_REQUIRE(static_cast<bool>(out),
                       (out ? std::string{} : out.error().message));
    BOOST_TEST(out->status == 200u);
    ports.insert(parse_json(out->body)["peer_port"].GetInt());
  }
  BOOST_TEST(ports.size() <= 2u);
  BOOST_TEST(f.handled == 10);
}

// A request that waits for a connection past its timeout fails as a
// timeout and never reaches the server (for a startrace: not sent).
BOOST_AUTO_TEST_CASE(a_request_waiting_past_its_timeout_is_not_sent) {
  server_fixture f(server_fixture::quick());
  auto base = "http://127.0.0.1:" + std::to_string(f.port());
  net::io_context io;
  http_client_options o;
  o.max_per_host = 1;
  http_client client(io, nullptr, o);
  http_request held;
  held.target = *parse_url(base + "/forgotten");
  held.timeout = 1500ms;
  std::optional<http_outcome> first;
  client.request(held, [&](http_outcome out) {
    first = std::move(out);
  });
  auto post = echo_request(base, http::verb::post);
  post.timeout = 200ms;
  std::optional<http_outcome> second;
  std::chrono::steady_clock::time_point second_at;
  client.request(post, [&](http_outcome out) {
    second = std::move(out);
    second_at = std::chrono::steady_clock::now();
  });
  auto asked = std::chrono::steady_clock::now();
  io.run();
  BOOST_TEST_REQUIRE(second.has_value());
  BOOST_TEST_REQUIRE(!*second);
  BOOST_TEST(to_string(second->error().what) == std::string{"timeout"});
  BOOST_TEST(second->error().message.find("not sent") != std::string::npos,
             second->error().message);
  auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(second_at - asked);
  BOOST_TEST(waited.count() < 1000, waited.count() << " ms"); // its own limit
  BOOST_TEST(f.handled == 0); // the POST never reached the server
  // The held request timed out on its own; a later one gets the slot.
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST(!*first);
  BOOST_TEST(peer_port_of(io, client, base, http::verb::get) > 0);
}

// A client that goes away answers its queued requests: not sent.
BOOST_AUTO_TEST_CASE(a_closing_client_answers_its_queued_requests) {
  server_fixture f(server_fixture::quick());
  auto base = "http://127.0.0.1:" + std::to_string(f.port());
  net::io_context io;
  http_client_options o;
  o.max_per_host = 1;
  std::optional<http_outcome> queued;
  {
    http_client client(io, nullptr, o);
    http_request held;
    held.target = *parse_url(base + "/forgotten");
    held.timeout = 1s;
    client.request(held, [](http_outcome) {});
    client.request(echo_request(base, http::verb::post), [&](http_outcome out) {
      queued = std::move(out);
    });
    io.poll(); // both started: one holds the connection, one waits
  }
  io.run();
  BOOST_TEST_REQUIRE(queued.has_value());
  BOOST_TEST_REQUIRE(!*queued);
  BOOST_TEST(queued->error().message.find("closed before") != std::string::npos,
             queued->error().message);
  BOOST_TEST(f.handled == 0);
}

BOOST_AUTO_TEST_CASE(with_a_certificate_it_serves_https_and_only_https) {
  test_certificate tc;
  auto o = server_fixture::quick();
  o.tls_certificate = tc.cert;
  o.tls_key = tc.key;
  o.read_timeout = 1s;
  server_fixture f(o);
  BOOST_TEST(f.server.uses_tls());
  auto base = "https://127.0.0.1:" + std::to_string(f.port());
  auto ok = fetch_with_client(base + "/echo?x=1", tc.cert);
  BOOST_TEST_REQUIRE(static_cast<bool>(ok), "an HTTPS request failed");
  BOOST_TEST(ok->status == 200u);
  BOOST_TEST(ok->body.find(R"("query":"x=1")") != std::string::npos);
  // The server's errors keep their shape over TLS.
  auto missing = fetch_with_client(base + "/nowhere", tc.cert);
  BOOST_TEST_REQUIRE(static_cast<bool>(missing));
  BOOST_TEST(missing->status == 404u);
  // A client that does not trust the certificate gives up in the
  // handshake; the server goes on.
  auto untrusted = fetch_with_client(base + "/echo", "");
  BOOST_TEST_REQUIRE(!untrusted);
  BOOST_TEST(to_string(untrusted.error().what) == std::string{"tls"});
  // Plain HTTP on the TLS port gets no answer: the connection closes.
  client plain(f.port());
  plain.send(get("/echo"));
  BOOST_TEST(!plain.read(3s).has_value());
  // A client that connects and never starts the handshake is closed after
  // read_timeout and holds nothing.
  client idle(f.port());
  BOOST_TEST(idle.closed_within(3s));
  BOOST_TEST(static_cast<bool>(fetch_with_client(base + "/echo", tc.cert)));
  BOOST_TEST(f.handled.load() == 2);
}

BOOST_AUTO_TEST_CASE(unusable_tls_files_are_named_in_the_error) {
  test_certificate tc;
  net::io_context io;
  auto start_with = [&](const std::string& cert, const std::string& key) {
    http_server_options o;
    o.port = 0;
    o.tls_certificate = cert;
    o.tls_key = key;
    http_server s(io, o, http_router{});
    try {
      s.start();
    } catch (const std::runtime_error& e) {
      return std::string{e.what()};
    }
    return std::string{"started"};
  };
  BOOST_TEST(start_with(tc.cert, tc.key) == "started");
  auto missing = start_with("/nonexistent/server.pem", tc.key);
  BOOST_TEST(missing.find("/nonexistent/server.pem") != std::string::npos,
             missing);
  // The certificate given as its own key is no key.
  auto wrong_key = start_with(tc.cert, tc.cert);
  BOOST_TEST(wrong_key.find("TLS key '" + tc.cert + "'") != std::string::npos,
             wrong_key);
  auto half = start_with(tc.cert, "");
  BOOST_TEST(half.find("http.key") != std::string::npos, half);
}

BOOST_AUTO_TEST_SUITE_END()
