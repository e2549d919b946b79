// SPDX-License-Identifier: Apache-2.0
#include "edge/base/crypto.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kordon {

namespace {

std::string toHex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xF]);
  }
  return out;
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return toHex(digest.data(), len);
}

std::string md5Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_md5(), nullptr);
  return toHex(digest.data(), len);
}

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &len);
  return toHex(digest.data(), len);
}

std::string randomHex(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    // Without the CSPRNG there is no safe secret: fail loudly rather than make a weak one.
    std::fprintf(stderr, "kordon: RAND_bytes failed; cannot make a secret\n");
    std::abort();
  }
  return toHex(reinterpret_cast<const unsigned char*>(bytes.data()), count);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
            kAlphabet[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

Result<std::string> base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return Status::error("base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return Status::error("base64: data after padding");
      v[k] = value(c);
      if (v[k] < 0) return Status::error("base64: invalid character");
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) |
                          (static_cast<unsigned>(v[1]) << 12) | (static_cast<unsigned>(v[2]) << 6) |
                          static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>((bits >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(bits & 0xFF));
  }
  return out;
}

std::string newUuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // The kernel CSPRNG failing is not recoverable for security, but ids only need uniqueness.
    std::random_device rd;
    for (auto& byte : b) byte = static_cast<unsigned char>(rd());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  char buf[37];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Ed25519

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

constexpr std::size_t kSignatureBytes = 64;

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::error(path + ": read failed");
  return text.str();
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Status requireEd25519(const PkeyPtr& key, const char* what) {
  if (!key) return Status::error(std::string("not a PEM ") + what);
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::error(std::string(what) + " is not an Ed25519 key");
  }
  return Status::ok();
}

}  // namespace

// Each key keeps a context initialised once with it: sign() and verify() copy it instead of
// initialising a new one, which in OpenSSL 3 means an algorithm fetch per call and cost three
// times the signature itself (kordon-bench-sync, docs/BENCHMARKS.md).
struct SigningKey::Impl {
  PkeyPtr key;
  MdCtxPtr prepared;
};

struct VerifyKey::Impl {
  PkeyPtr key;
  MdCtxPtr prepared;
};

namespace {

// A context ready for one-shot EVP_DigestSign (sign) or EVP_DigestVerify (!sign) with `key`.
MdCtxPtr prepareContext(EVP_PKEY* key, bool sign) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // Ed25519 hashes internally: no digest is named, and the message is signed in one call.
  const int rc = !ctx   ? 0
                 : sign ? EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key)
                        : EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key);
  if (rc != 1) std::abort();  // cannot fail with a valid Ed25519 key but for allocation failure
  return ctx;
}

// A fresh copy of a prepared context: a one-shot call consumes its context.
MdCtxPtr copyContext(const MdCtxPtr& prepared) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), prepared.get()) != 1) std::abort();
  return ctx;
}

}  // namespace

Result<SigningKey> SigningKey::fromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status::error("out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (Status s = requireEd25519(key, "private key"); !s) return s;
  auto impl = std::make_shared<Impl>();
  impl->key = std::move(key);
  impl->prepared = prepareContext(impl->key.get(), true);
  return SigningKey(std::move(impl));
}

Result<SigningKey> SigningKey::load(const std::string& path) {
  auto pem = readFile(path);
  if (!pem) return pem.status();
  auto key = fromPem(*pem);
  if (!key) return key.status().withContext(path);
  return key;
}

SigningKey SigningKey::generate() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (raw == nullptr) std::abort();  // only on allocation failure: nothing sensible to do
  auto impl = std::make_shared<Impl>();
  impl->key.reset(raw);
  impl->prepared = prepareContext(impl->key.get(), true);
  return SigningKey(std::move(impl));
}

Result<SigningKey> SigningKey::loadOrCreate(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return load(path);
  if (errno != ENOENT) return Status::error(path + ": " + std::strerror(errno));
  SigningKey key = generate();
  // Written to a temporary name first, so a crash never leaves half a key under `path`.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error(tmp + ": " + std::strerror(errno));
  const std::string pem = key.privatePem();
  const bool written =
      ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status::error(path + ": cannot write the new key: " + error);
  }
  std::ofstream pub(path + ".pub", std::ios::binary | std::ios::trunc);
  pub << key.publicPem();
  if (!pub) return Status::error(path + ".pub: cannot write");
  return key;
}

std::string SigningKey::sign(std::string_view message) const {
  std::array<unsigned char, kSignatureBytes> signature{};
  std::size_t size = signature.size();
  MdCtxPtr ctx = copyContext(impl_->prepared);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    std::abort();  // cannot fail with a valid Ed25519 key but for allocation failure
  }
  return toHex(signature.data(), size);
}

std::string SigningKey::privatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bioText(bio.get());
}

std::string SigningKey::publicPem() const { return VerifyKey::of(*this).publicPem(); }

Result<VerifyKey> VerifyKey::fromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status::error("out of memory");
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (Status s = requireEd25519(key, "public key"); !s) return s;
  auto impl = std::make_shared<Impl>();
  impl->key = std::move(key);
  impl->prepared = prepareContext(impl->key.get(), false);
  return VerifyKey(std::move(impl));
}

Result<VerifyKey> VerifyKey::load(const std::string& path) {
  auto pem = readFile(path);
  if (!pem) return pem.status();
  auto key = fromPem(*pem);
  if (!key) return key.status().withContext(path);
  return key;
}

VerifyKey VerifyKey::of(const SigningKey& key) {
  std::array<unsigned char, 32> raw{};
  std::size_t size = raw.size();
  EVP_PKEY_get_raw_public_key(key.impl_->key.get(), raw.data(), &size);
  auto impl = std::make_shared<Impl>();
  impl->key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), size));
  if (!impl->key) std::abort();
  impl->prepared = prepareContext(impl->key.get(), false);
  return VerifyKey(std::move(impl));
}

bool VerifyKey::verify(std::string_view message, std::string_view signature_hex) const {
  if (signature_hex.size() != kSignatureBytes * 2) return false;
  std::array<unsigned char, kSignatureBytes> signature{};
  for (std::size_t i = 0; i < signature.size(); ++i) {
    const int hi = hexDigit(signature_hex[2 * i]);
    const int lo = hexDigit(signature_hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    signature[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  MdCtxPtr ctx = copyContext(impl_->prepared);
  const bool ok =
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string VerifyKey::publicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), impl_->key.get());
  return bioText(bio.get());
}

}  // namespace kordon
