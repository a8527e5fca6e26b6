// Catch2 main for the remote-backend integration tests: runs the selected tests when the
// environment names their servers, else exits 77 (ctest SKIP_RETURN_CODE). Listing works
// without any server, so ctest can discover the tests everywhere.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/remote.hpp"

namespace {

struct Service {
  const char* tag;
  const char* env;
};
constexpr Service kServices[] = {{"s3", "CAIRN_TEST_S3_URL"},
                                 {"sftp", "CAIRN_TEST_SFTP_URL"},
                                 {"azure", "CAIRN_TEST_AZURE_URL"}};

bool have(const char* env) {
  const char* v = std::getenv(env);
  return v && *v;
}

}  // namespace

int main(int argc, char** argv) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  const Catch::ConfigData& data = session.configData();
  if (data.listTests || data.listTestNamesOnly || data.listTags || data.listReporters ||
      data.showHelp)
    return session.run();

  if (data.testsOrTags.empty()) {  // no selection: every test whose server is configured
    std::string spec;
    for (const auto& s : kServices)
      if (have(s.env)) spec += std::string(spec.empty() ? "" : ",") + "[" + s.tag + "]";
    if (spec.empty()) {
      std::fprintf(
          stderr,
          "skipped: none of CAIRN_TEST_S3_URL, CAIRN_TEST_SFTP_URL, CAIRN_TEST_AZURE_URL is set\n");
      return 77;
    }
    Catch::ConfigData d = data;
    d.testsOrTags.push_back(spec);
    session.useConfigData(d);
  } else {  // a selection (ctest runs one test by name): skip it when its server is not configured
    const auto& config = session.config();
    for (const auto& tc :
         Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config))
      for (const auto& s : kServices)
        for (const auto& tag : tc.lcaseTags)
          if (tag == s.tag && !have(s.env)) {
            std::fprintf(stderr, "skipped: '%s' needs %s\n", tc.name.c_str(), s.env);
            return 77;
          }
  }
  if (auto st = cairn::backend::init(); !st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 1;
  }
  return session.run();
}
