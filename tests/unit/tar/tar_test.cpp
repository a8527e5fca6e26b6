#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "base/tempdir.hpp"
#include "tar/tar.hpp"

using namespace cairn;
namespace fs = std::filesystem;
using manifest::Type;

namespace {

struct Scratch {
  TempDir tmp = TempDir::create("cairn-tar-").value();
  fs::path dir = tmp.path();
};

void write(const fs::path& p, std::string_view s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Collect final : Observer {
  std::vector<std::pair<std::string, std::string>> warnings;
  void warning(std::string_view path, const Error& e) override {
    warnings.emplace_back(path, e.message);
  }
};

struct Member {
  manifest::Entry e;
  std::string content;
};

Result<std::vector<Member>> read_tar(io::Reader& in, Collect& obs) {
  CAIRN_TRY_ASSIGN(auto r, tar::Reader::open(in, "test"));
  std::vector<Member> out;
  Bytes buf(4096);
  for (;;) {
    Member m;
    CAIRN_TRY_ASSIGN(bool more, r->next(m.e, obs));
    if (!more) break;
    for (;;) {
      CAIRN_TRY_ASSIGN(std::size_t n, r->read(buf));
      if (n == 0) break;
      m.content.append(as_chars(ByteView(buf.data(), n)));
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<Member>> read_tar_file(const fs::path& p, Collect& obs) {
  auto data = slurp(p);
  io::MemReader in(as_bytes(data));
  return read_tar(in, obs);
}

const Member* find(const std::vector<Member>& v, std::string_view path) {
  for (const auto& m : v)
    if (m.e.path == path) return &m;
  return nullptr;
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

TEST_CASE("tar::normalize_path: strips ./ and /, refuses ..", "[tar]") {
  CHECK(*tar::normalize_path("./a/b") == "a/b");
  CHECK(*tar::normalize_path("/etc/passwd") == "etc/passwd");
  CHECK(*tar::normalize_path("//a//b/./c/") == "a/b/c");
  CHECK(*tar::normalize_path("./") == ".");
  CHECK(*tar::normalize_path(".") == ".");
  CHECK(*tar::normalize_path("a..b/..c") == "a..b/..c");
  CHECK_FALSE(tar::normalize_path("../x"));
  CHECK_FALSE(tar::normalize_path("a/../../x"));
  CHECK_FALSE(tar::normalize_path("a/.."));
}

TEST_CASE("tar::Reader: reads a GNU tar archive into entries and content", "[tar]") {
  Scratch s;
  fs::path src = s.dir / "src";
  fs::create_directories(src / "dir" / "empty-dir");
  write(src / "dir" / "hello.txt", "hello\nworld\n");
  write(src / "empty", "");
  std::string big(300000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  write(src / "big.bin", big);
  write(src / "tab\there", "tab");
  write(src / "\xe6\x97\xa5\xe6\x9c\xac", "unicode");
  fs::create_symlink("dir/hello.txt", src / "link");
  fs::create_hard_link(src / "dir" / "hello.txt", src / "hard");
  REQUIRE(::mkfifo((src / "fifo").c_str(), 0600) == 0);
  REQUIRE(::chmod((src / "big.bin").c_str(), 04751) == 0);
  REQUIRE(::truncate((src / "empty").c_str(), 0) == 0);
  struct timespec ts[2] = {{1600000000, 0}, {1600000000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (src / "empty").c_str(), ts, 0) == 0);

  REQUIRE(sh(fmt::format("tar -C '{}' -cf '{}' . 2>/dev/null", src.string(),
                         (s.dir / "gnu.tar").string())) == 0);
  Collect obs;
  auto r = read_tar_file(s.dir / "gnu.tar", obs);
  REQUIRE(r);
  CHECK(obs.warnings.empty());
  const auto* root = find(*r, ".");
  REQUIRE(root);
  CHECK(root->e.type == Type::dir);
  const auto* hello = find(*r, "dir/hello.txt");
  const auto* hard = find(*r, "hard");
  REQUIRE(hello);
  REQUIRE(hard);
  // GNU tar stores the second name of a hard-linked file as a link to the first it archived.
  const Member* first = hello;
  const Member* second = hard;
  if (hello->e.type == Type::hardlink) std::swap(first, second);
  CHECK(first->e.type == Type::file);
  CHECK(first->e.inline_content);
  CHECK(first->content == "hello\nworld\n");
  CHECK(second->e.type == Type::hardlink);
  CHECK(second->e.link == first->e.path);
  CHECK_FALSE(second->e.inline_content);
  const auto* bigm = find(*r, "big.bin");
  REQUIRE(bigm);
  CHECK(bigm->content == big);
  CHECK(bigm->e.size == big.size());
  CHECK(bigm->e.mode == 04751);
  CHECK(bigm->e.uid == ::geteuid());
  const auto* empty = find(*r, "empty");
  REQUIRE(empty);
  CHECK(empty->e.type == Type::file);
  CHECK(empty->content.empty());
  CHECK(empty->e.mtime_ns == 1600000000000000000);
  CHECK(find(*r, "tab\there")->content == "tab");
  REQUIRE(find(*r, "\xe6\x97\xa5\xe6\x9c\xac"));
  CHECK(find(*r, "\xe6\x97\xa5\xe6\x9c\xac")->content == "unicode");
  CHECK(find(*r, "link")->e.type == Type::symlink);
  CHECK(find(*r, "link")->e.target == "dir/hello.txt");
  CHECK(find(*r, "fifo")->e.type == Type::fifo);
  CHECK(find(*r, "dir/empty-dir")->e.type == Type::dir);
  for (const auto& m : *r) {
    INFO(m.e.path);
    CHECK(manifest::check_path(m.e.path));
  }
}

TEST_CASE("tar::Reader: reads compressed pax archives with xattrs and sparse files", "[tar]") {
  Scratch s;
  fs::path src = s.dir / "src";
  fs::create_directories(src);
  write(src / "a.txt", "alpha");
  bool xattr = ::setxattr((src / "a.txt").c_str(), "user.tag", "t1", 2, 0) == 0;
  {
    std::ofstream f(src / "sparse", std::ios::binary);
    f.seekp(1 << 20);
    f << "end";
  }
  REQUIRE(sh(fmt::format(
              "tar --format=pax --xattrs --sparse -C '{}' -czf '{}' a.txt sparse 2>/dev/null",
              src.string(), (s.dir / "pax.tgz").string())) == 0);
  Collect obs;
  auto r = read_tar_file(s.dir / "pax.tgz", obs);
  REQUIRE(r);
  const auto* a = find(*r, "a.txt");
  REQUIRE(a);
  CHECK(a->content == "alpha");
  if (xattr) {
    REQUIRE(a->e.xattrs.size() == 1);
    CHECK(a->e.xattrs[0].name == "user.tag");
    CHECK(a->e.xattrs[0].value == Bytes{'t', '1'});
  }
  const auto* sp = find(*r, "sparse");
  REQUIRE(sp);
  CHECK(sp->e.sparse);
  REQUIRE(sp->content.size() == (1u << 20) + 3);
  CHECK(sp->content.substr(0, 1u << 20) == std::string(1u << 20, '\0'));  // holes read as zeros
  CHECK(sp->content.substr(1u << 20) == "end");
}

TEST_CASE("tar::Reader: skips '..' members and dangling hard links with a warning", "[tar]") {
  Scratch s;
  fs::create_directories(s.dir / "work" / "sub");
  write(s.dir / "work" / "victim", "x");
  write(s.dir / "work" / "sub" / "ok", "ok");
  // -P keeps "../victim" as the member name.
  REQUIRE(sh(fmt::format("cd '{}' && tar -cPf ../evil.tar ../victim ok 2>/dev/null",
                         (s.dir / "work" / "sub").string())) == 0);
  Collect obs;
  auto r = read_tar_file(s.dir / "work" / "evil.tar", obs);
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].e.path == "ok");
  REQUIRE(obs.warnings.size() == 1);
  CHECK(obs.warnings[0].second.find("'..'") != std::string::npos);
}

TEST_CASE("tar::Reader: refuses data that is not an archive, and truncated archives", "[tar]") {
  Collect obs;
  std::string junk(2000, 'j');
  io::MemReader in(as_bytes(junk));
  auto r = read_tar(in, obs);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_input);

  io::MemReader nothing(ByteView{});
  auto e = read_tar(nothing, obs);
  REQUIRE_FALSE(e);
  CHECK(e.error().message == "tar stream on test is empty");

  Scratch s;
  write(s.dir / "f", std::string(50000, 'f'));
  REQUIRE(sh(fmt::format("tar -C '{}' -cf '{}' f", s.dir.string(), (s.dir / "t.tar").string())) ==
          0);
  auto data = slurp(s.dir / "t.tar");
  io::MemReader cut(as_bytes(std::string_view(data).substr(0, 20000)));
  auto t = read_tar(cut, obs);
  CHECK_FALSE(t);
}

TEST_CASE("tar::Writer: writes a pax stream that GNU tar extracts and our reader reads back",
          "[tar]") {
  io::StringWriter out;
  auto w = tar::Writer::open(out);
  REQUIRE(w);
  auto entry = [](std::string path, Type t, std::uint32_t mode) {
    manifest::Entry e;
    e.path = std::move(path);
    e.type = t;
    e.mode = mode;
    e.uid = 1000;
    e.gid = 1000;
    e.user = "nobody-in-particular";
    e.mtime_ns = 1600000000123456789;
    return e;
  };
  REQUIRE((*w)->add(entry(".", Type::dir, 0755)));
  REQUIRE((*w)->add(entry("d", Type::dir, 0700)));
  auto f = entry("d/file\nwith newline", Type::file, 0640);
  std::string content(100000, 'c');
  f.size = content.size();
  f.xattrs = {manifest::Xattr{"user.k", Bytes{'v'}}};
  REQUIRE((*w)->add(f));
  REQUIRE((*w)->data(as_bytes(content).first(1)));
  REQUIRE((*w)->data(as_bytes(content).subspan(1)));
  auto longname = entry(std::string(120, 'L') + "/" + std::string(200, 'n'), Type::file, 0600);
  longname.size = 2;
  REQUIRE((*w)->add(entry(std::string(120, 'L'), Type::dir, 0755)));
  REQUIRE((*w)->add(longname));
  REQUIRE((*w)->data(as_bytes("ok")));
  auto l = entry("d/link", Type::symlink, 0777);
  l.target = "file\nwith newline";
  REQUIRE((*w)->add(l));
  auto h = entry("d/hard", Type::hardlink, 0640);
  h.link = "d/file\nwith newline";
  REQUIRE((*w)->add(h));
  REQUIRE((*w)->add(entry("d/fifo", Type::fifo, 0600)));
  // Names that are UTF-8 and names that are not keep their bytes.
  auto uni = entry(std::string(110, 'u') + "-\xe6\x97\xa5\xe6\x9c\xac", Type::file, 0600);
  uni.size = 1;
  REQUIRE((*w)->add(uni));
  REQUIRE((*w)->data(as_bytes("u")));
  auto latin = entry(std::string(110, 'l') + "-\xe9\xff", Type::file, 0600);
  latin.size = 1;
  REQUIRE((*w)->add(latin));
  REQUIRE((*w)->data(as_bytes("l")));
  auto sock = (*w)->add(entry("d/sock", Type::socket, 0600));
  REQUIRE_FALSE(sock);
  CHECK(sock.error().code == Errc::unimplemented);
  auto short_file = entry("short", Type::file, 0600);
  short_file.size = 10;
  REQUIRE((*w)->add(short_file));
  CHECK_FALSE((*w)->data(as_bytes("this is more than ten bytes")));
  REQUIRE((*w)->data(as_bytes("0123456789")));
  REQUIRE((*w)->finish());

  Collect obs;
  io::MemReader in(as_bytes(out.out));
  auto r = read_tar(in, obs);
  REQUIRE(r);
  CHECK(obs.warnings.empty());
  std::vector<std::string> paths;
  for (const auto& m : *r) paths.push_back(m.e.path);
  CHECK(paths == std::vector<std::string>{".", "d", "d/file\nwith newline", std::string(120, 'L'),
                                          longname.path, "d/link", "d/hard", "d/fifo", uni.path,
                                          latin.path, "short"});
  const auto* fm = find(*r, "d/file\nwith newline");
  CHECK(fm->content == content);
  CHECK(fm->e.mode == 0640);
  CHECK(fm->e.mtime_ns == 1600000000123456789);
  CHECK(fm->e.user == "nobody-in-particular");
  std::string names;
  for (const auto& x : fm->e.xattrs) names += x.name + "=" + std::string(as_chars(x.value)) + " ";
  INFO(names);
  REQUIRE(fm->e.xattrs.size() == 1);
  CHECK(fm->e.xattrs[0].name == "user.k");
  CHECK(find(*r, longname.path)->content == "ok");
  CHECK(find(*r, "d/link")->e.target == "file\nwith newline");
  CHECK(find(*r, "d/hard")->e.link == "d/file\nwith newline");

  // GNU tar agrees.
  Scratch s;
  write(s.dir / "out.tar", out.out);
  fs::create_directories(s.dir / "x");
  REQUIRE(sh(fmt::format("tar -C '{}' -xf '{}' 2>/dev/null", (s.dir / "x").string(),
                         (s.dir / "out.tar").string())) == 0);
  CHECK(slurp(s.dir / "x" / "d" / "file\nwith newline") == content);
  CHECK(slurp(s.dir / "x" / "short") == "0123456789");
  CHECK(slurp(s.dir / "x" / uni.path) == "u");
  CHECK(slurp(s.dir / "x" / latin.path) == "l");
  struct stat a, b;
  REQUIRE(::stat((s.dir / "x" / "d" / "hard").c_str(), &a) == 0);
  REQUIRE(::stat((s.dir / "x" / "d" / "file\nwith newline").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
}

TEST_CASE("tar::Writer: finish refuses a file whose content is incomplete", "[tar]") {
  io::StringWriter out;
  auto w = tar::Writer::open(out);
  REQUIRE(w);
  manifest::Entry e;
  e.path = "f";
  e.type = Type::file;
  e.size = 5;
  REQUIRE((*w)->add(e));
  REQUIRE((*w)->data(as_bytes("abc")));
  CHECK_FALSE((*w)->finish());
}
