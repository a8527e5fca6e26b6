// lib/audit/report_format.hpp: how `cairn report` writes its "cairn.report/1" document
// (ops/report.hpp gathers it; cairn(1) REPORT): as text for people, or one table of it as
// CSV (RFC 4180) for an auditor's spreadsheet. Pure functions of the document.
// Depends on: base (+ nlohmann-json). Threads: plain functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn::audit {

using Json = nlohmann::ordered_json;

// The tables `cairn report --csv TABLE` writes, in the order the text report shows them.
inline constexpr std::string_view kReportTables[] = {
    "classes", "placements", "key-slots", "generations", "checks", "holds", "audit"};

// The report for people: the document's sections as aligned tables and lines.
std::string format_text(const Json& doc);

// One table of kReportTables (the caller checked the name): a header record, then a record a
// row; null is an empty field, booleans true and false, lists joined by spaces.
std::string format_csv(const Json& doc, std::string_view table);

// One CSV record (RFC 4180): fields holding a comma, a quote, CR or LF are quoted, quotes
// doubled; the record ends with CRLF. A field a spreadsheet would take for a formula (=, +,
// -, @, tab or CR first, and not a number) gets a ' in front (OWASP: CSV injection).
std::string csv_record(const std::vector<std::string>& fields);

}  // namespace cairn::audit
