#include "backend/aws_profile.hpp"

#include <string.h>  // explicit_bzero

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "io/file.hpp"

namespace cairn::backend {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<AwsProfile> read_aws_profile(const std::filesystem::path& file, std::string_view profile) {
  auto bytes = io::read_file(file);
  if (!bytes && bytes.error().code == Errc::not_found)
    return Error{Errc::not_found,
                 fmt::format("the AWS credentials file '{}' does not exist", file.string())};
  if (!bytes) return std::move(bytes).error();
  struct Wipe {
    Bytes& b;
    ~Wipe() { explicit_bzero(b.data(), b.size()); }
  } wipe{*bytes};
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  std::vector<std::string> names;
  std::string section;
  bool found = false;
  AwsProfile p;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(trim(line.substr(1, line.size() - 2)));
      names.push_back(section);
      found = found || section == profile;
      continue;
    }
    if (section != profile) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = lower(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id")
      p.access_key_id = std::string(value);
    else if (key == "aws_secret_access_key")
      p.secret_access_key = net::SecretString(std::string(value));
    else if (key == "aws_session_token")
      p.session_token = net::SecretString(std::string(value));
  }
  if (!found) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return Error{Errc::auth,
                 fmt::format("the AWS profile '{}' is not in '{}' (it has: {}): set AWS_PROFILE "
                             "to one of them",
                             profile, file.string(), known.empty() ? "none" : known)};
  }
  if (p.access_key_id.empty() || p.secret_access_key.empty())
    return Error{Errc::auth, fmt::format("the AWS profile '{}' in '{}' lacks aws_access_key_id or "
                                         "aws_secret_access_key",
                                         profile, file.string())};
  return p;
}

}  // namespace cairn::backend
