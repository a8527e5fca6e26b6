// tests/bench/bench_primitives.cpp: throughput of cairn's primitives and of its core write path,
// measured on the same in-memory data in the same run.
//
//   bench_primitives [DIR] [--max-mib N] [--gen-mib N] [--reps N] [--threads N]
//                    [--repo-dir DIR] [--only LIST] [--tsv]
//
// DIR: every regular file under it is read into memory (sorted paths, symlinks not followed,
// at most --max-mib MiB, default 2048). Without DIR, --gen-mib MiB (default 256) of mixed data
// is generated: half text-like (compressible), a quarter random, a quarter copies of earlier
// files (duplicates).
//
// Measured (MB = 10^6 bytes; the best of --reps runs, default 3):
//   - BLAKE2b-256, keyed BLAKE2b-256 and HMAC-SHA-256, XChaCha20-Poly1305 seal and zstd -3
//     (compress::Compressor, with its incompressible-data shortcut) on 1 MiB blocks, one core;
//   - the chunker alone, file by file (chunker::Chunker, default parameters), one core;
//   - the write path: a fresh scratch repository per run (repo::init under --repo-dir, default
//     $TMPDIR or /tmp), then chunk + id + compress + encrypt + pack every file with
//     WriteSession::put and finish() (packs fsync'd, index written), with
//       (a) 1 thread; (b) --threads threads (default 2), each taking whole files;
//       (c) cairn-pack's shape: this thread cuts and hashes, a WorkQueue of --threads
//           workers puts (compress, encrypt, append).
//   - the write path by stage: each stage timed alone, one core, on the write path's own chunks
//     (stage_costs), and the ceiling that sets for 2 cores.
// --only LIST runs a subset (comma list of hash, zstd, seal, chunker, stages, write1, write, pack),
// e.g.
// `--only write --reps 1` under valgrind --tool=callgrind.
// The goal stated for cairn: write path on 2 cores >= 1.5x zstd -3 on 1 core.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "base/work_queue.hpp"
#include "chunker/chunker.hpp"
#include "compress/zstd.hpp"
#include "crypto/crypto.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"
#include "repo/repo.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cairn;

constexpr std::size_t kMiB = 1u << 20;
constexpr std::size_t kBlock = kMiB;

// ---------------------------------------------------------------- the data

struct Corpus {
  Bytes bytes;
  std::vector<std::pair<std::size_t, std::size_t>> files;  // offset, length into bytes
  std::string origin;
  ByteView file(std::size_t i) const {
    return ByteView(bytes).subspan(files[i].first, files[i].second);
  }
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "bench_primitives: %s\n", msg.c_str());
  std::exit(1);
}

Corpus read_dir(const fs::path& dir, std::uint64_t max_bytes) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) paths.push_back(it->path());
  }
  if (ec) die(fmt::format("cannot walk '{}': {}", dir.string(), ec.message()));
  std::sort(paths.begin(), paths.end());
  Corpus c;
  std::uint64_t total = 0;
  for (auto& p : paths) {
    auto sz = fs::file_size(p, ec);
    if (ec) continue;
    if (total + sz > max_bytes) break;
    total += sz;
  }
  c.bytes.resize(total);
  std::size_t off = 0;
  for (auto& p : paths) {
    if (off >= total) break;
    auto sz = fs::file_size(p, ec);
    if (ec || off + sz > total) break;
    auto fd = io::open_file(p, O_RDONLY);
    if (!fd) die(fd.error().message);
    auto n = io::read_full(fd->get(), MutByteView(c.bytes).subspan(off, sz), p.string());
    if (!n) die(n.error().message);
    c.files.emplace_back(off, *n);
    off += *n;
  }
  c.bytes.resize(off);
  c.origin = fmt::format("{} ({} files)", dir.string(), c.files.size());
  return c;
}

// xoshiro256** (deterministic, fast) for generated data.
struct Rng {
  std::uint64_t s[4];
  explicit Rng(std::uint64_t seed) {
    for (auto& v : s) {  // splitmix64
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      v = z ^ (z >> 31);
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

// Text-like data: lines of words drawn with a skewed distribution from a fixed vocabulary, with
// numbers sprinkled in (compresses about 3-4x with zstd -3, like logs and source code).
void append_text(Rng& r, const std::vector<std::string>& vocab, std::size_t n, Bytes& out) {
  const std::size_t end = out.size() + n;
  while (out.size() < end) {
    const std::size_t words = 3 + r.below(12);
    std::string line(r.below(4) * 2, ' ');
    for (std::size_t w = 0; w < words; ++w) {
      const std::size_t a = r.below(vocab.size()), b = r.below(vocab.size());
      line += vocab[std::min(a, b)];  // skewed towards the front of the vocabulary
      line += r.below(8) == 0 ? fmt::format("={} ", r.below(100000)) : " ";
    }
    line.back() = '\n';
    out.insert(out.end(), line.begin(), line.end());
  }
  out.resize(end);
}

Corpus generate(std::size_t total) {
  Rng r(20240601);
  std::vector<std::string> vocab;
  const char* syl[] = {"ka", "to", "ri", "mu", "ne", "sa",  "lo",
                       "vi", "de", "po", "zu", "fa", "gre", "ston"};
  for (int i = 0; i < 2000; ++i) {
    std::string w;
    for (std::size_t k = 0, n = 1 + r.below(4); k < n; ++k) w += syl[r.below(std::size(syl))];
    vocab.push_back(w);
  }
  Corpus c;
  c.bytes.reserve(total + 16 * kMiB);
  auto add_file = [&](auto&& fill) {
    const std::size_t off = c.bytes.size();
    fill();
    c.files.emplace_back(off, c.bytes.size() - off);
  };
  // half text: many small files (1-64 KiB) and some large ones (1-16 MiB, at most 1/16 of the
  // total)
  while (c.bytes.size() < total / 2) {
    const bool big = r.below(100) < 3;
    const std::size_t n =
        big ? std::min((1 + r.below(16)) * kMiB, total / 16) : 1024 + r.below(64 * 1024);
    add_file([&] { append_text(r, vocab, n, c.bytes); });
  }
  // a quarter random: files of 4-32 MiB (at most 1/16 of the total)
  while (c.bytes.size() < total * 3 / 4) {
    const std::size_t n = std::min((4 + r.below(29)) * kMiB, total / 16);
    add_file([&] {
      const std::size_t off = c.bytes.size();
      c.bytes.resize(off + n);
      for (std::size_t i = 0; i + 8 <= n; i += 8) {
        const std::uint64_t v = r.next();
        std::memcpy(c.bytes.data() + off + i, &v, 8);
      }
    });
  }
  // a quarter duplicates: verbatim copies of earlier files
  const std::size_t originals = c.files.size();
  while (c.bytes.size() < total) {
    const auto [off, len] = c.files[r.below(originals)];
    add_file([&, off = off, len = len] {
      c.bytes.resize(c.bytes.size() + len);
      std::memcpy(c.bytes.data() + c.bytes.size() - len, c.bytes.data() + off, len);
    });
  }
  c.origin = fmt::format("generated: {} MiB, {} files (1/2 text, 1/4 random, 1/4 duplicates)",
                         c.bytes.size() / kMiB, c.files.size());
  return c;
}

// ---------------------------------------------------------------- timing

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Row {
  std::string name;
  double mbps = 0;      // wall clock, best run
  double cpu_mbps = 0;  // per CPU-second (user+sys of the process), best run: what one idle core
                        // would do; much less sensitive to other load on the machine
  double cores = 0;     // (user+sys)/wall in the best wall-clock run
  std::string note;
  // Times one run of `fn` over `bytes` and keeps the best figures.
  void run(std::uint64_t bytes, const std::function<void()>& fn) {
    const double c0 = cpu_s(), t0 = now_s();
    fn();
    const double t = std::max(now_s() - t0, 1e-9), c = std::max(cpu_s() - c0, 1e-9);
    const double mb = static_cast<double>(bytes) / 1e6;
    std::fprintf(stderr, "    %-44s %.2f s, %.0f MB/s, %.0f MB per CPU-s, %.2f cores\n",
                 name.c_str(), t, mb / t, mb / c, c / t);
    if (mb / t > mbps) mbps = mb / t, cores = c / t;
    cpu_mbps = std::max(cpu_mbps, mb / c);
  }
};

// Runs `fn` `reps` times over `bytes`.
Row measure(const std::string& name, int reps, std::uint64_t bytes,
            const std::function<void()>& fn) {
  Row row{name};
  for (int i = 0; i < reps; ++i) row.run(bytes, fn);
  return row;
}

volatile std::uint8_t g_sink;  // keeps results alive

// Runs `per_block` over the corpus in 1 MiB blocks.
void over_blocks(const Corpus& c, const std::function<void(ByteView)>& per_block) {
  ByteView all(c.bytes);
  for (std::size_t off = 0; off < all.size(); off += kBlock)
    per_block(all.subspan(off, std::min(kBlock, all.size() - off)));
}

// ---------------------------------------------------------------- the write path

struct WriteStats {
  std::uint64_t chunks = 0, fresh = 0, stored = 0;
};

struct ScratchRepo {
  fs::path dir;
  std::unique_ptr<repo::Repository> repo;
  ~ScratchRepo() {
    repo.reset();
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

std::unique_ptr<ScratchRepo> make_repo(const fs::path& parent) {
  auto s = std::make_unique<ScratchRepo>();
  std::string tmpl = (parent / "cairn-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    die(fmt::format("cannot create a scratch directory in '{}'", parent.string()));
  s->dir = tmpl;
  repo::InitOptions o;
  o.kdf = crypto::KdfParams::fast_for_tests();
  if (auto st = repo::init(s->dir / "repo", "bench", o); !st) die(st.error().message);
  auto r = repo::Repository::open(s->dir / "repo", repo::Unlock{"bench", std::nullopt});
  if (!r) die(r.error().message);
  s->repo = std::move(*r);
  return s;
}

class FirstError {
 public:
  void set(const Error& e) {
    std::lock_guard l(mu_);
    if (!e_) e_ = e;
  }
  void check() const {
    if (e_) die(e_->message);
  }

 private:
  std::mutex mu_;
  std::optional<Error> e_;
};

// Each thread takes whole files (largest first) and does everything for them.
WriteStats write_files_split(const Corpus& c, repo::Repository& r, unsigned threads) {
  auto ws = r.begin_write(repo::WriteSession::Scope::any);
  if (!ws) die(ws.error().message);
  std::vector<std::size_t> order(c.files.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return c.files[a].second > c.files[b].second; });
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> chunks{0}, fresh{0};
  FirstError err;
  const auto& ch = r.chunker();
  auto work = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < order.size();) {
      ByteView f = c.file(order[k]);
      while (!f.empty()) {
        const std::size_t n = ch.next_cut(f, true);
        const ByteView piece = f.first(n);
        hash::Digest proof;  // as cairn-pack does: the set records each chunk's possession proof
        const auto id = (*ws)->id_of(piece, &proof);
        g_sink = proof.b[0];
        auto put = (*ws)->put(id, repo::BlobType::data, piece);
        if (!put) {
          err.set(put.error());
          next = order.size();
          return;
        }
        chunks += 1;
        fresh += *put ? 1 : 0;
        f = f.subspan(n);
      }
    }
  };
  std::vector<std::thread> ts;
  for (unsigned i = 1; i < threads; ++i) ts.emplace_back(work);
  work();
  for (auto& t : ts) t.join();
  err.check();
  auto fin = (*ws)->finish();
  if (!fin) die(fin.error().message);
  return {chunks.load(), fresh.load(), (*ws)->stored_bytes()};
}

// cairn-pack's shape: this thread cuts and hashes, the queue's workers put.
WriteStats write_pack_shaped(const Corpus& c, repo::Repository& r, unsigned threads) {
  auto ws = r.begin_write(repo::WriteSession::Scope::any);
  if (!ws) die(ws.error().message);
  std::atomic<std::uint64_t> fresh{0};
  std::uint64_t chunks = 0;
  {
    WorkQueue q(threads, 96ull << 20);
    const auto& ch = r.chunker();
    for (std::size_t i = 0; i < c.files.size(); ++i) {
      ByteView f = c.file(i);
      while (!f.empty()) {
        const std::size_t n = ch.next_cut(f, true);
        const ByteView piece = f.first(n);
        hash::Digest proof;
        const auto id = (*ws)->id_of(piece, &proof);
        g_sink = proof.b[0];
        ++chunks;
        auto* s = ws->get();
        auto st = q.submit(piece.size(), [s, id, piece, &fresh]() -> Status {
          CAIRN_TRY_ASSIGN(bool added, s->put(id, repo::BlobType::data, piece));
          if (added) fresh += 1;
          return {};
        });
        if (!st) die(st.error().message);
        f = f.subspan(n);
      }
    }
    if (auto st = q.wait(); !st) die(st.error().message);
  }
  auto fin = (*ws)->finish();
  if (!fin) die(fin.error().message);
  return {chunks, fresh.load(), (*ws)->stored_bytes()};
}

// ---------------------------------------------------------------- the write path by stage

// The write path's work split into its stages, each timed alone on one core over the write
// path's own chunks (default chunking, the corpus's duplicates removed as the write path
// removes them): what each stage costs per input byte, and so what 2 cores could reach at best
// if the stages overlapped perfectly and nothing else (locks, allocation, bookkeeping) cost
// anything. A goal above that ceiling needs cheaper primitives, not better plumbing.
struct Stage {
  std::string name;
  double seconds = 1e300;  // best of the runs
};

std::vector<Stage> stage_costs(const Corpus& c, const fs::path& repo_dir, int reps) {
  Bytes key(32);
  crypto::random_bytes(key);
  const chunker::Chunker ch(chunker::Params{}, key);
  const hash::KeyedHasher hm(hash::Algo::hmac_sha256, key);
  std::vector<ByteView> chunks;
  std::vector<hash::Digest> ids;
  std::vector<std::size_t> fresh;  // indexes of first occurrences
  std::vector<Bytes> payloads;     // compressed (or raw) form of each fresh chunk
  Bytes sealed_all;
  std::vector<Stage> st{{"chunker: find the cuts"},
                        {"chunk ids: HMAC-SHA-256 of every chunk"},
                        {"deduplicate: hash-table lookups"},
                        {"compress: zstd -3 of each new chunk (Compressor)"},
                        {"seal: XChaCha20-Poly1305 of each payload"},
                        {"pack name: BLAKE2b of the pack bytes"},
                        {"write: pack bytes to a file in 1 MiB writes, fsync"}};
  auto time = [&](Stage& s, const std::function<void()>& fn) {
    const double t0 = now_s();
    fn();
    s.seconds = std::min(s.seconds, now_s() - t0);
  };
  const Bytes ad(66, 1);
  for (int rep = 0; rep < reps; ++rep) {
    time(st[0], [&] {
      chunks.clear();
      for (std::size_t i = 0; i < c.files.size(); ++i) {
        ByteView f = c.file(i);
        while (!f.empty()) {
          const std::size_t n = ch.next_cut(f, true);
          chunks.push_back(f.first(n));
          f = f.subspan(n);
        }
      }
    });
    time(st[1], [&] {
      ids.clear();
      for (const auto& k : chunks) ids.push_back(hm.hash(k));
    });
    time(st[2], [&] {
      std::unordered_set<hash::Digest> seen;
      fresh.clear();
      for (std::size_t i = 0; i < ids.size(); ++i)
        if (seen.insert(ids[i]).second) fresh.push_back(i);
    });
    compress::Compressor z(3);
    payloads.assign(fresh.size(), Bytes{});
    time(st[3], [&] {
      for (std::size_t j = 0; j < fresh.size(); ++j) {
        auto r = z.compress(chunks[fresh[j]], payloads[j]);
        if (!r) die(r.error().message);
        if (!*r) payloads[j].assign(chunks[fresh[j]].begin(), chunks[fresh[j]].end());
      }
    });
    time(st[4], [&] {
      sealed_all.clear();
      for (const auto& pl : payloads) crypto::seal_append(key, pl, ad, sealed_all);
    });
    time(st[5], [&] { g_sink = hash::blake2b(sealed_all).b[0]; });
    time(st[6], [&] {
      const fs::path f = repo_dir / fmt::format("cairn-bench-stage-{}.tmp", ::getpid());
      auto fd = io::open_file(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (!fd) die(fd.error().message);
      for (std::size_t off = 0; off < sealed_all.size(); off += kMiB) {
        auto w = io::write_full(
            fd->get(), ByteView(sealed_all).subspan(off, std::min(kMiB, sealed_all.size() - off)),
            f.string());
        if (!w) die(w.error().message);
      }
      if (::fsync(fd->get()) != 0) die("fsync failed");
      ::unlink(f.c_str());
    });
  }
  return st;
}

// ---------------------------------------------------------------- main

struct Options {
  std::optional<fs::path> dir;
  std::uint64_t max_mib = 2048, gen_mib = 256;
  int reps = 3;
  unsigned threads = 2;
  fs::path repo_dir;
  bool tsv = false;
  std::string only;  // empty: everything
  bool want(std::string_view what) const {
    if (only.empty()) return true;
    return ("," + only + ",").find(fmt::format(",{},", what)) != std::string::npos;
  }
};

Options parse(int argc, char** argv) {
  Options o;
  const char* tmp = std::getenv("TMPDIR");
  o.repo_dir = tmp && *tmp ? tmp : "/tmp";
  auto num = [&](int& i) -> std::uint64_t {
    if (i + 1 >= argc) die(fmt::format("'{}' needs a value", argv[i]));
    char* end = nullptr;
    const auto v = std::strtoull(argv[++i], &end, 10);
    if (!end || *end || v == 0) die(fmt::format("bad value '{}' for '{}'", argv[i], argv[i - 1]));
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--max-mib")
      o.max_mib = num(i);
    else if (a == "--gen-mib")
      o.gen_mib = num(i);
    else if (a == "--reps")
      o.reps = static_cast<int>(num(i));
    else if (a == "--threads")
      o.threads = static_cast<unsigned>(num(i));
    else if (a == "--repo-dir") {
      if (i + 1 >= argc) die("'--repo-dir' needs a value");
      o.repo_dir = argv[++i];
    } else if (a == "--only") {
      if (i + 1 >= argc) die("'--only' needs a value");
      o.only = argv[++i];
    } else if (a == "--tsv")
      o.tsv = true;
    else if (a == "-h" || a == "--help") {
      std::puts(
          "usage: bench_primitives [DIR] [--max-mib N] [--gen-mib N] [--reps N] [--threads N] "
          "[--repo-dir DIR] [--only hash,zstd,seal,chunker,stages,write1,write,pack] [--tsv]");
      std::exit(0);
    } else if (!a.empty() && a[0] != '-' && !o.dir)
      o.dir = a;
    else
      die(fmt::format("unknown argument '{}' (see --help)", a));
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  ::setenv("CAIRN_TEST_FAST_KDF", "1", 1);  // the scratch repositories' key slots
  if (auto st = crypto::init(); !st) die(st.error().message);
  const Options o = parse(argc, argv);

  std::fprintf(stderr, "bench_primitives: loading data\n");
  const Corpus c = o.dir ? read_dir(*o.dir, o.max_mib * kMiB) : generate(o.gen_mib * kMiB);
  if (c.bytes.empty()) die("no data");
  const std::uint64_t n = c.bytes.size();
  std::fprintf(stderr, "bench_primitives: %s, %.1f MB\n", c.origin.c_str(),
               static_cast<double>(n) / 1e6);

  Bytes key(32);
  crypto::random_bytes(key);
  std::vector<Row> rows;
  const std::string one = "1 MiB blocks, 1 core";

  if (o.want("hash")) {
    rows.push_back(measure("BLAKE2b-256", o.reps, n, [&] {
      over_blocks(c, [](ByteView b) { g_sink = hash::blake2b(b).b[0]; });
    }));
    rows.back().note = one;
    const hash::KeyedHasher kb(hash::Algo::blake2b_keyed, key), hm(hash::Algo::hmac_sha256, key);
    rows.push_back(measure("keyed BLAKE2b-256 (KeyedHasher)", o.reps, n,
                           [&] { over_blocks(c, [&](ByteView b) { g_sink = kb.hash(b).b[0]; }); }));
    rows.back().note = one;
    rows.push_back(measure("HMAC-SHA-256 (KeyedHasher)", o.reps, n,
                           [&] { over_blocks(c, [&](ByteView b) { g_sink = hm.hash(b).b[0]; }); }));
    rows.back().note = one;
  }
  Row zstd;
  if (o.want("zstd")) {
    std::uint64_t zout = 0, zraw = 0;
    compress::Compressor z(3);
    Bytes out;
    rows.push_back(measure("zstd -3 (Compressor)", o.reps, n, [&] {
      zout = zraw = 0;
      over_blocks(c, [&](ByteView b) {
        auto r = z.compress(b, out);
        if (!r) die(r.error().message);
        if (*r)
          zout += out.size();
        else
          zout += b.size(), zraw += 1;
      });
    }));
    rows.back().note = fmt::format("{}; output {:.1f}% of input, {} of {} blocks stored raw", one,
                                   100.0 * static_cast<double>(zout) / static_cast<double>(n), zraw,
                                   (n + kBlock - 1) / kBlock);
    zstd = rows.back();
  }
  if (o.want("seal")) {
    Bytes out;
    out.reserve(kBlock + crypto::kSealOverhead);
    const Bytes ad(64, 7);
    rows.push_back(measure("XChaCha20-Poly1305 seal", o.reps, n, [&] {
      over_blocks(c, [&](ByteView b) {
        out.clear();
        crypto::seal_append(key, b, ad, out);
        g_sink = out[0];
      });
    }));
    rows.back().note = one;
  }
  if (o.want("chunker")) {
    const chunker::Chunker ch(chunker::Params{}, key);
    std::uint64_t cuts = 0;
    rows.push_back(measure("chunker (gear CDC, default params)", o.reps, n, [&] {
      cuts = 0;
      for (std::size_t i = 0; i < c.files.size(); ++i) {
        ByteView f = c.file(i);
        while (!f.empty()) {
          f = f.subspan(ch.next_cut(f, true));
          ++cuts;
        }
      }
    }));
    rows.back().note = fmt::format(
        "file by file, 1 core; {} chunks, mean {:.0f} KiB", cuts,
        static_cast<double>(n) / 1024.0 / static_cast<double>(std::max<std::uint64_t>(cuts, 1)));
  }

  std::vector<Stage> stages;
  if (o.want("stages")) {
    std::fprintf(stderr, "  write path by stage\n");
    stages = stage_costs(c, o.repo_dir, o.reps);
  }

  // The write path: a fresh repository for every run (else the second run only deduplicates).
  auto write_row = [&](const std::string& name, auto&& fn) {
    WriteStats ws;
    Row row{name};
    for (int i = 0; i < o.reps; ++i) {
      auto scratch = make_repo(o.repo_dir);
      row.run(n, [&] { ws = fn(*scratch->repo); });
    }
    row.note = fmt::format("{} chunks, {} new, {:.1f} MB stored ({:.1f}% of input)", ws.chunks,
                           ws.fresh, static_cast<double>(ws.stored) / 1e6,
                           100.0 * static_cast<double>(ws.stored) / static_cast<double>(n));
    rows.push_back(row);
    return row;
  };
  if (o.want("write1") || o.want("write") || o.want("pack"))
    std::fprintf(stderr, "  write path: scratch repositories in %s\n", o.repo_dir.string().c_str());
  if (o.want("write1"))
    write_row("write path, 1 thread",
              [&](repo::Repository& r) { return write_files_split(c, r, 1); });
  Row wp, wq;
  if (o.want("write"))
    wp = write_row(fmt::format("write path, {} threads (files split)", o.threads),
                   [&](repo::Repository& r) { return write_files_split(c, r, o.threads); });
  if (o.want("pack"))
    wq = write_row(fmt::format("write path, cairn-pack shape (1 + {} workers)", o.threads),
                   [&](repo::Repository& r) { return write_pack_shaped(c, r, o.threads); });
  // The goal's ratio on the wall clock, and estimated from CPU time (as if `threads` idle cores
  // ran in parallel with no waiting): the second tells what the code can do on a busy machine.
  auto ratio = [&](const Row& w) { return zstd.mbps > 0 && w.mbps > 0 ? w.mbps / zstd.mbps : 0.0; };
  auto ratio_cpu = [&](const Row& w) {
    return zstd.cpu_mbps > 0 && w.cpu_mbps > 0 ? w.cpu_mbps * o.threads / zstd.cpu_mbps : 0.0;
  };

  if (o.tsv) {
    std::printf("name\tMB/s\tMB/cpu-s\tcores\tnote\n");
    for (auto& r : rows)
      std::printf("%s\t%.0f\t%.0f\t%.2f\t%s\n", r.name.c_str(), r.mbps, r.cpu_mbps, r.cores,
                  r.note.c_str());
    if (ratio(wp) > 0)
      std::printf("ratio write-path-%u-threads/zstd-3-1-core\t%.2f\t%.2f\t\tgoal >= 1.5\n",
                  o.threads, ratio(wp), ratio_cpu(wp));
    if (ratio(wq) > 0)
      std::printf("ratio write-path-pack-shape/zstd-3-1-core\t%.2f\t%.2f\t\tgoal >= 1.5\n",
                  ratio(wq), ratio_cpu(wq));
    return 0;
  }
  std::printf("data: %s, %.1f MB; best of %d runs; MB = 10^6 bytes\n\n", c.origin.c_str(),
              static_cast<double>(n) / 1e6, o.reps);
  std::printf("| %-48s | %8s | %8s | %5s | %s |\n", "measurement", "MB/s", "MB/CPU-s", "cores",
              "notes");
  std::printf("|---|---:|---:|---:|---|\n");
  for (auto& r : rows)
    std::printf("| %-48s | %8.0f | %8.0f | %5.2f | %s |\n", r.name.c_str(), r.mbps, r.cpu_mbps,
                r.cores, r.note.c_str());
  std::printf(
      "\nMB/s: wall clock. MB/CPU-s: bytes per second of process CPU time (what one idle core "
      "does).\n");
  if (!stages.empty()) {
    const double mb = static_cast<double>(n) / 1e6;
    double total = 0;
    std::printf(
        "\nThe write path by stage (each alone, 1 core, on its own chunks; ns per input "
        "byte):\n\n");
    std::printf("| %-52s | %7s | %8s |\n", "stage", "ns/B", "MB/s");
    std::printf("|---|---:|---:|\n");
    for (const auto& s : stages) {
      total += s.seconds;
      std::printf("| %-52s | %7.2f | %8.0f |\n", s.name.c_str(), s.seconds / mb * 1e3,
                  mb / s.seconds);
    }
    std::printf("| %-52s | %7.2f | %8.0f |\n", "sum", total / mb * 1e3, mb / total);
    if (zstd.mbps > 0)
      std::printf(
          "\nCeiling on %u cores with these stages overlapping perfectly: %.0f MB/s = %.2fx zstd "
          "-3 on 1 core.\n",
          o.threads, o.threads * mb / total, o.threads * mb / total / zstd.mbps);
  }
  auto verdict = [](double r) { return r >= 1.5 ? "met" : "MISSED"; };
  if (ratio(wp) > 0)
    std::printf(
        "write path (%u threads, files split) / zstd -3 (1 core) = %.2f wall-clock (goal >= 1.5: "
        "%s); "
        "%.2f from CPU time with %u idle cores (%s)\n",
        o.threads, ratio(wp), verdict(ratio(wp)), ratio_cpu(wp), o.threads, verdict(ratio_cpu(wp)));
  if (ratio(wq) > 0)
    std::printf(
        "write path (cairn-pack shape, 1 + %u) / zstd -3 (1 core) = %.2f wall-clock (goal >= 1.5: "
        "%s); "
        "%.2f from CPU time with %u idle cores (%s)\n",
        o.threads, ratio(wq), verdict(ratio(wq)), ratio_cpu(wq), o.threads, verdict(ratio_cpu(wq)));
  return 0;
}
