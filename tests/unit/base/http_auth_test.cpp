// SPDX-License-Identifier: Apache-2.0
// Device access: source allow-lists, HTTP Basic (RFC 7617) and Digest (RFC 7616) as a camera
// speaks them. The client side of Digest is computed here from the RFC's formulas, not through
// the verifier.

#include "edge/base/http_auth.hpp"

#include <gtest/gtest.h>

#include "edge/base/crypto.hpp"
#include "tests/unit/edge/test_support.hpp"

namespace kordon::http {
namespace {

using testing::FakeClock;

AddressFilter filter(const std::vector<std::string>& entries) {
  auto f = AddressFilter::parse(entries);
  EXPECT_TRUE(f) << f.status().message();
  return f ? *f : AddressFilter();
}

Request pushFrom(const std::string& address, const std::string& target = "/anpr/L1") {
  Request r;
  r.method = "POST";
  r.target = target;
  r.path = target;
  r.remote_address = address;
  return r;
}

TEST(AddressFilter, MatchesAddressesAndBlocksOfBothFamilies) {
  const AddressFilter f = filter({"10.10.1.40", "10.20.0.0/16", "::1", "fd00:10::/32"});
  EXPECT_TRUE(f.allows("10.10.1.40"));
  EXPECT_FALSE(f.allows("10.10.1.41"));
  EXPECT_TRUE(f.allows("10.20.255.1"));
  EXPECT_FALSE(f.allows("10.21.0.1"));
  EXPECT_TRUE(f.allows("::1"));
  EXPECT_TRUE(f.allows("fd00:10:abcd::7"));
  EXPECT_FALSE(f.allows("fd00:11::7"));
  EXPECT_TRUE(f.allows("::ffff:10.10.1.40")) << "IPv4-mapped IPv6 is the IPv4 address";
  EXPECT_FALSE(f.allows("not an address"));
  EXPECT_FALSE(AddressFilter().allows("127.0.0.1")) << "an empty list allows nothing";
  EXPECT_TRUE(filter({"0.0.0.0/0"}).allows("192.0.2.1"));
}

TEST(AddressFilter, RefusesMalformedEntriesNamingThem) {
  auto bad = AddressFilter::parse({"10.0.0.1", "10.0.0.0/33"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "allow_from[1]: \"10.0.0.0/33\": prefix longer than 32 bits");
  EXPECT_FALSE(AddressFilter::parse({"camera.local"}));
  EXPECT_FALSE(AddressFilter::parse({"10.0.0.0/"}));
  EXPECT_FALSE(AddressFilter::parse({"10.0.0.0/x"}));
}

TEST(AuthParams, ParsesQuotedAndTokenValues) {
  auto p = parseAuthParams(
      R"(username="cam \"1\"", realm="kordon", nc=00000001, qop=auth, uri="/a?b=c,d")");
  ASSERT_TRUE(p) << p.status().message();
  EXPECT_EQ(p->at("username"), "cam \"1\"");
  EXPECT_EQ(p->at("nc"), "00000001");
  EXPECT_EQ(p->at("uri"), "/a?b=c,d");
  EXPECT_FALSE(parseAuthParams(R"(username="open)"));
  EXPECT_FALSE(parseAuthParams("username"));
  EXPECT_FALSE(parseAuthParams("a=1, a=2"));
  EXPECT_FALSE(parseAuthParams("a=1 b=2"));
  EXPECT_FALSE(parseAuthParams(std::string(5000, 'a') + "=1"));
}

TEST(DeviceAccess, AllowListAloneRefusesOtherSourcesWith403) {
  FakeClock clock;
  DeviceAccess access(filter({"10.10.1.40"}), {}, clock);
  EXPECT_TRUE(access.check(pushFrom("10.10.1.40")).allowed);
  const AccessDecision d = access.check(pushFrom("10.10.1.99"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.reason, "source 10.10.1.99 is not in allow_from");
  EXPECT_EQ(access.counters().forbidden_source, 1u);
  EXPECT_EQ(access.counters().allowed, 1u);
}

TEST(DeviceAccess, BasicChecksUserAndPassword) {
  FakeClock clock;
  DeviceAccess access(filter({"127.0.0.1"}),
                      {AuthScheme::kBasic, "kordon", "camera", "s3cret:with colon"}, clock);
  Request r = pushFrom("127.0.0.1");
  AccessDecision missing = access.check(r);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.headers.at("WWW-Authenticate"), R"(Basic realm="kordon", charset="UTF-8")");
  r.headers["authorization"] = "Basic " + base64Encode("camera:s3cret:with colon");
  EXPECT_TRUE(access.check(r).allowed);
  r.headers["authorization"] = "Basic " + base64Encode("camera:wrong");
  EXPECT_EQ(access.check(r).status, 401);
  r.headers["authorization"] = "Basic !!!";
  EXPECT_EQ(access.check(r).status, 401);
  r.headers["authorization"] = "Digest username=\"camera\"";
  EXPECT_EQ(access.check(r).status, 401) << "another scheme than the configured one";
  EXPECT_EQ(access.counters().missing_credentials, 1u);
  EXPECT_EQ(access.counters().bad_credentials, 3u);
  // The allow-list comes first: good credentials from elsewhere are still refused.
  Request elsewhere = pushFrom("10.0.0.9");
  elsewhere.headers["authorization"] = "Basic " + base64Encode("camera:s3cret:with colon");
  EXPECT_EQ(access.check(elsewhere).status, 403);
}

std::string param(const std::string& challenge, const std::string& name) {
  const auto at = challenge.find(name + "=\"");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 2;
  return challenge.substr(start, challenge.find('"', start) - start);
}

// The client side of RFC 7616 section 3.4.1, qop=auth.
std::string digestHeader(const std::string& challenge, const std::string& user,
                         const std::string& password, const std::string& method,
                         const std::string& uri, const std::string& nc,
                         const std::string& algorithm = "MD5") {
  auto h = algorithm == "MD5" ? &md5Hex : &sha256Hex;
  const std::string realm = param(challenge, "realm");
  const std::string nonce = param(challenge, "nonce");
  const std::string cnonce = "0a4f113b";
  const std::string ha1 = h(user + ":" + realm + ":" + password);
  const std::string ha2 = h(method + ":" + uri);
  const std::string response = h(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
  return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
         "\", uri=\"" + uri + "\", algorithm=" + algorithm + ", response=\"" + response +
         "\", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\"";
}

TEST(DeviceAccess, DigestMatchesTheRfc7616Example) {
  // RFC 7616 section 3.9.1: the formulas above give the RFC's response for its inputs.
  const std::string ha1 = md5Hex("Mufasa:http-auth@example.org:Circle of Life");
  const std::string ha2 = md5Hex("GET:/dir/index.html");
  EXPECT_EQ(md5Hex(ha1 + ":7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:" +
                   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:" + ha2),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DeviceAccess, DigestAcceptsTheChallengeAnsweredAndRefusesReplayAndStaleNonces) {
  FakeClock clock;
  DeviceAccess access(filter({"127.0.0.1"}), {AuthScheme::kDigest, "kordon", "cam", "pw"}, clock);
  Request r = pushFrom("127.0.0.1", "/anpr/L1?x=1");
  const AccessDecision first = access.check(r);
  ASSERT_EQ(first.status, 401);
  const std::string challenge = first.headers.at("WWW-Authenticate");
  EXPECT_EQ(challenge.rfind("Digest realm=\"kordon\", qop=\"auth\", algorithm=MD5, nonce=", 0), 0u);

  r.headers["authorization"] =
      digestHeader(challenge, "cam", "pw", "POST", "/anpr/L1?x=1", "00000001");
  EXPECT_TRUE(access.check(r).allowed);
  const AccessDecision replay = access.check(r);
  EXPECT_EQ(replay.status, 401) << "the same nc again is a replay";
  EXPECT_EQ(access.counters().replayed, 1u);
  r.headers["authorization"] =
      digestHeader(challenge, "cam", "pw", "POST", "/anpr/L1?x=1", "00000002");
  EXPECT_TRUE(access.check(r).allowed) << "the next nc on the same nonce";
  r.headers["authorization"] =
      digestHeader(challenge, "cam", "pw", "POST", "/anpr/L1?x=1", "00000003", "SHA-256");
  EXPECT_TRUE(access.check(r).allowed) << "SHA-256 responses are accepted too";

  r.headers["authorization"] =
      digestHeader(challenge, "cam", "wrong", "POST", "/anpr/L1?x=1", "00000004");
  EXPECT_EQ(access.check(r).status, 401);
  r.headers["authorization"] = digestHeader(challenge, "cam", "pw", "POST", "/anpr/L2", "00000005");
  EXPECT_EQ(access.check(r).status, 401) << "the uri must be the request's";
  r.headers["authorization"] =
      digestHeader(challenge, "cam", "pw", "GET", "/anpr/L1?x=1", "00000006");
  EXPECT_EQ(access.check(r).status, 401) << "the method is part of the hash";

  // A nonce this server never issued.
  std::string forged = challenge;
  forged.replace(forged.find("nonce=\"") + 7, 1, "f");
  r.headers["authorization"] =
      digestHeader(forged, "cam", "pw", "POST", "/anpr/L1?x=1", "00000007");
  EXPECT_EQ(access.check(r).status, 401);

  clock.advance(kNonceLifetime + std::chrono::seconds(1));
  r.headers["authorization"] =
      digestHeader(challenge, "cam", "pw", "POST", "/anpr/L1?x=1", "00000008");
  const AccessDecision stale = access.check(r);
  EXPECT_EQ(stale.status, 401);
  EXPECT_NE(stale.headers.at("WWW-Authenticate").find("stale=true"), std::string::npos);
  EXPECT_EQ(access.counters().stale_nonce, 1u);
  r.headers["authorization"] = digestHeader(stale.headers.at("WWW-Authenticate"), "cam", "pw",
                                            "POST", "/anpr/L1?x=1", "00000001");
  EXPECT_TRUE(access.check(r).allowed) << "the fresh nonce from the stale answer works";
}

}  // namespace
}  // namespace kordon::http
