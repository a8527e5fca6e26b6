// net: the retry decorator over a Transport, the one libcurl result classification, dates.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "net/easy.hpp"
#include "net/http.hpp"

using namespace cairn;
using namespace cairn::net;

namespace {

// Answers each perform with the next of `script` (the last one again when they run out).
class Scripted final : public Transport {
 public:
  explicit Scripted(std::vector<Result<Response>> script, int* calls)
      : script_(std::move(script)), calls_(calls) {}
  Result<Response> perform(const Request&, std::string_view) override {
    const std::size_t i =
        std::min<std::size_t>(static_cast<std::size_t>((*calls_)++), script_.size() - 1);
    return script_[i];
  }

 private:
  std::vector<Result<Response>> script_;
  int* calls_;
};

Response status(long s) {
  Response r;
  r.status = s;
  return r;
}

RetryPolicy fast(unsigned attempts) {
  return RetryPolicy{attempts, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
}

}  // namespace

TEST_CASE("net::Retrying: network failures and HTTP 408/429/5xx are tried again, until one answers",
          "[net]") {
  int calls = 0;
  Retrying r(std::make_unique<Scripted>(
                 std::vector<Result<Response>>{Error{Errc::network, "x: refused"}, status(503),
                                               status(429), status(200)},
                 &calls),
             fast(5));
  auto res = r.perform(Request{}, "x");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(calls == 4);
}

TEST_CASE("net::Retrying: the last network failure says how many tries it took", "[net]") {
  int calls = 0;
  Retrying r(std::make_unique<Scripted>(
                 std::vector<Result<Response>>{Error{Errc::network, "x: refused"}}, &calls),
             fast(3));
  auto res = r.perform(Request{}, "x");
  REQUIRE(!res);
  CHECK(res.error().code == Errc::network);
  CHECK(res.error().message == "x: refused (tried 3 times)");
  CHECK(calls == 3);
}

TEST_CASE("net::Retrying: other answers and errors come back at once", "[net]") {
  for (auto first : {Result<Response>(status(404)), Result<Response>(status(200)),
                     Result<Response>(status(0)), Result<Response>(Error{Errc::auth, "x: denied"}),
                     Result<Response>(Error{Errc::io, "x: read"})}) {
    int calls = 0;
    Retrying r(
        std::make_unique<Scripted>(std::vector<Result<Response>>{first, status(200)}, &calls),
        fast(5));
    auto res = r.perform(Request{}, "x");
    CHECK(calls == 1);
    CHECK(static_cast<bool>(res) == static_cast<bool>(first));
  }
}

TEST_CASE("net::Retrying: a 5xx still failing after the last try is the answer", "[net]") {
  int calls = 0;
  Retrying r(std::make_unique<Scripted>(std::vector<Result<Response>>{status(500)}, &calls),
             fast(2));
  auto res = r.perform(Request{}, "x");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(calls == 2);
}

TEST_CASE("net::classify: one reading of libcurl results", "[net]") {
  CHECK(classify(CURLE_OK, false) == Outcome::ok);
  CHECK(classify(CURLE_COULDNT_CONNECT, false) == Outcome::transient);
  CHECK(classify(CURLE_OPERATION_TIMEDOUT, true) == Outcome::transient);
  CHECK(classify(CURLE_USE_SSL_FAILED, false) == Outcome::transient);
  CHECK(classify(CURLE_FAILED_INIT, true) == Outcome::transient);
  CHECK(classify(CURLE_FAILED_INIT, false) == Outcome::failed);
  CHECK(classify(CURLE_LOGIN_DENIED, false) == Outcome::auth);
  CHECK(classify(CURLE_PEER_FAILED_VERIFICATION, true) == Outcome::auth);
  CHECK(classify(CURLE_REMOTE_FILE_NOT_FOUND, true) == Outcome::result);
  CHECK(classify(CURLE_WRITE_ERROR, false) == Outcome::failed);
}
