// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hashing, identifiers and signatures through OpenSSL's libcrypto: SHA-256 for the event hash
// chain and for content-addressed evidence, random UUIDv4 for event and passage ids, and
// Ed25519 for proving which post wrote an event and that central wrote a command.
//
// Keys live in PEM files: a private key as PKCS#8 ("-----BEGIN PRIVATE KEY-----", what
// `openssl genpkey -algorithm ed25519` writes), a public key as SubjectPublicKeyInfo
// ("-----BEGIN PUBLIC KEY-----", `openssl pkey -pubout`). Signatures travel as 128 lower-case
// hex digits.

#include <memory>
#include <string>
#include <string_view>

#include "edge/base/status.hpp"

namespace kordon {

std::string sha256Hex(std::string_view data);  // 64 lower-case hex digits
std::string md5Hex(std::string_view data);     // 32 lower-case hex digits (HTTP Digest only)
std::string hmacSha256Hex(std::string_view key, std::string_view data);
std::string newUuid();  // RFC 4122 version 4, lower-case
// `count` bytes from the kernel's CSPRNG as 2*count lower-case hex digits: secrets, tokens.
std::string randomHex(std::size_t count);
// Compares without an early exit, so the time taken says nothing about where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);
// RFC 4648 section 4 (standard alphabet, '=' padding). Decoding refuses anything else.
std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);

// An Ed25519 private key. Cheap to copy (shared, immutable); safe to use from any thread.
class SigningKey {
 public:
  // Reads a PKCS#8 PEM private key; refuses any algorithm but Ed25519.
  static Result<SigningKey> load(const std::string& path);
  // Loads `path`, or when it does not exist generates a key and writes it there with mode 0600
  // (the daemon's first start on a new box). The public key goes beside it as `path`.pub.
  static Result<SigningKey> loadOrCreate(const std::string& path);
  static SigningKey generate();
  static Result<SigningKey> fromPem(const std::string& pem);

  std::string sign(std::string_view message) const;  // 128 hex digits
  std::string privatePem() const;
  std::string publicPem() const;

 private:
  struct Impl;
  friend class VerifyKey;
  explicit SigningKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// An Ed25519 public key. Cheap to copy; safe to use from any thread.
class VerifyKey {
 public:
  static Result<VerifyKey> load(const std::string& path);
  static Result<VerifyKey> fromPem(const std::string& pem);
  static VerifyKey of(const SigningKey& key);

  // False for a wrong signature, and for anything that is not 128 hex digits.
  bool verify(std::string_view message, std::string_view signature_hex) const;
  std::string publicPem() const;

 private:
  struct Impl;
  explicit VerifyKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kordon
