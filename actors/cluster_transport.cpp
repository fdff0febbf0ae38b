#include "actors/cluster_transport.hpp"

#include "actors/error.hpp"
#include "actors/openssl_error_queue.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

namespace racecontrol {

namespace {

/// OpenSSL's queued errors as one line (and the queue emptied).
std::string openssl_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

caf::error tls_error(const std::string& what, const std::string& file) {
  return make_error(ec::refused, "cluster TLS: " + what + " (" + file +
                                     "): " + openssl_errors());
}

bool readable(const std::string& path) {
  if (auto* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
    return true;
  }
  return false;
}

/// The first certificate of a PEM file; null when there is none.
std::unique_ptr<X509, decltype(&X509_free)>
first_certificate(const std::string& path) {
  std::unique_ptr<X509, decltype(&X509_free)> none{nullptr, X509_free};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_file(path.c_str(), "r"),
                                                BIO_free};
  if (!bio)
    return none;
  return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free};
}

/// Whether `path` holds a private key OpenSSL can read without a
/// passphrase.
bool readable_key(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_file(path.c_str(), "r"),
                                                BIO_free};
  if (!bio)
    return false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr,
                              const_cast<char*>("")),
      EVP_PKEY_free};
  return key != nullptr;
}

/// Whether the CA in `ca_file` signed `cert`.
caf::error verify_against_ca(X509* cert, const cluster_tls& tls) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store{
      X509_STORE_new(), X509_STORE_free};
  if (X509_STORE_load_locations(store.get(), tls.ca.c_str(), nullptr) != 1)
    return tls_error("cannot load the cluster CA", tls.ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx{
      X509_STORE_CTX_new(), X509_STORE_CTX_free};
  X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
  if (X509_verify_cert(ctx.get()) != 1)
    return make_error(
        ec::refused,
        "cluster TLS: the certificate " + tls.certificate +
            " is not accepted by the cluster CA " + tls.ca + ": " +
            X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) +
            " (make node certificates with tools/cluster-certs and the "
            "cluster's CA)");
  return {};
}

} // namespace

caf::error check_cluster_tls(const cluster_tls& tls) {
  for (const auto& [name, path] :
       {std::pair{"cluster.certificate", &tls.certificate},
        std::pair{"cluster.key", &tls.key}, std::pair{"cluster.ca", &tls.ca}}) {
    if (path->empty())
      return make_error(ec::refused,
                        std::string{"cluster TLS: "} + name +
                            " is not set; every node needs its certificate, "
                            "its key and the cluster CA (tools/cluster-certs "
                            "makes test ones)");
    if (!readable(*path))
      return make_error(ec::refused, std::string{"cluster TLS: cannot read "} +
                                         name + " " + *path);
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{
      SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return tls_error("cannot make an OpenSSL context", "-");
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.certificate.c_str()) !=
      1)
    return tls_error("cannot load the node certificate", tls.certificate);
  if (!readable_key(tls.key))
    return tls_error("cannot load the node key (it must be PEM without a "
                     "passphrase)",
                     tls.key);
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1)
    return tls_error("the key does not belong to the certificate " +
                         tls.certificate,
                     tls.key);
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca.c_str(), nullptr) != 1)
    return tls_error("cannot load the cluster CA", tls.ca);
  auto cert = first_certificate(tls.certificate);
  if (!cert)
    return tls_error("no certificate in", tls.certificate);
  return verify_against_ca(cert.get(), tls);
}

void configure_cluster_transport(caf::actor_system_config& cfg,
                                 const cluster_tls& tls) {
  if (!openssl_error_queue_guarded())
    spdlog::warn("cluster: this executable does not export its SSL_read and "
                 "SSL_write (actors/openssl_error_queue.hpp): a node that "
                 "breaks off may take the other nodes' connections with it");
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = tls.certificate;
  cfg.openssl_key = tls.key;
  cfg.openssl_cafile = tls.ca;
}

caf::expected<std::uint16_t>
publish_on_cluster(const caf::actor& whom, const config::listen_address& at) {
  return caf::openssl::publish(whom, at.port, at.host.c_str(), true);
}

caf::expected<caf::actor> connect_to_node(caf::actor_system& sys,
                                          const std::string& host,
                                          std::uint16_t port) {
  return caf::openssl::remote_actor(sys, host, port);
}

} // namespace racecontrol
