// audit::csv_record, the CSV quoting of `cairn report --csv` (RFC 4180): a field is quoted only
// when it holds a comma, a quote, CR or LF; quotes inside are doubled; records end with CRLF.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "audit/report_format.hpp"

using cairn::audit::csv_record;

TEST_CASE("csv_record leaves plain fields as they are") {
  CHECK(csv_record({"id", "time", "user"}) == "id,time,user\r\n");
  CHECK(csv_record({"", "x", ""}) == ",x,\r\n");
  CHECK(csv_record({}) == "\r\n");
  CHECK(csv_record({"-12", "+3.5", "a=b"}) == "-12,+3.5,a=b\r\n");  // numbers stay numbers
}

TEST_CASE("csv_record quotes commas, quotes and line breaks") {
  CHECK(csv_record({"litigation 42, counsel"}) == "\"litigation 42, counsel\"\r\n");
  CHECK(csv_record({"say \"no\""}) == "\"say \"\"no\"\"\"\r\n");
  CHECK(csv_record({"two\nlines", "cr\r"}) == "\"two\nlines\",\"cr\r\"\r\n");
  CHECK(csv_record({"a", "b,c", "d"}) == "a,\"b,c\",d\r\n");
}

TEST_CASE("csv_record keeps a spreadsheet from taking a field for a formula") {
  CHECK(csv_record({"=SUM(A1)"}) == "'=SUM(A1)\r\n");
  CHECK(csv_record({"+cmd|' /C calc'!A0"}) == "'+cmd|' /C calc'!A0\r\n");
  CHECK(csv_record({"-2+3", "@x", "\tx"}) == "'-2+3,'@x,'\tx\r\n");
  CHECK(csv_record({"=HYPERLINK(\"http://x\",\"y\")"}) ==
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");  // then quoted as usual
  CHECK(csv_record({"-"}) == "'-\r\n");
}
