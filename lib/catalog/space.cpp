// lib/catalog/space.cpp: the destination_space table, the free space each destination's
// storage reported when cairn-push last measured it (cairn status reads no remote storage).
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "catalog/sqlite.hpp"

namespace cairn::catalog {

Status Catalog::record_space(const DestinationSpace& d) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (d.size > kMax || d.used > kMax || d.avail > kMax)
    return Error{Errc::bad_input, fmt::format("the space of '{}' is out of range ({} bytes)",
                                              d.destination, std::max({d.size, d.used, d.avail}))};
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT OR REPLACE INTO destination_space(destination, size, "
                                     "used, avail, measured_ns) VALUES (?1, ?2, ?3, ?4, ?5)"));
  s.bind_text(1, d.destination);
  s.bind_int(2, static_cast<std::int64_t>(d.size));
  s.bind_int(3, static_cast<std::int64_t>(d.used));
  s.bind_int(4, static_cast<std::int64_t>(d.avail));
  s.bind_int(5, d.measured_ns);
  return s.run(fmt::format("cannot record the space of '{}'", d.destination));
}

Result<std::vector<DestinationSpace>> Catalog::destination_spaces() {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT destination, size, used, avail, measured_ns "
                                     "FROM destination_space ORDER BY destination"));
  std::vector<DestinationSpace> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot read the destinations' space"));
    if (!row) break;
    out.push_back(DestinationSpace{s.text(0), static_cast<std::uint64_t>(s.int64(1)),
                                   static_cast<std::uint64_t>(s.int64(2)),
                                   static_cast<std::uint64_t>(s.int64(3)), s.int64(4)});
  }
  return out;
}

}  // namespace cairn::catalog
