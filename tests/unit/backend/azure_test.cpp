// Azure SharedKey signing (against scripts/services/azure_sign.py, an independent reference),
// connection strings, listing parsing and credential resolution. No Azure server.
#include <chrono>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "backend/azure/azure.hpp"
#include "backend/azure/sharedkey.hpp"
#include "backend/remote.hpp"
#include "fake_server.hpp"

using namespace cairn;
using namespace cairn::backend;
using cairn::test::FakeServer;

namespace {

constexpr const char* kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

Bytes dev_key() { return *from_base64(kDevKey); }

}  // namespace

TEST_CASE("backend::azure::authorization: a block upload signs as the reference signer does",
          "[backend]") {
  // azure_sign.sign("PUT", URL, headers, "devstoreaccount1", KEY, now=1700000000)
  azure::SignInput in;
  in.method = "PUT";
  in.account = "devstoreaccount1";
  in.path = "/devstoreaccount1/cairn-test/p/keys/abc";
  in.query = "comp=block&blockid=YWJj%2BZA%3D%3D";
  in.headers = {{"content-length", "5"},
                {"content-md5", "XUFAKrxLKna5cZ2REBfFkg=="},
                {"x-ms-blob-type", "BlockBlob"},
                {"if-none-match", "*"},
                {"x-ms-date", "Tue, 14 Nov 2023 22:13:20 GMT"},
                {"x-ms-version", "2021-12-02"}};
  auto text = azure::string_to_sign(in);
  REQUIRE(text);
  CHECK(
      *text ==
      "PUT\n\n\n5\nXUFAKrxLKna5cZ2REBfFkg==\n\n\n\n\n*\n\n\n"
      "x-ms-blob-type:BlockBlob\nx-ms-date:Tue, 14 Nov 2023 22:13:20 GMT\nx-ms-version:2021-12-02\n"
      "/devstoreaccount1/devstoreaccount1/cairn-test/p/keys/abc\nblockid:YWJj+ZA==\ncomp:block");
  auto auth = azure::authorization(in, dev_key());
  REQUIRE(auth);
  CHECK(*auth == "SharedKey devstoreaccount1:btQhhK7EgfaroloueOws7gSq2/chwdJiUeQvWbAbNOI=");
}

TEST_CASE("backend::azure::authorization: a listing with a range header", "[backend]") {
  azure::SignInput in;
  in.method = "GET";
  in.account = "devstoreaccount1";
  in.path = "/devstoreaccount1/cairn-test";
  in.query = "restype=container&comp=list&prefix=p%2Fpacks%2F";
  in.headers = {{"x-ms-range", "bytes=0-9"},
                {"X-Ms-Date", "Tue, 14 Nov 2023 22:13:20 GMT"},
                {"x-ms-version", "2021-12-02"}};
  auto auth = azure::authorization(in, dev_key());
  REQUIRE(auth);
  CHECK(*auth == "SharedKey devstoreaccount1:6Q3NhIkSDR6u6tXUO8yzN249UuZ+q7d1qDn6ONyYsDM=");
  in.headers[0].second = "bytes=0-10";  // any signed header changes the signature
  CHECK(*azure::authorization(in, dev_key()) != *auth);
  in.query = "restype=container&comp=list&prefix=p%2";
  CHECK_FALSE(azure::string_to_sign(in));
}

TEST_CASE("backend::azure::string_to_sign: an empty body signs an empty Content-Length",
          "[backend]") {
  azure::SignInput in;
  in.method = "PUT";
  in.account = "a";
  in.path = "/c/b";
  in.headers = {{"content-length", "0"}};
  auto text = azure::string_to_sign(in);
  REQUIRE(text);
  CHECK(*text == "PUT\n\n\n\n\n\n\n\n\n\n\n\n/a/c/b");
}

TEST_CASE("backend::azure::parse_connection_string: names, values with '=', errors", "[backend]") {
  auto cs = azure::parse_connection_string(
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=abc==;"
      "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=?sv=1&sig=x%3D;");
  REQUIRE(cs);
  CHECK(cs->account == "devstoreaccount1");
  CHECK(cs->key.reveal() == "abc==");
  CHECK(cs->sas.reveal() == "sv=1&sig=x%3D");
  CHECK(cs->blob_endpoint == "http://127.0.0.1:10000/devstoreaccount1");
  CHECK(cs->protocol == "http");
  auto bad = azure::parse_connection_string("AccountName");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);
  CHECK_FALSE(azure::parse_connection_string("DefaultEndpointsProtocol=ftp"));
}

TEST_CASE("backend::azure::resolve_credentials: key, connection string, SAS and endpoint",
          "[backend]") {
  RemoteOptions o;
  azure::Config c;
  c.account = "acct";
  auto none = azure::resolve_credentials(o, c);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::auth);

  o.azure_key = SecretString("a2V5");
  REQUIRE(azure::resolve_credentials(o, c));
  CHECK(c.key.reveal() == "a2V5");
  CHECK(c.endpoint == "https://acct.blob.core.windows.net");

  // A key for another account is not used for this one.
  azure::Config other;
  other.account = "other";
  o.azure_account = "acct";
  CHECK_FALSE(azure::resolve_credentials(o, other));
  o.azure_connection_string = SecretString(
      "AccountName=other;AccountKey=b3RoZXI=;DefaultEndpointsProtocol=http;EndpointSuffix=example."
      "net");
  REQUIRE(azure::resolve_credentials(o, other));
  CHECK(other.key.reveal() == "b3RoZXI=");
  CHECK(other.endpoint == "http://other.blob.example.net");

  azure::Config sas;
  sas.account = "acct";
  RemoteOptions so;
  so.azure_sas_token = SecretString("?sv=2021&sig=abc");
  so.azure_endpoint = "http://127.0.0.1:1/acct";
  REQUIRE(azure::resolve_credentials(so, sas));
  CHECK(sas.key.empty());
  CHECK(sas.sas.reveal() == "sv=2021&sig=abc");
  CHECK(sas.endpoint == "http://127.0.0.1:1/acct");
}

TEST_CASE("backend::azure::parse_list: names, sizes and the next marker", "[backend]") {
  const std::string xml =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"http://x/\" "
      "ContainerName=\"c\"><Prefix>p/</Prefix><Blobs><Blob><Name>p/keys/ab</Name><Properties>"
      "<Creation-Time>Tue, 14 Nov 2023 22:13:20 "
      "GMT</Creation-Time><Content-Length>77</Content-Length>"
      "<Content-Type>application/octet-stream</Content-Type></Properties></Blob>"
      "<Blob><Name>p/&lt;odd&gt;</Name><Properties><Content-Length>0</Content-Length></"
      "Properties></Blob>"
      "</Blobs><NextMarker>2!96!MDAwMDE=</NextMarker></EnumerationResults>";
  auto p = azure::parse_list(xml);
  REQUIRE(p);
  REQUIRE(p->blobs.size() == 2);
  CHECK(p->blobs[0] == std::pair<std::string, std::uint64_t>{"p/keys/ab", 77});
  CHECK(p->blobs[1] == std::pair<std::string, std::uint64_t>{"p/<odd>", 0});
  CHECK(p->next_marker == std::optional<std::string>("2!96!MDAwMDE="));
  auto last = azure::parse_list("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
  REQUIRE(last);
  CHECK(last->blobs.empty());
  CHECK_FALSE(last->next_marker);
  CHECK_FALSE(azure::parse_list("<Error><Code>AuthenticationFailed</Code></Error>"));
}

TEST_CASE("backend::Azure: sends Content-MD5 and SharedKey, maps 403 to auth", "[backend]") {
  std::string seen;
  FakeServer server([&](int, const std::string& req) {
    seen = req;
    const std::string body =
        "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to "
        "authenticate "
        "the request.\nRequestId:1</Message></Error>";
    return fmt::format("HTTP/1.1 403 X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                       body.size(), body);
  });
  RemoteOptions o;
  o.azure_key = SecretString(kDevKey);
  o.azure_endpoint = fmt::format("http://127.0.0.1:{}/devstoreaccount1", server.port());
  o.retry.first_delay = std::chrono::milliseconds(1);
  auto be = open_url("azure://devstoreaccount1/cairn-test/pre", o);
  REQUIRE(be);
  const Key k = Key::slot(std::string(32, 'b'));
  auto st = (*be)->put(k, as_bytes("hello"));
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::auth);
  CHECK_THAT(st.error().message,
             Catch::Contains("403 AuthenticationFailed: Server failed to authenticate"));
  CHECK_THAT(st.error().message, !Catch::Contains("RequestId"));
  CHECK(server.connections() == 1);  // 403 is not retried
  CHECK_THAT(seen, Catch::StartsWith("PUT /devstoreaccount1/cairn-test/pre/keys/" +
                                     std::string(32, 'b') + " HTTP/1.1"));
  CHECK_THAT(seen, Catch::Contains("content-md5: XUFAKrxLKna5cZ2REBfFkg==\r\n"));  // MD5("hello")
  CHECK_THAT(seen, Catch::Contains("x-ms-blob-type: BlockBlob\r\n"));
  CHECK_THAT(seen, Catch::Contains("Authorization: SharedKey devstoreaccount1:"));
}

TEST_CASE("backend::Azure: a refused connection is a network error after the retries",
          "[backend]") {
  RemoteOptions o;
  o.azure_key = SecretString(kDevKey);
  o.azure_endpoint = fmt::format("http://127.0.0.1:{}/devstoreaccount1", FakeServer::closed_port());
  o.retry.first_delay = std::chrono::milliseconds(1);
  o.retry.attempts = 3;
  auto be = open_url("azure://devstoreaccount1/cairn-test", o);
  REQUIRE(be);
  int calls = 0;
  auto st = (*be)->list(Kind::index, [&](const ObjectInfo&) -> Status {
    ++calls;
    return {};
  });
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::network);
  CHECK_THAT(st.error().message, Catch::Contains("tried 3 times"));
  CHECK(calls == 0);
}
