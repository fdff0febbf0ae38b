#include "persistence/secret_box.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

namespace racecontrol::persistence {

namespace {

constexpr std::string_view version = "v1:";
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

const std::string key_advice =
    std::string{"set "} + secret_box::key_variable +
    " to 32 random bytes in base64 (`racecontrol-migrate secrets keygen` "
    "prints one)";

std::string base64_encode(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                           static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// Strict base64 (with padding); nullopt when malformed.
std::optional<std::vector<unsigned char>> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0)
    return std::nullopt;
  std::vector<unsigned char> out(in.size() / 4 * 3);
  auto n = EVP_DecodeBlock(out.data(),
                           reinterpret_cast<const unsigned char*>(in.data()),
                           static_cast<int>(in.size()));
  if (n < 0)
    return std::nullopt;
  std::size_t padding = 0;
  if (in.back() == '=')
    padding = in[in.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string hex8_of_sha256(const unsigned char* data, std::size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)>;

cipher_ctx new_ctx() {
  return {EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
}

secret_error tampered(std::string_view id) {
  return {secret_error::kind::tampered,
          "a stored secret (key id " + std::string{id} +
              ") failed authentication: it was edited, truncated or written "
              "with a different key of the same id; store it again (e.g. "
              "re-enter the bot's client secret or relink the user)"};
}

} // namespace

secret_result<secret_box::key> secret_box::decode_key(std::string_view base64,
                                                      const char* variable) {
  auto bytes = base64_decode(base64);
  if (!bytes || bytes->size() != 32)
    return secret_error{secret_error::kind::bad_key,
                        std::string{variable} +
                            " is not 32 bytes in base64 (44 characters "
                            "ending in '='); " +
                            key_advice};
  key k;
  std::copy(bytes->begin(), bytes->end(), k.bytes.begin());
  k.id = hex8_of_sha256(k.bytes.data(), k.bytes.size());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return k;
}

secret_result<secret_box> secret_box::from_keys(std::string_view current,
                                                std::string_view old) {
  secret_box box;
  if (!current.empty()) {
    auto k = decode_key(current, key_variable);
    if (!k)
      return k.error();
    box.current_ = std::move(*k);
  }
  if (!old.empty()) {
    auto k = decode_key(old, old_key_variable);
    if (!k)
      return k.error();
    box.old_ = std::move(*k);
  }
  return box;
}

secret_result<secret_box> secret_box::from_environment() {
  auto read = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string_view{v == nullptr ? "" : v};
  };
  return from_keys(read(key_variable), read(old_key_variable));
}

std::string secret_box::generate_key() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("the system's random generator failed");
  auto out = base64_encode(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return out;
}

bool secret_box::is_sealed(std::string_view stored) {
  return stored.substr(0, version.size()) == version;
}

std::string secret_box::key_id_of(std::string_view stored) {
  if (!is_sealed(stored))
    return "";
  auto rest = stored.substr(version.size());
  return std::string{rest.substr(0, rest.find(':'))};
}

const secret_box::key* secret_box::find(std::string_view id) const {
  if (current_ && current_->id == id)
    return &*current_;
  if (old_ && old_->id == id)
    return &*old_;
  return nullptr;
}

secret_result<std::string> secret_box::seal(std::string_view plaintext) const {
  if (!current_)
    return secret_error{secret_error::kind::no_key,
                        std::string{key_variable} +
                            " is not set, so secrets cannot be stored "
                            "encrypted; " +
                            key_advice};
  std::string header = std::string{version} + current_->id;
  std::vector<unsigned char> blob(nonce_size + plaintext.size() + tag_size);
  if (RAND_bytes(blob.data(), nonce_size) != 1)
    throw std::runtime_error("the system's random generator failed");
  auto ctx = new_ctx();
  int n = 0;
  auto* out = blob.data() + nonce_size;
  bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         current_->bytes.data(), blob.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &n,
                        reinterpret_cast<const unsigned char*>(header.data()),
                        static_cast<int>(header.size())) == 1 &&
      EVP_EncryptUpdate(
          ctx.get(), out, &n,
          reinterpret_cast<const unsigned char*>(plaintext.data()),
          static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out + n, &n) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size,
                          out + plaintext.size()) == 1;
  if (!ok)
    throw std::runtime_error("OpenSSL could not encrypt with AES-256-GCM");
  return header + ":" + base64_encode(blob.data(), blob.size());
}

secret_result<std::string> secret_box::open(std::string_view stored) const {
  if (!is_sealed(stored))
    return std::string{stored}; // legacy plaintext
  auto id = key_id_of(stored);
  std::string header = std::string{version} + id;
  const key* k = find(id);
  if (k == nullptr)
    return secret_error{
        secret_error::kind::unknown_key,
        "a stored secret was encrypted with key id " + id +
            (current_ ? " but " + std::string{key_variable} + " has key id " +
                            current_->id
                      : " but " + std::string{key_variable} + " is not set") +
            "; set " + key_variable + " (or, while rotating, " +
            old_key_variable + ") to the key with id " + id};
  auto blob =
      base64_decode(stored.substr(std::min(stored.size(), header.size() + 1)));
  if (!blob || blob->size() < nonce_size + tag_size ||
      stored.size() <= header.size() || stored[header.size()] != ':')
    return tampered(id);
  std::size_t length = blob->size() - nonce_size - tag_size;
  std::string plain(length, '\0');
  auto* in = blob->data() + nonce_size;
  auto ctx = new_ctx();
  int n = 0;
  bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k->bytes.data(),
                         blob->data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n,
                        reinterpret_cast<const unsigned char*>(header.data()),
                        static_cast<int>(header.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(),
                        reinterpret_cast<unsigned char*>(plain.data()), &n, in,
                        static_cast<int>(length)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size,
                          in + length) == 1;
  int tail = 0;
  if (!ok || EVP_DecryptFinal_ex(
                 ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n,
                 &tail) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return tampered(id);
  }
  return plain;
}

std::string secret_box::seal_or_throw(std::string_view plaintext) const {
  auto r = seal(plaintext);
  if (!r)
    throw secret_failure(r.error());
  return std::move(*r);
}

std::string secret_box::open_or_throw(std::string_view stored) const {
  auto r = open(stored);
  if (!r)
    throw secret_failure(r.error());
  return std::move(*r);
}

} // namespace racecontrol::persistence
