// The files cache's format (cairn-catalog(5) FILES CACHE), version 1:
//   "cairn-files-cache 1\n" | repository id (32) | manifest bytes (n)
//   | set id (32) | le64 n | MAC (32)
// MAC = BLAKE2b-256(key = derive(index_key, "cairn files cache v1"), every byte before it).
// The set id and n follow the manifest so the file is written in one pass while ingest stores
// the manifest (the set id is known only once the set is written).
#include "ops/files_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>

#include "crypto/crypto.hpp"
#include "repo/stored.hpp"

namespace cairn::ops {
namespace {

constexpr std::string_view kMagic = "cairn-files-cache 1\n";
constexpr std::size_t kIdSize = 32;
constexpr std::size_t kMacSize = hash::kDigestSize;
constexpr std::size_t kHead = kMagic.size() + kIdSize;  // magic line, repository id
constexpr std::size_t kTail = kIdSize + 8 + kMacSize;   // set id, length, MAC

hash::Blake2b mac_of(const crypto::KeyMaterial& keys) {
  crypto::SecretBytes k(32);
  hash::derive(keys.index_key.view(), "cairn files cache v1", k.mut());
  return hash::Blake2b(k.view());
}

Error damaged(const std::filesystem::path& p, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("files cache '{}' {}", p.string(), why)};
}

// pread(2) of exactly buf.size() bytes at `off`; short = the file shrank under us.
Status read_at(int fd, MutByteView buf, std::uint64_t off, const std::filesystem::path& p) {
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, fmt::format("cannot read '{}'", p.string()));
    if (n == 0) return damaged(p, "is shorter than its size said");
    got += static_cast<std::size_t>(n);
  }
  return {};
}

// The manifest bytes [off, off + len) of an open file, as an io::Reader.
class RegionReader final : public io::Reader {
 public:
  RegionReader(int fd, std::uint64_t off, std::uint64_t len, std::filesystem::path p)
      : fd_(fd), off_(off), end_(off + len), p_(std::move(p)) {}
  Result<std::size_t> read(MutByteView buf) override {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end_ - off_));
    if (n == 0) return std::size_t{0};
    CAIRN_TRY(read_at(fd_, buf.first(n), off_, p_));
    off_ += n;
    return n;
  }

 private:
  int fd_;
  std::uint64_t off_, end_;
  std::filesystem::path p_;
};

}  // namespace

std::filesystem::path files_cache_path(const std::filesystem::path& catalog_file,
                                       std::string_view source) {
  std::string name = hash::blake2b(as_bytes(source)).hex().substr(0, 32);
  return std::filesystem::path(catalog_file.string() + ".files") / name;
}

// ---- writing

struct FilesCacheWriter::State {
  std::filesystem::path path;
  io::AtomicFile file;
  hash::Blake2b mac;
  Bytes buf;
  std::uint64_t size = 0;
  std::optional<Error> failed;

  void out(ByteView b) {
    mac.update(b);
    append(buf, b);
    if (buf.size() >= (1u << 16)) drain();
  }
  void drain() {
    if (!failed && !buf.empty()) {
      Status st = file.write(buf);
      if (!st) failed = std::move(st).error();
    }
    buf.clear();
  }
};

FilesCacheWriter::FilesCacheWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
FilesCacheWriter::~FilesCacheWriter() = default;

Result<std::unique_ptr<FilesCacheWriter>> FilesCacheWriter::create(
    const std::filesystem::path& path, const crypto::KeyMaterial& keys) {
  const auto dir = path.parent_path();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return errno_error(errno, fmt::format("cannot create '{}'", dir.string()));
  CAIRN_TRY_ASSIGN(auto file, io::AtomicFile::create(path, 0600));
  auto s = std::unique_ptr<State>(new State{path, std::move(file), mac_of(keys), {}, 0, {}});
  s->out(as_bytes(kMagic));
  s->out(keys.repo_id);
  return std::unique_ptr<FilesCacheWriter>(new FilesCacheWriter(std::move(s)));
}

Status FilesCacheWriter::write(ByteView b) {
  s_->size += b.size();
  s_->out(b);
  return {};
}

Status FilesCacheWriter::commit(const hash::SetId& set) {
  Bytes tail(set.d.b.begin(), set.d.b.end());
  put_le64(tail, s_->size);
  s_->out(tail);
  hash::Digest mac = s_->mac.finish();
  append(s_->buf, mac.view());
  s_->drain();
  if (s_->failed) return *s_->failed;
  return s_->file.commit();
}

// ---- reading

struct FilesCache::State {
  io::Fd fd;
  RegionReader region;
  manifest::Reader reader;
  State(io::Fd f, std::uint64_t n, const std::filesystem::path& p)
      : fd(std::move(f)), region(fd.get(), kHead, n, p), reader(region, p.string()) {}
};

FilesCache::FilesCache(std::unique_ptr<State> s) : s_(std::move(s)) {}
FilesCache::~FilesCache() = default;

Result<std::unique_ptr<FilesCache>> FilesCache::open(const std::filesystem::path& path,
                                                     const crypto::KeyMaterial& keys,
                                                     const hash::SetId& set) {
  int raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (raw < 0) {
    if (errno == ENOENT)
      return Error{Errc::not_found, fmt::format("no files cache '{}'", path.string())};
    return errno_error(errno, fmt::format("cannot open '{}'", path.string()));
  }
  io::Fd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0)
    return errno_error(errno, fmt::format("cannot stat '{}'", path.string()));
  if (!S_ISREG(st.st_mode)) return damaged(path, "is not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kHead + kTail) return damaged(path, "is truncated");

  // Pass 1: authenticate every byte before any is parsed.
  hash::Blake2b mac = mac_of(keys);
  Bytes buf(1u << 16);
  const std::uint64_t body = size - kMacSize;
  for (std::uint64_t off = 0; off < body;) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), body - off));
    CAIRN_TRY(read_at(fd.get(), MutByteView(buf.data(), n), off, path));
    mac.update(ByteView(buf.data(), n));
    off += n;
  }
  std::array<std::uint8_t, kMacSize> stored{};
  CAIRN_TRY(read_at(fd.get(), stored, body, path));
  if (!crypto::equal(mac.finish().view(), stored))
    return damaged(path, "is damaged or was not written with this repository's key");

  // Authentic: what does it name?
  std::array<std::uint8_t, kHead> head{};
  CAIRN_TRY(read_at(fd.get(), head, 0, path));
  std::array<std::uint8_t, kTail - kMacSize> tail{};
  CAIRN_TRY(read_at(fd.get(), tail, size - kTail, path));
  const std::uint64_t n = get_le64(tail.data() + kIdSize);
  if (as_chars(ByteView(head.data(), kMagic.size())) != kMagic || n != size - kHead - kTail)
    return damaged(path, "does not parse");
  if (!std::equal(head.begin() + kMagic.size(), head.end(), keys.repo_id.begin(),
                  keys.repo_id.end()))
    return Error{Errc::bad_input,
                 fmt::format("files cache '{}' belongs to another repository", path.string())};
  hash::SetId named;
  std::copy(tail.begin(), tail.begin() + kIdSize, named.d.b.begin());
  if (named != set)
    return Error{Errc::bad_input,
                 fmt::format("files cache '{}' holds set {}, not {}", path.string(),
                             named.hex().substr(0, 12), set.hex().substr(0, 12))};

  // Pass 2 (next()): parse the manifest. Pass 1 authenticated every byte of it, so the
  // stream's own trailer digest (an unkeyed BLAKE2b over the same bytes) is not computed again.
  auto s = std::make_unique<State>(std::move(fd), n, path);
  s->reader.skip_digest();
  Status opened = s->reader.open();
  if (!opened) return repo::as_damage(std::move(opened).error());
  return std::unique_ptr<FilesCache>(new FilesCache(std::move(s)));
}

Result<bool> FilesCache::next(manifest::Entry& e) {
  auto more = s_->reader.next(e);
  if (!more) return repo::as_damage(std::move(more).error());
  return more;
}

}  // namespace cairn::ops
