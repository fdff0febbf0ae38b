#pragma once
// TLS session resumption for racecontrol's client connections. Every room
// costs a startrace POST and a bot socket, each a new TLS connection to
// racetime.gg; a full handshake (key exchange, the server's certificate
// chain, its verification) cost about half of racecontrold's CPU per room
// in automation_bench --tls. A resumed one skips the certificate and its
// verification: the session was verified for the same host and port when
// it was first made.
//
// The cache belongs to a client TLS context (make_client_tls_context
// installs it) and keeps the newest session each server issued, per
// server (host and port); connections offer it before their handshake. A server
// that no longer takes it answers with a full handshake, verified as ever.
// Plain OpenSSL: safe to use from any io thread.

#include <openssl/ssl.h>

#include <string>

namespace racecontrol::protocol {

/// Lets connections made with `ctx` resume their origin's last session
/// (the context owns the cache from here on).
void enable_tls_session_cache(SSL_CTX* ctx);

/// Before the handshake of a connection to `host`:`port` (HTTPS and WSS
/// alike: one server): offers its cached session, if any, and files the
/// sessions the server issues on this connection under it. Without a cache
/// on the connection's context this does nothing.
void offer_tls_session(SSL* ssl, const std::string& host, unsigned port);

/// After a successful handshake: counts it as resumed or full in the
/// metric racecontrol_tls_handshakes_total.
void count_tls_handshake(SSL* ssl);

} // namespace racecontrol::protocol
