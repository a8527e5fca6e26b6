// S3 request signing, listing parsing and failure handling. No S3 server: the signing is
// checked against published AWS and botocore results, failures against a loopback fake.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "backend/remote.hpp"
#include "backend/s3/s3.hpp"
#include "backend/s3/sigv4.hpp"
#include "fake_server.hpp"
#include "net/http.hpp"

using namespace cairn;
using namespace cairn::backend;
using cairn::test::FakeServer;

namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

RemoteOptions fast_options(const std::string& endpoint) {
  RemoteOptions o;
  o.aws_access_key_id = "AKIDEXAMPLE";
  o.aws_secret_access_key = SecretString("secret");
  o.s3_endpoint = endpoint;
  o.retry.attempts = 3;
  o.retry.first_delay = std::chrono::milliseconds(5);
  o.connect_timeout = std::chrono::milliseconds(2000);
  return o;
}

const Key kIndex = Key::index(std::string(64, 'a'));

}  // namespace

TEST_CASE("backend::s3::sign_v4: matches the AWS documentation's GET Object example", "[backend]") {
  // docs.aws.amazon.com, "Signature Calculations for the Authorization Header", Example: GET
  // Object.
  s3::SignInput in;
  in.method = "GET";
  in.canonical_uri = "/test.txt";
  in.canonical_query = "";
  in.headers = {{"host", "examplebucket.s3.amazonaws.com"},
                {"range", "bytes=0-9"},
                {"x-amz-content-sha256", kEmptySha256},
                {"x-amz-date", "20130524T000000Z"}};
  in.payload_hash = kEmptySha256;
  in.amz_date = "20130524T000000Z";
  in.region = "us-east-1";
  in.access_key = "AKIAIOSFODNN7EXAMPLE";
  in.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const auto sig = s3::sign_v4(in);
  CHECK(sig.signed_headers == "host;range;x-amz-content-sha256;x-amz-date");
  CHECK(sig.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(sig.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("backend::s3::sign_v4: a listing query signs as botocore signs it", "[backend]") {
  // Reference: botocore 1.29 S3SigV4Auth on GET /cairn-test/?list-type=2&prefix=p%2Fpacks%2F
  // &continuation-token=a%2Bb%3D%3D%20c (parameters given out of order on purpose).
  const std::string query = s3::canonical_query(
      {{"list-type", "2"}, {"prefix", "p/packs/"}, {"continuation-token", "a+b== c"}});
  CHECK(query == "continuation-token=a%2Bb%3D%3D%20c&list-type=2&prefix=p%2Fpacks%2F");
  s3::SignInput in;
  in.method = "GET";
  in.canonical_uri = "/cairn-test/";
  in.canonical_query = query;
  in.headers = {{"x-amz-date", "20261126T055916Z"},  // order does not matter; names are lower-cased
                {"Host", "127.0.0.1:19000"},
                {"x-amz-content-sha256", kEmptySha256}};
  in.payload_hash = kEmptySha256;
  in.amz_date = "20261126T055916Z";
  in.region = "us-east-1";
  in.access_key = "cairn-test-key";
  in.secret_key = "cairn-test-secret";
  const auto sig = s3::sign_v4(in);
  CHECK(sig.signature == "ecee2fec11d8ce2017dccaf13aff4e6aa3aeab1564defc25324960d98f063348");
  // A different secret must give a different signature.
  in.secret_key = "cairn-test-secreT";
  CHECK(s3::sign_v4(in).signature != sig.signature);
}

TEST_CASE("backend::s3::canonical_query: sorts, encodes and keeps empty values", "[backend]") {
  CHECK(s3::canonical_query({}) == "");
  CHECK(s3::canonical_query({{"uploads", ""}}) == "uploads=");
  CHECK(s3::canonical_query({{"uploadId", "x~y_z.-"}, {"partNumber", "10"}}) ==
        "partNumber=10&uploadId=x~y_z.-");
  CHECK(s3::canonical_query({{"b", "1"}, {"a", "2"}, {"a", "1"}}) == "a=1&a=2&b=1");
  CHECK(s3::canonical_query({{"k", "\xc3\xa9/+*"}}) == "k=%C3%A9%2F%2B%2A");
}

TEST_CASE("backend::s3::parse_list: keys, sizes, escapes and continuation", "[backend]") {
  const std::string page1 =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p/index/</Prefix>"
      "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
      "<Contents><Key>p/index/aa</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>p/a&amp;b&#x41;&#66;</Key><Size>0</Size></Contents>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "</ListBucketResult>";
  auto p = s3::parse_list(page1);
  REQUIRE(p);
  REQUIRE(p->objects.size() == 2);
  CHECK(p->objects[0] == std::pair<std::string, std::uint64_t>{"p/index/aa", 123});
  CHECK(p->objects[1] == std::pair<std::string, std::uint64_t>{"p/a&bAB", 0});
  REQUIRE(p->next_token);
  CHECK(*p->next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  auto last =
      s3::parse_list("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  REQUIRE(last);
  CHECK(last->objects.empty());
  CHECK_FALSE(last->next_token);

  CHECK_FALSE(s3::parse_list("<Error><Code>AccessDenied</Code></Error>"));
  CHECK_FALSE(s3::parse_list(
      "<ListBucketResult><Contents><Key>x</Key><Size>-1</Size></Contents></ListBucketResult>"));
  CHECK_FALSE(
      s3::parse_list("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"));
}

TEST_CASE("backend::s3::part_size_for: at least 5 MiB and at most 10000 parts", "[backend]") {
  CHECK(s3::part_size_for(100ull << 20, 16ull << 20) == 16ull << 20);
  CHECK(s3::part_size_for(100ull << 20, 1ull << 20) == s3::kMinPartSize);
  const std::uint64_t huge = 1ull << 40;  // 1 TiB
  const std::uint64_t part = s3::part_size_for(huge, 16ull << 20);
  CHECK((huge + part - 1) / part <= s3::kMaxParts);
}

TEST_CASE("backend::S3: a refused connection is a network error after the retries", "[backend]") {
  const auto port = FakeServer::closed_port();
  auto be = open_url("s3://bucket/p", fast_options(fmt::format("http://127.0.0.1:{}", port)));
  REQUIRE(be);
  auto st = (*be)->stat(kIndex);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::network);
  CHECK_THAT(st.error().message, Catch::Contains("tried 3 times"));
  CHECK_THAT(st.error().message, Catch::Contains("s3://bucket/p/index/"));
}

TEST_CASE("backend::S3: a connection dropped before the answer is retried, then reported",
          "[backend]") {
  FakeServer server([](int, const std::string&) { return std::string(); });  // accept, then hang up
  auto be =
      open_url("s3://bucket", fast_options(fmt::format("http://127.0.0.1:{}", server.port())));
  REQUIRE(be);
  auto g = (*be)->get(kIndex);
  REQUIRE_FALSE(g);
  CHECK(g.error().code == Errc::network);
  CHECK(server.connections() == 3);
}

TEST_CASE("backend::S3: 503 is retried and a later success is returned", "[backend]") {
  std::string seen;
  FakeServer server([&](int n, const std::string& req) -> std::string {
    if (n <= 2) return "HTTP/1.1 503 Slow Down\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    seen = req;
    return "HTTP/1.1 200 OK\r\nContent-Length: 4242\r\nConnection: close\r\n\r\n";
  });
  auto be =
      open_url("s3://bucket/pre", fast_options(fmt::format("http://127.0.0.1:{}", server.port())));
  REQUIRE(be);
  auto st = (*be)->stat(kIndex);
  REQUIRE(st);
  REQUIRE(st->has_value());
  CHECK((*st)->size == 4242);
  CHECK(server.connections() == 3);
  // What went over the wire: path-style HEAD, signed, with the payload hash header.
  CHECK_THAT(seen,
             Catch::StartsWith("HEAD /bucket/pre/index/" + std::string(64, 'a') + " HTTP/1.1\r\n"));
  CHECK_THAT(seen, Catch::Contains("x-amz-content-sha256: " + std::string(kEmptySha256)));
  CHECK_THAT(seen, Catch::Contains("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
}

TEST_CASE("backend::S3: a session token goes out as x-amz-security-token, signed", "[backend]") {
  std::string seen;
  FakeServer server([&](int, const std::string& req) -> std::string {
    seen = req;
    return "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\n";
  });
  RemoteOptions o = fast_options(fmt::format("http://127.0.0.1:{}", server.port()));
  o.aws_session_token = SecretString("token-from-the-profile");
  auto be = open_url("s3://bucket/pre", o);
  REQUIRE(be);
  REQUIRE((*be)->stat(kIndex));
  CHECK_THAT(seen, Catch::Contains("x-amz-security-token: token-from-the-profile\r\n"));
  const auto signed_at = seen.find("SignedHeaders=");
  REQUIRE(signed_at != std::string::npos);
  CHECK(
      seen.substr(signed_at, seen.find(',', signed_at) - signed_at).find("x-amz-security-token") !=
      std::string::npos);
}

TEST_CASE("backend::S3: HTTP statuses map to auth, not_found and network", "[backend]") {
  int status = 403;
  FakeServer server([&](int, const std::string&) {
    const std::string body =
        "<Error><Code>SignatureDoesNotMatch</Code><Message>no match</Message></Error>";
    return fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
                       body.size(), body);
  });
  auto o = fast_options(fmt::format("http://127.0.0.1:{}", server.port()));
  o.retry.attempts = 2;
  auto be = open_url("s3://bucket", o);
  REQUIRE(be);
  auto g = (*be)->get(kIndex);
  REQUIRE_FALSE(g);
  CHECK(g.error().code == Errc::auth);
  CHECK_THAT(g.error().message, Catch::Contains("403 SignatureDoesNotMatch: no match"));
  status = 404;
  g = (*be)->get(kIndex);
  REQUIRE_FALSE(g);
  CHECK(g.error().code == Errc::not_found);
  CHECK((*be)->remove(kIndex));  // absent is fine
  status = 500;
  const int before = server.connections();
  g = (*be)->get(kIndex);
  REQUIRE_FALSE(g);
  CHECK(g.error().code == Errc::network);
  CHECK(server.connections() - before == 2);
}

TEST_CASE("backend::S3: invalid names never reach the server", "[backend]") {
  FakeServer server([](int, const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  auto be =
      open_url("s3://bucket", fast_options(fmt::format("http://127.0.0.1:{}", server.port())));
  REQUIRE(be);
  const Key bad = Key::pack("../../x");
  CHECK_FALSE((*be)->put(bad, as_bytes("x")));
  CHECK_FALSE((*be)->get(bad));
  CHECK_FALSE((*be)->stat(bad));
  CHECK_FALSE((*be)->remove(bad));
  CHECK(server.connections() == 0);
}

TEST_CASE("backend::S3: put_file uploads when write-only credentials may not stat", "[backend]") {
  std::vector<std::string> methods;
  FakeServer server([&](int, const std::string& req) -> std::string {
    methods.push_back(req.substr(0, req.find(' ')));
    if (methods.back() == "HEAD")
      return "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  });
  char tmpl[] = "/tmp/cairn-s3-test-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "pack", 4) == 4);
  ::close(fd);
  auto be =
      open_url("s3://bucket", fast_options(fmt::format("http://127.0.0.1:{}", server.port())));
  REQUIRE(be);
  auto st = (*be)->put_file(Key::pack(std::string(64, 'c')), tmpl);
  ::unlink(tmpl);
  REQUIRE(st);
  CHECK(methods == std::vector<std::string>{"HEAD", "PUT"});
}

TEST_CASE("backend::s3::upload_headers: lock and storage class on content-addressed kinds only",
          "[backend]") {
  s3::Config c;
  auto none = s3::upload_headers(c, Kind::pack);
  REQUIRE(none);
  CHECK(none->empty());
  c.storage_class = "STANDARD_IA";
  c.retain_until = 1798761600;  // 2027-01-01T00:00:00Z
  c.object_lock_mode = "governance";
  for (Kind k : {Kind::pack, Kind::index, Kind::set}) {
    auto h = s3::upload_headers(c, k);
    REQUIRE(h);
    CHECK(*h == std::vector<std::pair<std::string, std::string>>{
                    {"x-amz-storage-class", "STANDARD_IA"},
                    {"x-amz-object-lock-mode", "GOVERNANCE"},
                    {"x-amz-object-lock-retain-until-date", "2027-01-01T00:00:00Z"}});
  }
  for (Kind k : {Kind::config, Kind::key}) {
    auto h = s3::upload_headers(c, k);
    REQUIRE(h);
    CHECK(h->empty());
  }
  c.object_lock_mode = "forever";
  auto bad = s3::upload_headers(c, Kind::pack);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);
}

TEST_CASE("backend::S3: an upload carries the Object Lock headers, signed", "[backend]") {
  std::string seen;
  FakeServer server([&](int, const std::string& req) -> std::string {
    if (req.starts_with("PUT ")) seen = req;
    if (req.starts_with("HEAD ")) return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  });
  auto o = fast_options(fmt::format("http://127.0.0.1:{}", server.port()));
  o.s3_retain_until = 1798761600;
  o.s3_storage_class = "GLACIER_IR";
  auto be = open_url("s3://bucket", o);
  REQUIRE(be);
  REQUIRE((*be)->put(kIndex, as_bytes("index bytes")));
  CHECK_THAT(seen, Catch::Contains("x-amz-object-lock-mode: COMPLIANCE\r\n"));
  CHECK_THAT(seen,
             Catch::Contains("x-amz-object-lock-retain-until-date: 2027-01-01T00:00:00Z\r\n"));
  CHECK_THAT(seen, Catch::Contains("x-amz-storage-class: GLACIER_IR\r\n"));
  CHECK_THAT(seen, Catch::Contains("content-md5: "));
  CHECK_THAT(seen,
             Catch::Contains(
                 "x-amz-object-lock-mode;x-amz-object-lock-retain-until-date;x-amz-storage-class"));
}
