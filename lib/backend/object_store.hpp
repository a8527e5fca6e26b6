// lib/backend/object_store.hpp: what the remote backends share. RemoteBackend (S3, Azure,
// SFTP): the connection count as properties, object names checked before any request,
// messages that name location()/key, the config object listed by a stat, and put_file's
// skipping of a content-addressed object already stored. ObjectStore (S3, Azure): the
// object-store skeleton over HTTP: put, put_file, get (ranged), stat (HEAD), list (paged)
// and remove, each one request built by the service's send().
// Depends on: backend, net. Threads: the backends are thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "net/http.hpp"

namespace cairn::backend {

using Params = std::vector<std::pair<std::string, std::string>>;

// A decimal size ("1024"); nullopt for anything else.
std::optional<std::uint64_t> parse_u64(std::string_view s);

// The objects of a listing document: each <entry> element's <name_tag> and <size_tag>.
// Errc::network when the document is not a <root> one ("the listing is not `what_root`
// document") or an entry lacks its name or size.
Result<std::vector<std::pair<std::string, std::uint64_t>>> parse_entries(
    std::string_view xml, std::string_view root, std::string_view what_root, std::string_view entry,
    std::string_view name_tag, std::string_view size_tag);

class RemoteBackend : public Backend {
 public:
  explicit RemoteBackend(unsigned max_connections)
      : max_connections_(std::max(1u, max_connections)) {}
  Properties properties() const override { return Properties{max_connections_, false}; }
  // The config object by a stat (it lies outside the kind folders); the others by list_kind.
  Status list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) final;

 protected:
  virtual Status list_kind(Kind kind, const std::function<Status(const ObjectInfo&)>& each) = 0;
  // Errc::bad_input for a malformed name: no path tricks reach the storage.
  Status check(const Key& k) const;
  std::string display(const Key& k) const { return location() + "/" + k.path(); }
  Error exists_error(const Key& k) const;
  // put_file of a content-addressed object already there: true, nothing to send. Write-only
  // credentials that may not stat: false (upload anyway).
  Result<bool> stored_already(const Key& k);
  // Opens `src` and calls `fn` with its bytes as a file body.
  static Status with_file_body(const std::filesystem::path& src,
                               const std::function<Status(net::Body)>& fn);

 private:
  unsigned max_connections_;
};

class ObjectStore : public RemoteBackend {
 public:
  Status put(const Key& k, ByteView body, bool no_replace) override;
  Status put_file(const Key& k, const std::filesystem::path& src) override;
  Result<Bytes> get(const Key& k, std::uint64_t offset, std::uint64_t length) override;
  Result<std::optional<ObjectInfo>> stat(const Key& k) override;
  Status remove(const Key& k) override;

 protected:
  static constexpr std::size_t kMaxXml = 16u << 20;  // a listing page or an error document

  // One request of the service, signed and sent by send().
  struct Call {
    std::string method = "GET";
    std::string name;  // the object's name under the bucket or container, unencoded; "" = it
    Params query;      // unencoded
    Params headers;    // extra headers, lower-case names
    net::Body body;
    bool body_md5 = false;  // Azure: send the Content-MD5 of the body (S3 always does)
    std::size_t max_response = kMaxXml;
    std::size_t expect_size = 0;
  };
  // One page of a listing: names under the bucket or container with their sizes.
  struct Page {
    std::vector<std::pair<std::string, std::uint64_t>> objects;
    std::optional<std::string> next;  // the token or marker of the next page
  };

  // `range_header`: the header a ranged get sends ("range", "x-ms-range").
  ObjectStore(const net::Settings& http, std::string prefix, std::string range_header);

  std::string object_name(const Key& k) const {
    return prefix_.empty() ? k.path() : prefix_ + "/" + k.path();
  }
  // A call of `method` on the object of `k`, without a body.
  Call object_call(std::string method, const Key& k) const;
  // Performs `call` at `url` ("origin/path?query") with these "Name: value" header lines (as
  // the service signed them): what each send() ends with.
  Result<net::Response> perform(const Call& call, std::string url,
                                std::vector<std::string> header_lines, std::string_view what);

  virtual Result<net::Response> send(Call call, std::string_view what) = 0;
  // put and put_file: one request, or a multipart upload (`body` is readable again).
  virtual Status upload(const Key& k, const net::Body& body, bool no_replace) = 0;
  // The listing of names that start with `prefix`, from `token` on (nullopt: the first page).
  virtual Result<Page> list_page(const std::string& prefix, const std::optional<std::string>& token,
                                 std::string_view what) = 0;

 private:
  Status list_kind(Kind kind, const std::function<Status(const ObjectInfo&)>& each) final;

  std::string prefix_;  // no leading or trailing '/'
  std::string range_header_;
  std::unique_ptr<net::Transport> http_;
};

}  // namespace cairn::backend
