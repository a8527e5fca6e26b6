#include <catch2/catch.hpp>

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "retention/retention.hpp"

using namespace cairn;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kSec = 1'000'000'000LL;

// Seconds since the epoch by libc's timegm: independent of the code under test.
std::int64_t utc(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') FAIL("bad time in the case table: " << text);
  return static_cast<std::int64_t>(::timegm(&tm)) * kSec;
}

// A name's bytes followed by zeros: ids order like names.
hash::SetId id_of(const std::string& name) {
  REQUIRE(name.size() <= 32);
  hash::SetId id;
  std::memcpy(id.d.b.data(), name.data(), name.size());
  return id;
}

struct Expect {
  std::string name;
  bool keep = false;
  std::string reason;
};

struct Case {
  std::string name;
  std::int64_t now = 0;
  std::string policy;
  std::vector<retention::SetInfo> sets;
  std::vector<std::string> names;  // by position in sets
  std::vector<Expect> expect;
};

struct Table {
  std::vector<Case> cases;
  std::vector<std::string> lines;  // the file, for CAIRN_UPDATE_GOLDEN
};

fs::path table_file() { return fs::path(CAIRN_SOURCE_DIR) / "tests/unit/retention/cases.txt"; }

std::string rest_after(const std::string& line, std::size_t words) {
  std::size_t pos = 0;
  for (std::size_t w = 0; w < words; ++w) {
    pos = line.find(' ', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  return line.substr(pos);
}

Table load_table() {
  std::ifstream in(table_file());
  REQUIRE(in.good());
  Table t;
  std::string line;
  bool in_policy = false;
  while (std::getline(in, line)) {
    t.lines.push_back(line);
    if (in_policy) {
      if (line == "end")
        in_policy = false;
      else
        t.cases.back().policy += line + "\n";
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (word == "case") {
      t.cases.push_back(Case{rest_after(line, 1), 0, {}, {}, {}, {}});
      continue;
    }
    REQUIRE(!t.cases.empty());
    Case& c = t.cases.back();
    if (word == "now") {
      std::string when;
      words >> when;
      c.now = utc(when);
    } else if (word == "policy") {
      in_policy = true;
    } else if (word == "set") {
      std::string name, when, source, klass, kind;
      words >> name >> when >> source >> klass >> kind;
      retention::SetInfo s;
      s.id = id_of(name);
      s.time_ns = utc(when);
      s.source = source;
      s.retention_class = klass;
      if (kind == "full")
        s.kind = model::SetKind::full;
      else if (kind == "diff")
        s.kind = model::SetKind::differential;
      else if (kind == "incr")
        s.kind = model::SetKind::incremental;
      else
        FAIL("bad kind in: " << line);
      std::string opt;
      while (words >> opt) {
        if (opt.rfind("parent=", 0) == 0) {
          s.parent = id_of(opt.substr(7));
        } else if (opt.rfind("hold=", 0) == 0) {
          s.legal_hold = true;
          s.hold_reason = line.substr(line.find("hold=") + 5);
          break;
        } else {
          FAIL("bad option in: " << line);
        }
      }
      c.sets.push_back(s);
      c.names.push_back(name);
    } else if (word == "expect") {
      std::string name, verdict;
      words >> name >> verdict;
      REQUIRE((verdict == "keep" || verdict == "drop"));
      c.expect.push_back(Expect{name, verdict == "keep", rest_after(line, 3)});
    } else {
      FAIL("unknown line in the case table: " << line);
    }
  }
  return t;
}

// The decisions of one case as "NAME keep|drop REASON", with 12-hex id prefixes replaced by
// the names they stand for.
std::vector<Expect> run(const Case& c, bool reversed = false) {
  auto pol = policy::parse(c.policy, c.name);
  if (!pol) FAIL("policy of case '" << c.name << "': " << pol.error().message);
  std::vector<retention::SetInfo> input = c.sets;
  if (reversed) std::reverse(input.begin(), input.end());
  const auto decisions = retention::apply(input, *pol, c.now);
  REQUIRE(decisions.size() == input.size());
  std::map<std::string, std::string> name_of_prefix;
  std::map<hash::SetId, std::string> name_of;
  for (std::size_t i = 0; i < c.sets.size(); ++i) {
    name_of_prefix[c.sets[i].id.hex().substr(0, 12)] = c.names[i];
    name_of[c.sets[i].id] = c.names[i];
  }
  std::map<std::string, Expect> by_name;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    REQUIRE(d.id == input[i].id);  // one decision per set, in input order
    std::string reason = d.reason;
    for (const auto& [prefix, name] : name_of_prefix)
      for (auto p = reason.find(prefix); p != std::string::npos; p = reason.find(prefix))
        reason.replace(p, prefix.size(), name);
    by_name[name_of[d.id]] = Expect{name_of[d.id], d.keep, reason};
  }
  std::vector<Expect> out;
  for (const auto& n : c.names) out.push_back(by_name[n]);
  return out;
}

std::string show(const Expect& e) { return e.name + (e.keep ? " keep " : " drop ") + e.reason; }

// Rewrites each case's block of expect lines (in place) from the code's output.
void update_golden(const Table& t) {
  std::ofstream out(table_file(), std::ios::trunc);
  int current = -1, emitted = -1;
  for (const auto& line : t.lines) {
    if (line.rfind("case ", 0) == 0) ++current;
    if (line.rfind("expect ", 0) == 0) {
      if (emitted != current)
        for (const auto& e : run(t.cases[static_cast<std::size_t>(current)]))
          out << "expect " << show(e) << "\n";
      emitted = current;
      continue;
    }
    out << line << "\n";
  }
}

}  // namespace

TEST_CASE("retention::apply: the case table", "[retention]") {
  const Table t = load_table();
  REQUIRE(t.cases.size() >= 14);
  if (const char* u = std::getenv("CAIRN_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    update_golden(t);
    WARN("rewrote " << table_file().string());
    return;
  }
  for (const auto& c : t.cases) {
    INFO("case: " << c.name);
    REQUIRE(c.expect.size() == c.sets.size());
    const auto got = run(c);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(show(got[i]) == show(c.expect[i]));
  }
}

TEST_CASE("retention::apply: the result does not depend on the order of the input", "[retention]") {
  for (const auto& c : load_table().cases) {
    INFO("case: " << c.name);
    const auto a = run(c), b = run(c, /*reversed=*/true);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(show(a[i]) == show(b[i]));
  }
}

TEST_CASE("retention::apply: the process time zone changes nothing", "[retention]") {
  const Table t = load_table();
  std::vector<std::vector<Expect>> in_utc;
  for (const auto& c : t.cases) in_utc.push_back(run(c));
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  for (const char* zone : {"America/New_York", "Europe/Berlin", "Australia/Lord_Howe"}) {
    ::setenv("TZ", zone, 1);
    ::tzset();
    for (std::size_t i = 0; i < t.cases.size(); ++i) {
      INFO("zone " << zone << ", case " << t.cases[i].name);
      const auto got = run(t.cases[i]);
      for (std::size_t j = 0; j < got.size(); ++j) CHECK(show(got[j]) == show(in_utc[i][j]));
    }
  }
  if (old)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

TEST_CASE("retention::apply: no sets, no decisions; one set of a class with rules is kept",
          "[retention]") {
  auto pol = policy::parse("[class.daily]\nkeep-daily = 1\n", "t");
  REQUIRE(pol);
  CHECK(retention::apply({}, *pol, 0).empty());
  retention::SetInfo s;
  s.id = id_of("only");
  s.source = "app";
  s.retention_class = "daily";
  s.time_ns = utc("2025-03-01T00:00:00Z");
  const auto d = retention::apply({s}, *pol, utc("2030-01-01T00:00:00Z"));
  REQUIRE(d.size() == 1);
  CHECK(d[0].keep);
  CHECK(d[0].reason == "daily 2025-03-01");
}

TEST_CASE("retention::apply: the newest set of a group is kept by any rule with a count",
          "[retention]") {
  for (const char* rule :
       {"keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"}) {
    auto pol = policy::parse(std::string("[class.c]\n") + rule + " = 1\n", "t");
    REQUIRE(pol);
    std::vector<retention::SetInfo> sets;
    for (int i = 0; i < 50; ++i) {
      retention::SetInfo s;
      s.id = id_of("s" + std::to_string(i));
      s.source = "app";
      s.retention_class = "c";
      s.time_ns = utc("2020-01-01T00:00:00Z") + static_cast<std::int64_t>(i) * 7919 * 3600 * kSec;
      sets.push_back(s);
    }
    const auto d = retention::apply(sets, *pol, utc("2099-01-01T00:00:00Z"));
    INFO(rule);
    CHECK(d.back().keep);
    CHECK(std::count_if(d.begin(), d.end(), [](const auto& x) { return x.keep; }) == 1);
  }
}

TEST_CASE("retention::apply: newest is the highest seq, not the latest claimed time",
          "[retention]") {
  // Set "b" was written after "a" (seq 2) by a host whose clock was a day behind: keep-last
  // = 1 keeps it. With equal seqs (two hosts at once) the later time decides.
  auto pol = policy::parse("[class.c]\nkeep-last = 1\n", "t");
  REQUIRE(pol);
  const std::int64_t t = utc("2026-12-06T03:00:00Z");
  const auto set = [&](const char* name, std::int64_t time_ns, std::uint64_t seq) {
    retention::SetInfo s;
    s.id = id_of(name);
    s.source = "app";
    s.retention_class = "c";
    s.time_ns = time_ns;
    s.seq = seq;
    return s;
  };
  auto d = retention::apply({set("a", t, 1), set("b", t - 86400 * kSec, 2)}, *pol, t);
  REQUIRE(d.size() == 2);
  CHECK(!d[0].keep);
  CHECK(d[1].keep);
  CHECK(d[1].reason == "last #1");
  d = retention::apply({set("a", t, 3), set("b", t - 3600 * kSec, 3)}, *pol, t);
  REQUIRE(d.size() == 2);
  CHECK(d[0].keep);
  CHECK(!d[1].keep);
}

TEST_CASE("retention::labels: UTC calendar labels", "[retention]") {
  CHECK(retention::day_label(utc("2024-02-29T23:59:59Z")) == "2024-02-29");
  CHECK(retention::day_label(utc("2100-03-01T00:00:00Z") - kSec) ==
        "2100-02-28");  // 2100 is no leap year
  CHECK(retention::day_label(utc("2000-03-01T00:00:00Z") - kSec) == "2000-02-29");  // 2000 is one
  CHECK(retention::day_label(utc("1969-12-31T23:59:59Z")) == "1969-12-31");
  CHECK(retention::hour_label(utc("1969-12-31T23:59:59Z")) == "1969-12-31T23");
  CHECK(retention::hour_label(utc("2025-11-02T06:30:00Z")) == "2025-11-02T06");
  CHECK(retention::week_label(utc("2021-01-03T12:00:00Z")) == "2020-W53");
  CHECK(retention::week_label(utc("2021-01-04T00:00:00Z")) == "2021-W01");
  CHECK(retention::week_label(utc("2024-12-30T00:00:00Z")) == "2025-W01");
  CHECK(retention::week_label(utc("1970-01-01T00:00:00Z")) == "1970-W01");
  CHECK(retention::week_label(utc("1969-12-28T00:00:00Z")) == "1969-W52");
  CHECK(retention::month_label(utc("2024-02-29T12:00:00Z")) == "2024-02");
  CHECK(retention::year_label(utc("2024-12-31T23:59:59Z")) == "2024");
}

TEST_CASE("retention::apply: a pinned set is kept with its reason and keeps its full set",
          "[retention]") {
  auto pol = policy::parse("[class.daily]\nkeep-last = 1\n", "t");
  REQUIRE(pol);
  retention::SetInfo f, d, n;
  f.id = id_of("f");
  d.id = id_of("d");
  n.id = id_of("n");
  for (auto* s : {&f, &d, &n}) {
    s->source = "app";
    s->retention_class = "daily";
  }
  f.time_ns = utc("2025-03-01T00:00:00Z");
  d.time_ns = utc("2025-03-02T00:00:00Z");
  n.time_ns = utc("2025-03-03T00:00:00Z");
  d.kind = model::SetKind::differential;
  d.parent = f.id;
  d.pinned = "not in the catalog";
  const auto out = retention::apply({f, d, n}, *pol, utc("2025-04-01T00:00:00Z"));
  CHECK(out[0] == retention::Decision{f.id, true, "needed by " + d.id.hex().substr(0, 12)});
  CHECK(out[1] == retention::Decision{d.id, true, "not in the catalog"});
  CHECK(out[2] == retention::Decision{n.id, true, "last #1"});
}
