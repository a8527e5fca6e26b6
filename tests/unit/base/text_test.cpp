#include <catch2/catch.hpp>

#include <string>

#include "base/text.hpp"

using namespace cairn;

TEST_CASE("base::format_bytes: binary units with one decimal", "[base]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(5ull << 30) == "5.0 GiB");
  CHECK(format_bytes(~0ull) == "16.0 EiB");
  // The compact form of cairn status's table.
  CHECK(format_bytes(512, "") == "512B");
  CHECK(format_bytes(1536, "") == "1.5KiB");
  CHECK(format_bytes(5ull << 30, "") == "5.0GiB");
}

TEST_CASE("base::append_json_string: escapes quotes, backslashes and controls", "[base]") {
  std::string out = "x";
  append_json_string(out, "a\"b\\c\n\x01");
  CHECK(out == "x\"a\\\"b\\\\c\\n\\u0001\"");
  out.clear();
  append_json_string(out, std::string("\t\r\b\f\x1f\x7f\0", 7));
  CHECK(out == std::string("\"\\t\\r\\b\\f\\u001f\x7f\\u0000\""));
  out.clear();
  append_json_string(out, "r\xc3\xa9sum\xc3\xa9");  // UTF-8 passes as it is
  CHECK(out == "\"r\xc3\xa9sum\xc3\xa9\"");
}
