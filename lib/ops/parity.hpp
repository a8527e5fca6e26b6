// lib/ops/parity.hpp: `cairn parity build` and cairn-pack's parity at the end of a session:
// erasure-coded parity objects over groups of packs (repo/parity.hpp, cairn-repository(5)
// PARITY). Each object written is printed as "+parity/<id>" so that cairn-push carries it.
// Depends on: repo. Threads: plain functions.
#pragma once

#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"
#include "repo/repo.hpp"

namespace cairn::ops {

struct ParityOptions {
  RepoOptions repo;
  std::string code;  // "K+M"; empty: the repository's (config "parity")
};

// Covers every stored pack no parity object names yet. Errc::usage when no code is given and
// the repository has none.
Result<Outcome> parity_build(const ParityOptions& o, io::Writer& out, Observer& obs);

// cairn-pack: parity for the packs among `objects` ("packs/.." paths a session wrote), with the
// repository's code (nothing when it has none). Returns the paths written ("parity/..").
Result<std::vector<std::string>> parity_for_session(repo::Repository& r,
                                                    const std::vector<std::string>& objects);

}  // namespace cairn::ops
