// lib/base/text.hpp: small text forms several outputs share: byte sizes for people and JSON
// string literals for the hand-written JSON writers (manifest stream, progress events). In
// base because those writers live in modules that share nothing else (manifest, cli, ops).
// Depends on: std, fmt. Threads: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn {

// Binary units with one decimal: "512 B", "1.5 KiB", "5.0 GiB"; `sep` goes between number
// and unit ("" gives "512B", "1.5KiB").
std::string format_bytes(std::uint64_t n, std::string_view sep = " ");

// Appends `s` (valid UTF-8) as a JSON string literal, quotes included: " \ and the control
// characters escaped (\n \t \r \b \f by name, the others as \u00XX); other bytes as they are.
void append_json_string(std::string& out, std::string_view s);

}  // namespace cairn
