#include "cli/front_tags.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/repo_options.hpp"
#include "ops/report.hpp"
#include "ops/tag.hpp"

namespace cairn::cli {

struct TagCommands {
  std::string set;
  std::vector<std::string> adds;  // "+TAG" words (CLI11 takes "-TAG" for options: extras)
  CLI::App* tag = nullptr;
  ops::ReportOptions report;
  std::string report_policy, report_since, report_csv;
};

void TagCommandsDeleter::operator()(TagCommands* p) const { delete p; }

std::unique_ptr<TagCommands, TagCommandsDeleter> add_tag_commands(Tool& tool, CLI::App& app,
                                                                  ops::LsOptions& ls) {
  std::unique_ptr<TagCommands, TagCommandsDeleter> v(new TagCommands);
  TagCommands* t = v.get();
  app.get_subcommand("ls")->add_option("--tag", ls.tag, "only sets carrying TAG")->type_name("TAG");
  t->tag = &tool.command(app, "tag", "add (+TAG) or remove (-TAG) tags of a set, or list them",
                         [t](Session& s) -> Result<ops::Outcome> {
                           ops::TagOptions o;
                           CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
                           o.set = t->set;
                           o.change = t->adds;
                           for (const auto& x : t->tag->remaining()) {
                             if (x.starts_with("--"))
                               return Error{Errc::usage,
                                            fmt::format("'{}' after 'cairn tag': give common "
                                                        "options before 'tag' (cairn --repo DIR "
                                                        "tag SET +TAG -TAG)",
                                                        x)};
                             o.change.push_back(x);
                           }
                           return ops::tag(o, s.stdout_writer(), s.observer());
                         });
  // "-TAG" reads as an option to CLI11: kept as an extra here, not handed to the front command
  // (common options therefore come before 'tag').
  t->tag->allow_extras();
  t->tag->fallthrough(false);
  t->tag->add_option("SET", t->set, "the set")->required();
  t->tag->add_option("CHANGE", t->adds, "+TAG to add a tag, -TAG to remove one");
  auto& audit = tool.command(app, "audit", "show the catalog's audit log",
                             [](Session& s) -> Result<ops::Outcome> {
                               ops::AuditOptions o;
                               CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
                               o.json = s.json();
                               return ops::audit_log(o, s.stdout_writer());
                             });
  tool.add_json_flag(audit, "one JSON object a line (schema cairn.audit/1)");
  auto& rep = tool.command(
      app, "report",
      "what an auditor asks for: retention, immutability, encryption, copies, checks, holds "
      "and the audit trail",
      [t](Session& s) -> Result<ops::Outcome> {
        ops::ReportOptions& o = t->report;
        CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
        if (!t->report_policy.empty()) o.policy = t->report_policy;
        if (!t->report_since.empty()) o.since = t->report_since;
        if (!t->report_csv.empty()) o.csv = t->report_csv;
        o.json = s.json();
        if (o.json && o.csv) return Error{Errc::usage, "give --json or --csv TABLE, not both"};
        return ops::report(o, s.stdout_writer(), s.observer());
      });
  tool.add_json_flag(rep, "the whole report as one JSON document (schema cairn.report/1)");
  rep.add_option("--csv", t->report_csv,
                 "one table of the report as CSV: classes, placements, key-slots, generations, "
                 "checks, holds or audit")
      ->type_name("TABLE");
  rep.add_option("--since", t->report_since,
                 "the audit trail from TIME (2026-11-26T05:00) or a duration ago (30d) on "
                 "(default: all of it)")
      ->type_name("TIME");
  rep.add_option("--policy", t->report_policy,
                 "the policy giving the classes' rules (default: CAIRN_POLICY, "
                 "/etc/cairn/policy.toml if it exists)")
      ->type_name("FILE")
      ->envname("CAIRN_POLICY");
  return v;
}

}  // namespace cairn::cli
