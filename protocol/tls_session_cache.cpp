#include "protocol/tls_session_cache.hpp"

#include "protocol/metrics_registry.hpp"

#include <ctime>
#include <map>
#include <mutex>

namespace racecontrol::protocol {

namespace {

/// The newest resumable session per server (host:port); each entry holds a
/// reference.
struct session_cache {
  std::mutex mutex;
  std::map<std::string, SSL_SESSION*> sessions;

  ~session_cache() {
    for (auto& entry : sessions)
      SSL_SESSION_free(entry.second);
  }
};

void free_cache(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<session_cache*>(ptr);
}

void free_origin(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(ptr);
}

/// Where a context keeps its cache.
int cache_index() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_cache);
  return index;
}

/// Where a connection keeps the server its sessions are filed under.
int origin_index() {
  static const int index =
      SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_origin);
  return index;
}

session_cache* cache_of(SSL_CTX* ctx) {
  return static_cast<session_cache*>(SSL_CTX_get_ex_data(ctx, cache_index()));
}

bool expired(const SSL_SESSION* session) {
  return SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session) <=
         std::time(nullptr);
}

/// A connection's own copy of a cached session. OpenSSL marks the session
/// of a connection that ends without a TLS close_notify (a dropped socket,
/// a request given up) as not resumable; the cache's copy must not share
/// that fate.
SSL_SESSION* copy_of(const SSL_SESSION* session) {
  return SSL_SESSION_dup(session);
}

/// OpenSSL hands over each session a server issues (with TLS 1.3, in the
/// tickets that follow the handshake); the cache keeps a copy.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* origin =
      static_cast<std::string*>(SSL_get_ex_data(ssl, origin_index()));
  auto* cache = cache_of(SSL_get_SSL_CTX(ssl));
  if (origin == nullptr || cache == nullptr ||
      SSL_SESSION_is_resumable(session) == 0)
    return 0;
  auto* copy = copy_of(session);
  if (copy == nullptr)
    return 0;
  std::lock_guard<std::mutex> lock{cache->mutex};
  auto& slot = cache->sessions[*origin];
  if (slot != nullptr)
    SSL_SESSION_free(slot);
  slot = copy;
  return 0;
}

} // namespace

void enable_tls_session_cache(SSL_CTX* ctx) {
  if (cache_of(ctx) != nullptr)
    return;
  SSL_CTX_set_ex_data(ctx, cache_index(), new session_cache);
  // A client cache that OpenSSL does not look into itself: a session is
  // offered only to the server that issued it, which OpenSSL cannot know.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
                                          SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

void offer_tls_session(SSL* ssl, const std::string& host, unsigned port) {
  auto* cache = cache_of(SSL_get_SSL_CTX(ssl));
  if (cache == nullptr)
    return;
  auto origin = host + ":" + std::to_string(port);
  delete static_cast<std::string*>(SSL_get_ex_data(ssl, origin_index()));
  SSL_set_ex_data(ssl, origin_index(), new std::string{origin});
  std::lock_guard<std::mutex> lock{cache->mutex};
  auto it = cache->sessions.find(origin);
  if (it == cache->sessions.end())
    return;
  if (expired(it->second) || SSL_SESSION_is_resumable(it->second) == 0) {
    SSL_SESSION_free(it->second);
    cache->sessions.erase(it);
    return;
  }
  if (auto* copy = copy_of(it->second)) {
    SSL_set_session(ssl, copy); // takes a reference of its own
    SSL_SESSION_free(copy);
  }
}

void count_tls_handshake(SSL* ssl) {
  metrics().add(
      metric::tls_handshakes,
      {{"session", SSL_session_reused(ssl) != 0 ? "resumed" : "full"}});
}

} // namespace racecontrol::protocol
