// SPDX-License-Identifier: Apache-2.0
#include "edge/base/crypto.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "edge/msg/event.hpp"
#include "edge/msg/signed_json.hpp"

#include <sys/stat.h>

namespace kordon {
namespace {

TEST(Ed25519, SignatureVerifiesOnlyForItsMessageAndKey) {
  const SigningKey key = SigningKey::generate();
  const VerifyKey pub = VerifyKey::of(key);
  const std::string sig = key.sign("hello");
  EXPECT_EQ(sig.size(), 128u);
  EXPECT_TRUE(pub.verify("hello", sig));
  EXPECT_FALSE(pub.verify("hellp", sig));
  EXPECT_FALSE(VerifyKey::of(SigningKey::generate()).verify("hello", sig));
  std::string flipped = sig;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  EXPECT_FALSE(pub.verify("hello", flipped));
  EXPECT_FALSE(pub.verify("hello", "zz"));
  EXPECT_FALSE(pub.verify("hello", std::string(128, 'g')));
}

TEST(Ed25519, KeysRoundTripThroughPem) {
  const SigningKey key = SigningKey::generate();
  auto again = SigningKey::fromPem(key.privatePem());
  ASSERT_TRUE(again.isOk()) << again.status().message();
  auto pub = VerifyKey::fromPem(key.publicPem());
  ASSERT_TRUE(pub.isOk()) << pub.status().message();
  EXPECT_TRUE(pub->verify("m", again->sign("m")));
  EXPECT_EQ(pub->publicPem(), key.publicPem());
}

TEST(Ed25519, RefusesOtherKeysAndGarbage) {
  EXPECT_FALSE(SigningKey::fromPem("not a key").isOk());
  EXPECT_FALSE(VerifyKey::fromPem("").isOk());
  // A public key where a private one is expected.
  EXPECT_FALSE(SigningKey::fromPem(SigningKey::generate().publicPem()).isOk());
  auto missing = SigningKey::load("/nonexistent/kordon.key");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("/nonexistent/kordon.key"), std::string::npos);
}

TEST(Ed25519, LoadOrCreateWritesAPrivateKeyOnceAndKeepsIt) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kordon-crypto-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "post.key").string();
  auto first = SigningKey::loadOrCreate(path);
  ASSERT_TRUE(first.isOk()) << first.status().message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pub = VerifyKey::load(path + ".pub");
  ASSERT_TRUE(pub.isOk()) << pub.status().message();
  auto second = SigningKey::loadOrCreate(path);
  ASSERT_TRUE(second.isOk());
  EXPECT_TRUE(pub->verify("x", second->sign("x")));
  std::filesystem::remove_all(dir);
}

TEST(SignedJson, DetectsAnyChangeAndAMissingSignature) {
  const SigningKey central = SigningKey::generate();
  const VerifyKey pub = VerifyKey::of(central);
  nlohmann::json cmd = {{"schema", "kordon.backfill/1"}, {"from", 3}, {"to", 9}};
  EXPECT_FALSE(msg::verifyJson(cmd, pub).isOk());
  msg::signJson(cmd, central);
  EXPECT_TRUE(msg::verifyJson(cmd, pub).isOk());
  // Key order on the wire does not matter: the signature covers the canonical form.
  EXPECT_TRUE(msg::verifyJson(nlohmann::json::parse(cmd.dump(2)), pub).isOk());
  nlohmann::json changed = cmd;
  changed["to"] = 10;
  EXPECT_FALSE(msg::verifyJson(changed, pub).isOk());
  EXPECT_FALSE(msg::verifyJson(cmd, VerifyKey::of(SigningKey::generate())).isOk());
}

TEST(EventSignature, CoversEveryFieldThroughTheHash) {
  const SigningKey key = SigningKey::generate();
  msg::Event e;
  e.post = "KZ-TEST";
  e.seq = 7;
  e.id = newUuid();
  e.type = "passage.decided";
  e.time_ms = 1795602300123;
  e.prev_hash = msg::kGenesisHash;
  e.payload = {{"corridor", "green"}};
  e.hash = msg::computeEventHash(e);
  msg::signEvent(e, key);
  auto parsed = msg::parseEvent(nlohmann::json::parse(msg::toWireString(e)));
  ASSERT_TRUE(parsed.isOk()) << parsed.status().message();
  EXPECT_EQ(parsed->sig, e.sig);
  EXPECT_EQ(msg::computeEventHash(*parsed), e.hash) << "the signature is outside the hash";
  EXPECT_TRUE(msg::verifyEventSignature(*parsed, VerifyKey::of(key)));
  EXPECT_FALSE(msg::verifyEventSignature(*parsed, VerifyKey::of(SigningKey::generate())));
  // An attacker who edits the payload must recompute the hash, and then the signature fails.
  parsed->payload["corridor"] = "red";
  parsed->hash = msg::computeEventHash(*parsed);
  EXPECT_FALSE(msg::verifyEventSignature(*parsed, VerifyKey::of(key)));
  // sealEvent gives the same hash, signature and wire form in one pass.
  msg::Event sealed = e;
  sealed.hash.clear();
  sealed.sig.clear();
  const std::string wire = msg::sealEvent(sealed, &key);
  EXPECT_EQ(sealed.hash, e.hash);
  EXPECT_EQ(sealed.sig, e.sig);
  EXPECT_EQ(wire, msg::toWireString(e));
  nlohmann::json bad = nlohmann::json::parse(msg::toWireString(e));
  bad["sig"] = "abc";
  EXPECT_FALSE(msg::parseEvent(bad).isOk());
}

}  // namespace
}  // namespace kordon
