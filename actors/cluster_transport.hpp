#pragma once

// How racecontrold nodes reach each other: CAF's middleman over its
// OpenSSL module, with mutual certificate authentication against one
// cluster CA. A connection in either direction must present a certificate
// the CA signed, or the TLS handshake fails and no actor is reached.
//
// CAF raises (throws on the multiplexer's thread) when it cannot load a
// file while a connection is being made, which would end the process at
// the first peer; check_cluster_tls() loads them as CAF will beforehand, so
// a bad file ends the start with one line instead.

#include "config/settings.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>

namespace racecontrol {

/// The files of a node's cluster identity (PEM).
struct cluster_tls {
  std::string certificate; ///< this node's certificate (chain)
  std::string key;         ///< its private key, unencrypted
  std::string ca;          ///< the cluster CA that signs every node
};

/// Loads the three files as OpenSSL will (the certificate chain, the key
/// and whether it matches, the CA) and checks the certificate against the
/// CA; an error naming the file and what is wrong with it.
caf::error check_cluster_tls(const cluster_tls& tls);

/// Loads CAF's middleman and OpenSSL module into `cfg` with the node's
/// identity. Call check_cluster_tls() first.
void configure_cluster_transport(caf::actor_system_config& cfg,
                                 const cluster_tls& tls);

/// Publishes `whom` to other nodes on `at` (port 0: any free one); the port
/// it listens on.
caf::expected<std::uint16_t>
publish_on_cluster(const caf::actor& whom, const config::listen_address& at);

/// Connects to the actor another node published at host:port (blocking:
/// for the start of a process or a test, not for an actor).
caf::expected<caf::actor> connect_to_node(caf::actor_system& sys,
                                          const std::string& host,
                                          std::uint16_t port);

} // namespace racecontrol
