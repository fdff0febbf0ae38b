#include "actors/openssl_error_queue.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace {

using read_function = int (*)(SSL*, void*, int);
using write_function = int (*)(SSL*, const void*, int);

/// libssl's own definition: the next one after this executable's.
template <class F>
F libssl(const char* name) {
  void* found = dlvsym(RTLD_NEXT, name, "OPENSSL_3.0.0");
  if (found == nullptr)
    found = dlsym(RTLD_NEXT, name);
  if (found == nullptr) {
    // No TLS without it; nothing sensible to fall back on.
    std::fprintf(stderr, "racecontrol: libssl has no %s: %s\n", name,
                 dlerror());
    std::abort();
  }
  return reinterpret_cast<F>(found);
}

} // namespace

extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto next = libssl<read_function>("SSL_read");
  ERR_clear_error();
  return next(ssl, buf, num);
}

extern "C" int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto next = libssl<write_function>("SSL_write");
  ERR_clear_error();
  return next(ssl, buf, num);
}

namespace racecontrol {

bool openssl_error_queue_guarded() {
  return dlsym(RTLD_DEFAULT, "SSL_read") ==
             reinterpret_cast<void*>(&SSL_read) &&
         dlsym(RTLD_DEFAULT, "SSL_write") ==
             reinterpret_cast<void*>(&SSL_write);
}

} // namespace racecontrol
