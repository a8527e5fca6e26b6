#include <catch2/catch.hpp>

#include <acl/libacl.h>
#include <fcntl.h>
#include <sys/acl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "base/tempdir.hpp"
#include "tree/tree.hpp"

using namespace cairn;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  TempDir tmp = TempDir::create("cairn-tree-").value();
  fs::path dir = tmp.path();
};

void write(const fs::path& p, std::string_view s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

struct Collect final : Observer {
  std::vector<std::pair<std::string, std::string>> warnings;
  void warning(std::string_view path, const Error& e) override {
    warnings.emplace_back(path, e.message);
  }
};

Result<std::vector<tree::Node>> walk(const std::vector<fs::path>& roots, Collect& obs,
                                     tree::WalkOptions opt = {},
                                     std::function<void(const tree::Node&)> hook = {}) {
  std::vector<tree::Node> nodes;
  CancelToken cancel;
  CAIRN_TRY(tree::walk(roots, opt, obs, cancel, [&](const tree::Node& n) -> Status {
    if (hook) hook(n);
    nodes.push_back(n);
    return {};
  }));
  return nodes;
}

const tree::Node* find(const std::vector<tree::Node>& v, std::string_view path) {
  for (const auto& n : v)
    if (n.path == path) return &n;
  return nullptr;
}

}  // namespace

TEST_CASE("tree::walk: captures every kind of file in sorted depth-first order", "[tree]") {
  Scratch s;
  const fs::path d = s.dir / "root";
  fs::create_directories(d / "sub" / "deeper");
  fs::create_directories(d / "empty-dir");
  write(d / "regular", "hello");
  write(d / "empty", "");
  write(d / "sub" / "deeper" / "leaf", "leaf");
  write(d / "a-b", "sorts after a/ subtree");
  fs::create_directories(d / "a");
  write(d / "a" / "x", "x");
  fs::create_symlink("regular", d / "link");
  fs::create_symlink("does/not/exist", d / "dangling");
  write(d / "hard1", "shared");
  fs::create_hard_link(d / "hard1", d / "hard2");
  REQUIRE(::mkfifo((d / "fifo").c_str(), 0640) == 0);
  // A unix socket: bind creates the filesystem node.
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sp = (d / "sock").string();
  REQUIRE(sp.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sp.c_str(), sp.size() + 1);
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(sock);
  {
    int fd = ::open((d / "sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, "x", 1, 8 << 20) == 1);
    ::close(fd);
  }
  write(d / "setuid", "#!/bin/sh\n");
  REQUIRE(::chmod((d / "setuid").c_str(), 04755) == 0);
  REQUIRE(::chmod((d / "sub").c_str(), 01750) == 0);
  bool have_xattr = ::setxattr((d / "regular").c_str(), "user.x", "v\0w", 3, 0) == 0;
  acl_t acl = acl_from_text("user::rw-,user:1234:r--,group::r--,mask::r--,other::---");
  REQUIRE(acl);
  bool have_acl = acl_set_file((d / "regular").c_str(), ACL_TYPE_ACCESS, acl) == 0;
  acl_free(acl);
  acl_t dacl = acl_from_text("user::rwx,group::r-x,other::---");
  bool have_dacl = acl_set_file((d / "sub").c_str(), ACL_TYPE_DEFAULT, dacl) == 0;
  acl_free(dacl);
  bool have_dev = ::mknod((d / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0;

  Collect obs;
  auto r = walk({d}, obs);
  REQUIRE(r);
  CHECK(obs.warnings.empty());
  std::vector<std::string> paths;
  for (const auto& n : *r) paths.push_back(n.path);
  std::vector<std::string> want = {".",         "a",    "a/x",   "a-b",   "dangling", "empty",
                                   "empty-dir", "fifo", "hard1", "hard2", "link"};
  if (have_dev) want.push_back("null");
  for (const char* p :
       {"regular", "setuid", "sock", "sparse", "sub", "sub/deeper", "sub/deeper/leaf"})
    want.push_back(p);
  CHECK(paths == want);

  const auto* root = find(*r, ".");
  REQUIRE(root);
  CHECK(root->kind == tree::Kind::dir);
  CHECK(root->abs == d);
  const auto* reg = find(*r, "regular");
  REQUIRE(reg);
  CHECK(reg->kind == tree::Kind::file);
  CHECK(reg->size == 5);
  CHECK(reg->abs == d / "regular");
  CHECK(reg->name == "regular");
  CHECK(reg->nlink == 1);
  CHECK(reg->uid == ::geteuid());
  CHECK(reg->user.has_value());
  CHECK(reg->mtime_ns > 0);
  if (have_xattr) {
    REQUIRE(reg->xattrs.size() == 1);
    CHECK(reg->xattrs[0].name == "user.x");
    CHECK(reg->xattrs[0].value == Bytes{'v', 0, 'w'});
  }
  if (have_acl) {
    REQUIRE(reg->acl_access.has_value());
    CHECK(*reg->acl_access == "user::rw-,user:1234:r--,group::r--,mask::r--,other::---");
    for (const auto& x : reg->xattrs) CHECK(x.name.rfind("system.posix_acl", 0) != 0);
  }
  CHECK_FALSE(find(*r, "empty")->acl_access.has_value());  // plain mode: no ACL recorded
  const auto* sub = find(*r, "sub");
  CHECK(sub->mode == 01750);
  if (have_dacl) {
    REQUIRE(sub->acl_default.has_value());
    CHECK(*sub->acl_default == "user::rwx,group::r-x,other::---");
  }
  CHECK(find(*r, "setuid")->mode == 04755);
  CHECK(find(*r, "empty")->size == 0);
  CHECK(find(*r, "empty-dir")->kind == tree::Kind::dir);
  CHECK(find(*r, "link")->kind == tree::Kind::symlink);
  CHECK(find(*r, "link")->target == "regular");
  CHECK(find(*r, "dangling")->target == "does/not/exist");
  CHECK(find(*r, "fifo")->kind == tree::Kind::fifo);
  CHECK(find(*r, "fifo")->mode == 0640);
  CHECK(find(*r, "sock")->kind == tree::Kind::socket);
  const auto* h1 = find(*r, "hard1");
  const auto* h2 = find(*r, "hard2");
  CHECK(h1->nlink == 2);
  CHECK_FALSE(h1->hardlink_of.has_value());
  REQUIRE(h2->hardlink_of.has_value());
  CHECK(*h2->hardlink_of == "hard1");
  CHECK(h1->ino == h2->ino);
  CHECK(find(*r, "sparse")->sparse);
  CHECK(find(*r, "sparse")->size == (8u << 20) + 1);
  CHECK_FALSE(reg->sparse);
  if (have_dev) {
    const auto* null = find(*r, "null");
    CHECK(null->kind == tree::Kind::chardev);
    CHECK(null->rdev_major == 1);
    CHECK(null->rdev_minor == 3);
  }
}

TEST_CASE("tree::walk: an entry that vanishes during the scan is a warning, the walk goes on",
          "[tree]") {
  Scratch s;
  write(s.dir / "a", "a");
  write(s.dir / "b", "b");
  write(s.dir / "c", "c");
  Collect obs;
  // While visiting "a", delete "b": it was listed by readdir but is gone when lstat'ed.
  auto r = walk({s.dir}, obs, {}, [&](const tree::Node& n) {
    if (n.path == "a") fs::remove(s.dir / "b");
  });
  REQUIRE(r);
  std::vector<std::string> paths;
  for (const auto& n : *r) paths.push_back(n.path);
  CHECK(paths == std::vector<std::string>{".", "a", "c"});
  REQUIRE(obs.warnings.size() == 1);
  CHECK(obs.warnings[0].first == "b");
  CHECK(obs.warnings[0].second.find("vanished during the scan") != std::string::npos);
}

TEST_CASE("tree::walk: a directory removed before it is read is a warning", "[tree]") {
  Scratch s;
  fs::create_directories(s.dir / "d");
  write(s.dir / "d" / "f", "f");
  Collect obs;
  auto r = walk({s.dir}, obs, {}, [&](const tree::Node& n) {
    if (n.path == "d") fs::remove_all(s.dir / "d");
  });
  REQUIRE(r);
  CHECK(r->size() == 2);  // "." and "d" (its lstat succeeded), nothing below
  REQUIRE(obs.warnings.size() == 1);
  CHECK(obs.warnings[0].second.find("cannot open directory") != std::string::npos);
}

TEST_CASE("tree::walk: excludes match the relative path and the basename", "[tree]") {
  Scratch s;
  fs::create_directories(s.dir / "src" / "build");
  fs::create_directories(s.dir / "cache");
  write(s.dir / "src" / "main.cpp", "");
  write(s.dir / "src" / "main.o", "");
  write(s.dir / "src" / "build" / "out", "");
  write(s.dir / "cache" / "x", "");
  write(s.dir / "keep", "");
  write(s.dir / "excludes", "# comment\n\n*.o\n  \nsrc/build\r\n");
  auto globs = tree::read_exclude_file(s.dir / "excludes");
  REQUIRE(globs);
  CHECK(*globs == std::vector<std::string>{"*.o", "src/build"});
  tree::WalkOptions opt;
  opt.excludes = *globs;
  opt.excludes.push_back("cache");
  opt.excludes.push_back("excludes");
  Collect obs;
  auto r = walk({s.dir}, obs, opt);
  REQUIRE(r);
  std::vector<std::string> paths;
  for (const auto& n : *r) paths.push_back(n.path);
  CHECK(paths == std::vector<std::string>{".", "keep", "src", "src/main.cpp"});
  CHECK(tree::excluded("a/b/c.o", {"*.o"}));
  CHECK(tree::excluded("a/b", {"a/*"}));
  CHECK_FALSE(tree::excluded("ab", {"a"}));
}

TEST_CASE("tree::walk: several roots live under their basenames; equal basenames are refused",
          "[tree]") {
  Scratch s;
  fs::create_directories(s.dir / "one" / "etc");
  fs::create_directories(s.dir / "two" / "etc");
  fs::create_directories(s.dir / "zeta");
  write(s.dir / "one" / "etc" / "f", "1");
  write(s.dir / "zeta" / "g", "2");
  write(s.dir / "file", "3");
  Collect obs;
  auto r = walk({s.dir / "zeta", s.dir / "one" / "etc", s.dir / "file"}, obs);
  REQUIRE(r);
  std::vector<std::string> paths;
  for (const auto& n : *r) paths.push_back(n.path);
  CHECK(paths == std::vector<std::string>{"etc", "etc/f", "file", "zeta", "zeta/g"});
  CHECK(find(*r, "etc/f")->abs == s.dir / "one" / "etc" / "f");

  auto dup = walk({s.dir / "one" / "etc", s.dir / "two" / "etc"}, obs);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::usage);

  auto missing = walk({s.dir / "nope"}, obs);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
}

TEST_CASE("tree::walk: never follows symlinks below a root, and stops on cancel", "[tree]") {
  Scratch s;
  fs::create_directories(s.dir / "real");
  write(s.dir / "real" / "inside", "");
  fs::create_directories(s.dir / "root");
  fs::create_directory_symlink(s.dir / "real", s.dir / "root" / "loop");
  Collect obs;
  auto r = walk({s.dir / "root"}, obs);
  REQUIRE(r);
  CHECK(r->size() == 2);
  CHECK(find(*r, "loop")->kind == tree::Kind::symlink);

  CancelToken cancel;
  cancel.cancel();
  auto st = tree::walk({s.dir}, {}, obs, cancel, [](const tree::Node&) -> Status { return {}; });
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::cancelled);
}

TEST_CASE("tree::walk: --one-file-system keeps the mount point but not what is mounted there",
          "[tree]") {
  // Needs a mount point below some directory; /dev/pts or /dev/shm usually is one.
  struct stat dev, sub;
  std::string mount;
  for (const char* m : {"/dev/pts", "/dev/shm", "/dev/mqueue"})
    if (::lstat("/dev", &dev) == 0 && ::lstat(m, &sub) == 0 && S_ISDIR(sub.st_mode) &&
        sub.st_dev != dev.st_dev) {
      mount = fs::path(m).filename().string();
      break;
    }
  if (mount.empty()) {
    WARN("no mount point below /dev: --one-file-system not exercised");
    return;
  }
  tree::WalkOptions opt;
  opt.one_file_system = true;
  opt.xattrs = opt.acls = false;
  Collect obs;
  auto r = walk({"/dev"}, obs, opt);
  REQUIRE(r);
  CHECK(find(*r, mount) != nullptr);
  for (const auto& n : *r) CHECK(n.path.rfind(mount + "/", 0) != 0);
}

TEST_CASE("tree::apply_metadata: sets owner, mode, xattrs, ACLs and nanosecond mtime", "[tree]") {
  Scratch s;
  write(s.dir / "f", "data");
  fs::create_directories(s.dir / "d");
  fs::create_symlink("f", s.dir / "l");
  int dir = ::open(s.dir.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(dir >= 0);
  tree::Meta m;
  m.kind = tree::Kind::file;
  m.mode = 04710;
  m.uid = 4321;
  m.gid = 4322;
  m.mtime_ns = 1234567890123456789;
  m.xattrs = {tree::Xattr{"user.note", Bytes{'o', 'k'}}};
  tree::ApplyOptions opt;
  opt.owner = ::geteuid() == 0;
  opt.numeric_owner = true;
  auto st = tree::apply_metadata(dir, "f", m, opt);
  INFO((st ? std::string() : st.error().message));
  struct stat sb;
  REQUIRE(::stat((s.dir / "f").c_str(), &sb) == 0);
  if (opt.owner) {
    CHECK(sb.st_uid == 4321u);
    CHECK(sb.st_gid == 4322u);
  }
  CHECK((sb.st_mode & 07777) == 04710);  // set after chown, so setuid survives
  CHECK(sb.st_mtim.tv_sec == 1234567890);
  CHECK(sb.st_mtim.tv_nsec == 123456789);
  char buf[16];
  auto n = ::getxattr((s.dir / "f").c_str(), "user.note", buf, sizeof buf);
  if (n >= 0) CHECK(std::string(buf, static_cast<std::size_t>(n)) == "ok");

  // A directory with access and default ACLs.
  tree::Meta dm;
  dm.kind = tree::Kind::dir;
  dm.mode = 0750;
  dm.mtime_ns = -1500000000;  // before 1970, with a fraction
  dm.acl_access = "user::rwx,user:1234:r-x,group::r-x,mask::r-x,other::---";
  dm.acl_default = "user::rwx,group::r-x,other::---";
  auto dst = tree::apply_metadata(dir, "d", dm, tree::ApplyOptions{});
  acl_t got = acl_get_file((s.dir / "d").c_str(), ACL_TYPE_ACCESS);
  if (got) {
    CHECK(dst);
    char* t = acl_to_any_text(got, nullptr, ',', TEXT_NUMERIC_IDS);
    CHECK(std::string(t) == *dm.acl_access);
    acl_free(t);
    acl_free(got);
  }
  REQUIRE(::stat((s.dir / "d").c_str(), &sb) == 0);
  CHECK(sb.st_mtim.tv_sec == -2);
  CHECK(sb.st_mtim.tv_nsec == 500000000);

  // A symlink: its own mtime changes, not the target's; no chmod attempted.
  tree::Meta lm;
  lm.kind = tree::Kind::symlink;
  lm.mtime_ns = 1000000000;
  CHECK(tree::apply_metadata(dir, "l", lm, tree::ApplyOptions{}));
  REQUIRE(::lstat((s.dir / "l").c_str(), &sb) == 0);
  CHECK(sb.st_mtim.tv_sec == 1);
  REQUIRE(::stat((s.dir / "f").c_str(), &sb) == 0);
  CHECK(sb.st_mtim.tv_sec == 1234567890);

  // fd flavour.
  int fd = ::openat(dir, "f", O_RDONLY);
  REQUIRE(fd >= 0);
  tree::Meta fm;
  fm.mode = 0600;
  fm.mtime_ns = 42;
  CHECK(tree::apply_metadata_fd(fd, fm, tree::ApplyOptions{}, "f"));
  ::close(fd);
  REQUIRE(::stat((s.dir / "f").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0600);
  CHECK(sb.st_mtim.tv_nsec == 42);

  // Errors are returned, not swallowed.
  auto missing = tree::apply_metadata(dir, "absent", fm, tree::ApplyOptions{});
  CHECK_FALSE(missing);
  ::close(dir);
}

TEST_CASE("tree::apply_metadata_fd: no chown when the file already has the owner to apply",
          "[tree]") {
  if (::geteuid() != 0) return;  // chown needs root
  Scratch s;
  write(s.dir / "f", "data");
  int fd = ::open((s.dir / "f").c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  struct stat before, after;
  REQUIRE(::fstat(fd, &before) == 0);
  tree::Meta m;
  m.mode = before.st_mode & 07777;
  m.uid = before.st_uid;
  m.gid = before.st_gid;
  tree::ApplyOptions opt;
  opt.owner = true;
  opt.numeric_owner = true;
  opt.times = false;
  const tree::Owner now{before.st_uid, before.st_gid};
  // A chown, even to the same owner, changes the ctime: none when the owner is known right.
  ::usleep(20000);
  CHECK(tree::apply_metadata_fd(fd, m, opt, "f", {true, now}));
  REQUIRE(::fstat(fd, &after) == 0);
  CHECK(after.st_ctim.tv_sec == before.st_ctim.tv_sec);
  CHECK(after.st_ctim.tv_nsec == before.st_ctim.tv_nsec);
  // Unknown owner: chowned (the ctime moves).
  CHECK(tree::apply_metadata_fd(fd, m, opt, "f", {true, std::nullopt}));
  REQUIRE(::fstat(fd, &after) == 0);
  CHECK((after.st_ctim.tv_sec != before.st_ctim.tv_sec ||
         after.st_ctim.tv_nsec != before.st_ctim.tv_nsec));
  // Another owner recorded: chowned to it, whatever the file has.
  m.uid = 4321;
  m.gid = 4322;
  CHECK(tree::apply_metadata_fd(fd, m, opt, "f", {true, now}));
  REQUIRE(::fstat(fd, &after) == 0);
  CHECK(after.st_uid == 4321u);
  CHECK(after.st_gid == 4322u);
  ::close(fd);
}

TEST_CASE("tree::apply_metadata: never through a symlink swapped in, nor on another inode",
          "[tree]") {
  Scratch s;
  write(s.dir / "outside", "secret");
  ::chmod((s.dir / "outside").c_str(), 0600);
  fs::create_directories(s.dir / "d");
  int dir = ::open(s.dir.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(dir >= 0);
  struct stat made;
  REQUIRE(::fstatat(dir, "d", &made, AT_SYMLINK_NOFOLLOW) == 0);
  tree::Identity id{static_cast<std::uint64_t>(made.st_dev),
                    static_cast<std::uint64_t>(made.st_ino)};
  // The directory the restore made is swapped for a symlink to another file.
  fs::rename(s.dir / "d", s.dir / "d-away");
  fs::create_symlink(s.dir / "outside", s.dir / "d");
  tree::Meta dm;
  dm.kind = tree::Kind::dir;
  dm.mode = 0777;
  dm.mtime_ns = 42;
  dm.xattrs = {tree::Xattr{"user.note", Bytes{'n', 'o'}}};
  auto st = tree::apply_metadata(dir, "d", dm, tree::ApplyOptions{}, id);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::bad_input);
  st = tree::apply_metadata(dir, "d", dm, tree::ApplyOptions{});  // the kind alone tells
  REQUIRE_FALSE(st);
  struct stat sb;
  REQUIRE(::stat((s.dir / "outside").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0600);
  CHECK(sb.st_mtim.tv_nsec != 42);
  char buf[8];
  CHECK(::getxattr((s.dir / "outside").c_str(), "user.note", buf, sizeof buf) < 0);
  // Swapped for another directory: the kind matches, the inode does not.
  fs::remove(s.dir / "d");
  fs::create_directories(s.dir / "d");
  st = tree::apply_metadata(dir, "d", dm, tree::ApplyOptions{}, id);
  REQUIRE_FALSE(st);
  REQUIRE(::stat((s.dir / "d").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) != 0777);
  // The real one, found again, gets its metadata.
  fs::remove(s.dir / "d");
  fs::rename(s.dir / "d-away", s.dir / "d");
  CHECK(tree::apply_metadata(dir, "d", dm, tree::ApplyOptions{}, id));
  REQUIRE(::stat((s.dir / "d").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0777);
  CHECK(sb.st_mtim.tv_nsec == 42);
  ::close(dir);
}

TEST_CASE("tree::make_special: creates FIFOs, refuses sockets", "[tree]") {
  Scratch s;
  int dir = ::open(s.dir.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(dir >= 0);
  CHECK(tree::make_special(dir, "p", tree::Kind::fifo, 0640, 0, 0));
  struct stat sb;
  REQUIRE(::lstat((s.dir / "p").c_str(), &sb) == 0);
  CHECK(S_ISFIFO(sb.st_mode));
  auto sock = tree::make_special(dir, "s", tree::Kind::socket, 0640, 0, 0);
  REQUIRE_FALSE(sock);
  CHECK(sock.error().code == Errc::unimplemented);
  ::close(dir);
}
