#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/log.hpp"
#include "cli/progress.hpp"
#include "scratch.hpp"

using namespace cairn::cli;
using cairn::Errc;
using cairn::Error;

namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(s.substr(start));  // a partial last line
  return out;
}

// A file opened for appending, as stderr redirected to a log file is.
struct LogFile {
  cairn::test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "err.log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ~LogFile() { ::close(fd); }
  std::string text() const { return cairn::test::slurp(path); }
};

}  // namespace

TEST_CASE("cli::parse_log_format: text or json, nothing else", "[cli]") {
  CHECK(parse_log_format("text") == LogFormat::text);
  CHECK(parse_log_format("json") == LogFormat::json);
  CHECK_FALSE(parse_log_format("JSON"));
  CHECK_FALSE(parse_log_format(""));
  CHECK_FALSE(parse_log_format("xml"));
}

TEST_CASE("cli::valid_utf8: each stray byte becomes U+FFFD, valid text is kept", "[cli]") {
  CHECK(valid_utf8("plain ascii") == "plain ascii");
  CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(valid_utf8("a\xFF"
                   "b") ==
        "a\xEF\xBF\xBD"
        "b");
  // a sequence cut short, an overlong form, a surrogate: every byte replaced
  CHECK(valid_utf8("x\xE2\x82") == "x\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(cairn::is_utf8(valid_utf8("\x80\xBF\xFE\xFF tail \xC3")));
}

TEST_CASE("cli::format_time_ms: RFC 3339 UTC with milliseconds", "[cli]") {
  CHECK(format_time_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time_ms(1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123Z");
  CHECK(format_time_ms(1'700'000'000'999'999'999) == "2023-11-14T22:13:20.999Z");
}

TEST_CASE("cli::json_log_line: fixed keys first, then the fields in order", "[cli]") {
  LogRecord r{LogLevel::warning, "warning", "unused text", "a/\xFF: \"bad\"\nline",
              path_fields("a/\xFF")};
  r.fields.push_back({"count", std::uint64_t{18446744073709551615ull}});
  r.fields.push_back({"exit_code", std::int64_t{-3}});
  const std::string line = json_log_line("cairn-snap", r, 1'700'000'000'123'000'000);
  CHECK(line == R"({"time":"2023-11-14T22:13:20.123Z","tool":"cairn-snap","level":"warning",)"
                R"("event":"warning","msg":"a/)"
                "\xEF\xBF\xBD"
                R"(: \"bad\"\nline","path":"a/)"
                "\xEF\xBF\xBD"
                R"(","path_b64":"YS//","count":18446744073709551615,"exit_code":-3})");
  const auto j = nlohmann::json::parse(line);  // throws if it is not JSON
  CHECK(j["level"] == "warning");
  CHECK(j["count"].get<std::uint64_t>() == 18446744073709551615ull);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("cli::Log: text writes the text line, json the record", "[cli]") {
  LogFile f;
  Log log("cairn-x", f.fd);
  const LogRecord r{
      LogLevel::error, "error", "cairn-x: error: no", "no", {{"exit_code", std::int64_t{1}}}};
  log.write(r);
  log.set_format(LogFormat::json);
  log.write(r);
  const auto l = split_lines(f.text());
  REQUIRE(l.size() == 2);
  CHECK(l[0] == "cairn-x: error: no");
  const auto j = nlohmann::json::parse(l[1]);
  CHECK(j["tool"] == "cairn-x");
  CHECK(j["level"] == "error");
  CHECK(j["event"] == "error");
  CHECK(j["msg"] == "no");
  CHECK(j["exit_code"] == 1);
  CHECK(j["time"].get<std::string>().size() == 24);  // 2026-12-07T03:41:08.123Z
}

TEST_CASE("cli::plain_record: a line without an event is a message without the tool", "[cli]") {
  const LogRecord r = plain_record("cairn", "cairn: mount: ready");
  CHECK(r.event == "message");
  CHECK(r.level == LogLevel::info);
  CHECK(r.msg == "mount: ready");
  CHECK(plain_record("cairn", "cairnx: other").msg == "cairnx: other");
}

TEST_CASE("cli::Reporter: json warnings and -v lines are records; text is unchanged", "[cli]") {
  LogFile f;
  Log log("cairn-test", f.fd, LogFormat::json);
  {
    Reporter r(log, true, nullptr, nullptr);
    r.warning("etc/shadow", Error{Errc::io, "cannot open 'etc/shadow': Permission denied"});
    r.warning("", Error{Errc::io, "no path"});
    r.info("opened repository");
    r.finish(3);
  }
  const auto l = split_lines(f.text());
  REQUIRE(l.size() == 3);
  const auto w = nlohmann::json::parse(l[0]);
  CHECK(w["level"] == "warning");
  CHECK(w["event"] == "warning");
  CHECK(w["path"] == "etc/shadow");
  CHECK(w["msg"] == "etc/shadow: cannot open 'etc/shadow': Permission denied");
  const auto n = nlohmann::json::parse(l[1]);
  CHECK(n["msg"] == "no path");
  CHECK_FALSE(n.contains("path"));
  const auto v = nlohmann::json::parse(l[2]);
  CHECK(v["level"] == "info");
  CHECK(v["event"] == "verbose");
  CHECK(v["msg"] == "opened repository");
}

TEST_CASE("cli::Reporter: warnings from many threads are whole lines, one record each", "[cli]") {
  constexpr int kThreads = 8, kEach = 250;
  LogFile f;
  Log log("cairn-test", f.fd, LogFormat::json);
  {
    Reporter r(log, false, nullptr, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&r, t] {
        // long messages: a torn write would show as a broken line
        const std::string pad(300, static_cast<char>('a' + t));
        for (int i = 0; i < kEach; ++i)
          r.warning("t" + std::to_string(t) + "/f" + std::to_string(i),
                    Error{Errc::io, pad + std::to_string(i)});
      });
    for (auto& th : threads) th.join();
    CHECK(r.warnings() == kThreads * kEach);
  }
  const std::string text = f.text();
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  const auto l = split_lines(text);
  REQUIRE(l.size() == static_cast<std::size_t>(kThreads * kEach));
  std::vector<int> seen(kThreads, 0);
  for (const auto& line : l) {
    const auto j = nlohmann::json::parse(line);
    const std::string path = j["path"];
    const int t = path[1] - '0';
    REQUIRE((t >= 0 && t < kThreads));
    ++seen[static_cast<std::size_t>(t)];
    CHECK(j["msg"].get<std::string>().starts_with(path + ": " +
                                                  std::string(300, static_cast<char>('a' + t))));
  }
  for (int t = 0; t < kThreads; ++t) CHECK(seen[static_cast<std::size_t>(t)] == kEach);
}
