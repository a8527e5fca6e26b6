// The whole-pack read cache (cache.hpp).
#include "backend/cache.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/tempdir.hpp"
#include "io/file.hpp"

namespace cairn::backend {

namespace {

namespace fs = std::filesystem;

class PackCache final : public Backend {
 public:
  PackCache(std::unique_ptr<Backend> inner, TempDir dir, PackCacheOptions o)
      : inner_(std::move(inner)), tmp_(std::move(dir)), dir_(tmp_.path()), o_(o) {}
  ~PackCache() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : ahead_threads_) t.join();
  }
  PackCache(const PackCache&) = delete;
  PackCache& operator=(const PackCache&) = delete;

  void will_read(const std::vector<Key>& keys) override {
    std::lock_guard lock(mu_);
    for (const auto& k : keys) {
      if (k.kind != Kind::pack || !k.valid() || !whole_.insert(k.name).second) continue;
      wanted_.push_back(k);
    }
    while (ahead_threads_.size() < o_.ahead) ahead_threads_.emplace_back([this] { fetch_ahead(); });
    cv_.notify_all();
  }

  Properties properties() const override { return inner_->properties(); }
  std::string location() const override { return inner_->location(); }
  Status put(const Key& k, ByteView body, bool no_replace) override {
    return inner_->put(k, body, no_replace);
  }
  Status put_file(const Key& k, const fs::path& src) override { return inner_->put_file(k, src); }
  Result<std::optional<ObjectInfo>> stat(const Key& k) override { return inner_->stat(k); }
  Result<std::optional<SpaceFigures>> space() override { return inner_->space(); }
  Status list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) override {
    return inner_->list(kind, each);
  }
  Status remove(const Key& k) override {
    forget(k);
    return inner_->remove(k);
  }

  Result<Bytes> get(const Key& k, std::uint64_t offset, std::uint64_t length) override {
    if (k.kind != Kind::pack || length == 0 || !k.valid()) return inner_->get(k, offset, length);
    std::unique_lock lock(mu_);
    Entry& e = entries_[k.name];
    if (e.state == State::seen && e.reads < o_.direct_reads && !whole_.contains(k.name)) {
      ++e.reads;
      lock.unlock();
      return inner_->get(k, offset, length);
    }
    if (e.state == State::seen) load_locked(lock, k, e, false);
    cv_.wait(lock, [&] { return e.state != State::loading; });
    if (e.state != State::ready) {
      lock.unlock();
      return inner_->get(k, offset, length);
    }
    if (e.ahead) {  // its first read: an ordinary cached pack from now on
      e.ahead = false;
      ahead_bytes_ -= e.size;
      cv_.notify_all();
    }
    lru_.splice(lru_.begin(), lru_, e.lru);
    ++e.users;
    lock.unlock();
    auto out = read_cached(k, e.size, offset, length);
    lock.lock();
    --e.users;
    if (e.users == 0) evict_locked();
    return out;
  }

 private:
  enum class State { seen, loading, ready, failed };
  struct Entry {
    State state = State::seen;
    unsigned reads = 0;
    std::uint64_t size = 0;
    unsigned users = 0;
    bool ahead = false;  // fetched ahead (will_read) and not read yet: not evicted
    std::list<std::string>::iterator lru;
  };

  // Fetches `k` whole (its entry `e` is State::seen; `lock` holds mu_, released meanwhile).
  void load_locked(std::unique_lock<std::mutex>& lock, const Key& k, Entry& e, bool ahead) {
    e.state = State::loading;
    lock.unlock();
    auto size = fetch(k);
    lock.lock();
    if (size) {
      e.state = State::ready;
      e.size = *size;
      e.ahead = ahead;
      if (ahead) ahead_bytes_ += *size;
      cached_ += *size;
      lru_.push_front(k.name);
      e.lru = lru_.begin();
      evict_locked();
    } else {
      e.state = State::failed;  // read it range by range from now on
    }
    cv_.notify_all();
  }

  // A will_read() worker: fetches the wanted packs in order, while those fetched ahead and not
  // read yet hold less than half the cache.
  void fetch_ahead() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] {
        return stop_ || (next_wanted_ < wanted_.size() && ahead_bytes_ < o_.max_bytes / 2);
      });
      if (stop_) return;
      const Key k = wanted_[next_wanted_++];
      Entry& e = entries_[k.name];
      if (e.state == State::seen) load_locked(lock, k, e, true);
    }
  }

  fs::path file_of(const Key& k) const { return dir_ / k.name; }

  // The whole pack into the cache directory, in pieces fetched in parallel. Returns its size;
  // an error (or a pack too large for the cache) means "do not cache it".
  Result<std::uint64_t> fetch(const Key& k) {
    CAIRN_TRY_ASSIGN(auto info, inner_->stat(k));
    if (!info)
      return Error{Errc::not_found, fmt::format("no pack '{}' at '{}'", k.name, location())};
    const std::uint64_t size = info->size;
    if (size == 0 || size > o_.max_bytes) return Error{Errc::io, "not cached"};
    const fs::path part = dir_ / (k.name + ".part");
    CAIRN_TRY_ASSIGN(io::Fd fd, io::open_file(part, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    const std::uint64_t piece = std::max<std::uint64_t>(o_.piece, 64u << 10);
    const std::uint64_t pieces = (size + piece - 1) / piece;
    std::atomic<std::uint64_t> next{0};
    std::mutex err_mu;
    std::optional<Error> error;
    auto worker = [&] {
      for (;;) {
        {
          std::lock_guard l(err_mu);
          if (error) return;
        }
        const std::uint64_t i = next.fetch_add(1);
        if (i >= pieces) return;
        const std::uint64_t off = i * piece, n = std::min(piece, size - off);
        auto data = inner_->get(k, off, n);
        Status st;
        if (!data)
          st = std::move(data).error();
        else if (data->size() != n)
          st = Error{Errc::corrupt,
                     fmt::format("pack '{}' at '{}' is shorter than listed", k.name, location())};
        else if (::pwrite(fd.get(), data->data(), n, static_cast<off_t>(off)) !=
                 static_cast<ssize_t>(n))
          st = errno_error(errno, fmt::format("cannot write '{}'", part.string()));
        if (!st) {
          std::lock_guard l(err_mu);
          if (!error) error = st.error();
          return;
        }
      }
    };
    const unsigned threads =
        static_cast<unsigned>(std::min<std::uint64_t>(std::max(1u, o_.parallel), pieces));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (error) {
      ::unlink(part.c_str());
      return *error;
    }
    if (::rename(part.c_str(), file_of(k).c_str()) != 0) {
      const int err = errno;
      ::unlink(part.c_str());
      return errno_error(err, fmt::format("cannot rename '{}'", part.string()));
    }
    return size;
  }

  Result<Bytes> read_cached(const Key& k, std::uint64_t size, std::uint64_t offset,
                            std::uint64_t length) {
    if (offset >= size) return Bytes{};
    const std::uint64_t n = std::min(length, size - offset);
    CAIRN_TRY_ASSIGN(io::Fd fd, io::open_file(file_of(k), O_RDONLY));
    Bytes out(static_cast<std::size_t>(n));
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t r =
          ::pread(fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return errno_error(errno, fmt::format("cannot read '{}'", file_of(k).string()));
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

  // Drops least recently used packs nobody reads until the cache fits. Holds mu_.
  void evict_locked() {
    for (auto it = lru_.end(); cached_ > o_.max_bytes && it != lru_.begin();) {
      --it;
      Entry& e = entries_[*it];
      if (e.users > 0 || e.ahead) continue;
      ::unlink((dir_ / *it).c_str());
      cached_ -= e.size;
      e.state = State::seen;  // evicted: fetched again if it is read again
      e.reads = 0;
      it = lru_.erase(it);
    }
  }

  void forget(const Key& k) {
    if (k.kind != Kind::pack) return;
    std::lock_guard lock(mu_);
    auto it = entries_.find(k.name);
    if (it == entries_.end() || it->second.state != State::ready || it->second.users > 0) return;
    ::unlink(file_of(k).c_str());
    cached_ -= it->second.size;
    if (it->second.ahead) ahead_bytes_ -= it->second.size;
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }

  std::unique_ptr<Backend> inner_;
  TempDir tmp_;  // removed with the cache
  fs::path dir_;
  PackCacheOptions o_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // ready packs, most recent first
  std::uint64_t cached_ = 0;
  std::set<std::string> whole_;  // packs named by will_read()
  std::vector<Key> wanted_;      // the same, in order
  std::size_t next_wanted_ = 0;  // the next one to fetch ahead
  std::uint64_t ahead_bytes_ = 0;
  bool stop_ = false;
  std::vector<std::thread> ahead_threads_;  // last: joined before the rest goes
};

}  // namespace

Result<std::unique_ptr<Backend>> with_pack_cache(std::unique_ptr<Backend> inner,
                                                 const std::filesystem::path& parent,
                                                 PackCacheOptions o) {
  CAIRN_TRY_ASSIGN(TempDir dir, TempDir::create("cairn-packs-", parent, "a pack cache"));
  return std::unique_ptr<Backend>(std::make_unique<PackCache>(std::move(inner), std::move(dir), o));
}

}  // namespace cairn::backend
