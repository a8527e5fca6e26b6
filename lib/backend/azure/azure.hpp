// lib/backend/azure/azure.hpp: the Azure Blob Storage backend. Objects are block blobs at
// <container>/<prefix>/<Key::path()>. put = one Put Blob (atomic), or Put Block + Put Block
// List above the threshold (uncommitted blocks are dropped by the service after a week);
// every body goes with Content-MD5, which the service verifies. Authorisation: SharedKey
// with the account key, or a SAS token appended to every URL.
// Depends on: backend, net, backend/azure/sharedkey. Threads: the backend is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "backend/remote.hpp"
#include "net/http.hpp"

namespace cairn::backend::azure {

inline constexpr std::string_view kApiVersion = "2021-12-02";

struct Config {
  std::string account;
  std::string container;
  std::string prefix;  // no leading or trailing '/'
  // e.g. https://acct.blob.core.windows.net, http://127.0.0.1:10000/devstoreaccount1
  std::string endpoint;
  SecretString key;  // base64 account key, or empty with a SAS token
  SecretString sas;  // without '?'
  std::uint64_t multipart_threshold = 64ull << 20;
  std::uint64_t block_size = 16ull << 20;
  unsigned list_page_size = 0;  // maxresults; 0 = the service's default (5000)
  net::Settings http;
};

Result<std::unique_ptr<Backend>> open(Config c);

// Fills a Config's account, key, SAS and endpoint from the options (env) for `account`.
// Errc::auth when there is no key or SAS for that account.
Status resolve_credentials(const RemoteOptions& opts, Config& c);

struct ListPage {
  std::vector<std::pair<std::string, std::uint64_t>> blobs;  // name, size
  std::optional<std::string> next_marker;
};
Result<ListPage> parse_list(std::string_view xml);

}  // namespace cairn::backend::azure
