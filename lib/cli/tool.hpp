// lib/cli/tool.hpp: the CLI11 glue shared by every executable (STYLE.md C4, C7, C8).
// A tool's main() declares its flags on app() and hands one body to run(); run() parses,
// maps CLI11 errors to exit 2, adds the common flags (-q -v --progress-fd --repo --catalog
// --passphrase-file --key-file --notify --notify-on, --version, --help), runs ops::init_process(),
// makes SIGINT/SIGTERM trip the cancel token, runs the body in a catch-all, prints
// "<tool>: error: <message>" (a JSON record with --log-format json: log.hpp, cairn(7) LOGGING)
// and returns the exit code of DESIGN.md section 8; a non-zero
// one (or the outcomes --notify-on selects) is first sent to the notify targets (lib/notify).
// `TOOL --completion=bash|zsh|fish` prints a completion script instead (completion.hpp).
// Depends on: base, io, ops (+ CLI11: include this header only from lib/cli .cpp files and
// tool mains; it is slow to compile). Threads: run() from the main thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.hpp"
#include "cli/session.hpp"
#include "cli/summary.hpp"
#include "model/set.hpp"
#include "notify/notify.hpp"
#include "ops/outcome.hpp"

namespace cairn::cli {

using Body = std::function<Result<ops::Outcome>(Session&)>;

class Tool {
 public:
  Tool(std::string name, std::string description);
  Tool(const Tool&) = delete;
  Tool& operator=(const Tool&) = delete;

  const std::string& name() const { return name_; }
  CLI::App& app() { return app_; }

  // Offers --json on `where` (the tool itself by default); read it as Session::json().
  CLI::Option* add_json_flag(std::string help);
  CLI::Option* add_json_flag(CLI::App& where, std::string help);

  // A subcommand of `parent` (app() or a group) that runs `body` when it is the one chosen.
  CLI::App& command(CLI::App& parent, std::string name, std::string description, Body body);
  // A subcommand that only holds others (`cairn key add|list|...`): one of them is required.
  CLI::App& group(CLI::App& parent, std::string name, std::string description);

  // For the front command: a first non-option argument that is not a command runs
  // `<name>-<arg>` (next to this executable, then on PATH) with the remaining arguments and
  // any common options given before it. An unknown one exits 2 with
  // "cairn: 'frob' is not a cairn command. See 'cairn help'.".
  void dispatch_verbs() { dispatch_ = true; }

  // Records each run in the catalog (catalog::RunRecord, counted by `cairn status`) once the
  // body opens it through cli::repo_options(): for the tools that change or check the
  // repository; the read-only commands of the front command (`cairn ls`, `status`...) do not.
  void record_runs() { record_runs_ = true; }

  // A tool that does work ends with a summary (cairn(7) SUMMARY): one line on stderr when it
  // is a terminal or -v is given (never -q), and with --summary-json FILE (added here) the
  // same as JSON in FILE. `words` say what the Observer's counts are; a body that returns an
  // Outcome::tally is summarised by that instead. Commands of the front command are
  // summarised only when their Outcome carries a tally (`cairn backup`).
  void summarise(SummaryWords words);

  // Runs the tool with one body for the whole tool; returns the process exit code.
  int run(int argc, char** argv, Body body);
  // Runs the body of the command that was chosen (see command()).
  int run(int argc, char** argv);

 private:
  std::string command_footer() const;
  int parse_error(const CLI::ParseError& e);
  int dispatch_external(int argc, char** argv, bool& handled);
  std::string command_path() const;
  const Body* chosen_body() const;
  // Everything after the body: the result line, the exit status, the one error or warning
  // summary line, the run's end in the catalog, and the alert.
  int finish(Session& s, Result<ops::Outcome> r);
  // The one error line, "<tool>: error: <message>"; the first returns e's exit status.
  int print_error(const Error& e);
  void print_error(std::string_view message, int exit_code);
  // A usage error: the error line and "Try '<tool> --help'." (one record in json); exit 2.
  int usage_error(std::string_view message);

  std::string name_;
  Log log_;  // every stderr line of the tool and its Session; --log-format sets its format
  CLI::App app_;
  CommonOptions opt_;
  notify::NotifyOn notify_on_;  // --notify-on / CAIRN_NOTIFY_ON, checked by run()
  Body root_body_;
  std::map<const CLI::App*, Body> bodies_;
  bool dispatch_ = false;
  bool record_runs_ = false;
  std::optional<SummaryWords> summary_;
  std::string summary_json_;  // --summary-json FILE
  std::int64_t started_ns_ = 0;
};

// Adds an option taking a size ("64K", "1M", "2G"; units.hpp) stored as bytes in `into`.
CLI::Option* add_size_option(CLI::App& app, std::string name, std::uint64_t& into,
                             std::string help);
// The same for a 32-bit field; a size above 4 GiB - 1 is a usage error.
CLI::Option* add_size_option(CLI::App& app, std::string name, std::uint32_t& into,
                             std::string help);

// Adds an option whose value is one of `choices` (by name), stored as its value in `into`:
// e.g. --hash hmac-sha256|blake2b-keyed into a hash::Algo. Anything else is a usage error
// "'x' is not one of a, b".
template <typename T>
CLI::Option* add_choice_option(CLI::App& app, std::string name, T& into,
                               std::vector<std::pair<std::string, T>> choices, std::string help) {
  std::string names;
  for (const auto& c : choices) names += (names.empty() ? "" : ", ") + c.first;
  CLI::Validator one_of(
      [choices, names](std::string& v) -> std::string {
        for (const auto& c : choices)
          if (c.first == v) return {};
        return "'" + v + "' is not one of " + names;
      },
      "", "choice");
  return app
      .add_option_function<std::string>(
          std::move(name),
          [&into, choices](const std::string& v) {
            for (const auto& c : choices)
              if (c.first == v) into = c.second;
          },
          std::move(help))
      ->check(one_of)
      ->type_name("NAME");
}

// cairn-pack's --full and --differential (mutually exclusive), setting `kind`.
void add_kind_flags(CLI::App& app, model::SetKind& kind);

// The subcommand of `app` called `name`, or nullptr.
CLI::App* find_command(CLI::App& app, const std::string& name);

}  // namespace cairn::cli
