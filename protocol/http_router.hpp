#pragma once

// Routes requests of the HTTP server to handlers by method and path
// pattern. A path no route knows answers 404; a known path with a method it
// does not take answers 405 with the methods it does take in `Allow`.

#include "protocol/http_server.hpp"

#include <boost/beast/http/verb.hpp>

#include <string>
#include <vector>

namespace racecontrol::protocol {

class http_router {
 public:
  /// `pattern` is a path such as "/api/matches/{id}/racetime-room": a
  /// `{name}` segment matches any one non-empty segment and is handed to
  /// the handler as `request.params["name"]`.
  void add(boost::beast::http::verb method, const std::string& pattern,
           http_handler handler);

  /// Routes one request (the router is an http_handler).
  void operator()(http_server_request request, http_responder respond) const;

  /// A route as it was added: method and pattern.
  struct entry {
    boost::beast::http::verb method;
    std::string pattern;
  };

  /// Every route in the order added (for the OpenAPI document's test).
  std::vector<entry> routes() const;

 private:
  struct route {
    boost::beast::http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    http_handler handler;
  };
  std::vector<route> routes_;
};

} // namespace racecontrol::protocol
