// lib/ops/policy_check.hpp: `cairn policy check [FILE]`: parse a policy file strictly and
// print, per class, what it keeps and which objectives it sets (cairn-policy(5)).
// Depends on: policy. Threads: plain functions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "io/file.hpp"
#include "ops/outcome.hpp"
#include "policy/policy.hpp"

namespace cairn::ops {

struct PolicyCheckOptions {
  // FILE; else CAIRN_POLICY, else /etc/cairn/policy.toml
  std::optional<std::filesystem::path> file;
  bool json = false;  // one JSON object a class, "schema":"cairn.policy/1"
};

// Errc::not_found when the file is absent, Errc::bad_input (exit 1) naming the line of the
// first problem. Prints "policy 'FILE': N classes", then per class (by name) its rules.
Result<Outcome> policy_check(const PolicyCheckOptions& o, io::Writer& out);

// What a class keeps, in words: "the 3 newest sets; the newest set of each of the 14 newest
// days with a set; the newest set of each of the 8 newest ISO weeks with a set (UTC); every
// set less than 2w older than the newest", or "every set (no retention rules)".
std::string describe_keep(const policy::Class& c);

}  // namespace cairn::ops
