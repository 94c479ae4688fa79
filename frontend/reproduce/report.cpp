#include "frontend/reproduce/report.h"

#include <algorithm>
#include <cstdio>

#include "engine/vmm/trace/json_writer.h"

namespace vmlab::frontend::reproduce {

namespace {

std::string pad(const std::string& s, size_t width, bool right) {
  // Width in characters, counting a UTF-8 sequence as one.
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  if (chars >= width) return s;
  return right ? std::string(width - chars, ' ') + s : s + std::string(width - chars, ' ');
}

std::optional<double> quotient(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b <= 0) return std::nullopt;
  return *a / *b;
}

std::string system_name(const Column& c) {
  return c.paper_label.empty() ? c.variant : c.paper_label + " (" + c.variant + ")";
}

int paper_decimals(const Figure& f) {
  return f.unit == "cycles" ? 0 : 2;
}

}  // namespace

std::string num(const std::optional<double>& x, int decimals) {
  if (!x) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *x);
  return buf;
}

void print_text(std::ostream& out, const std::vector<PaperResult>& results) {
  for (const PaperResult& pr : results) {
    const Paper& p = *pr.paper;
    out << p.id << ": " << p.citation << "\n  setup: " << p.setup << "\n";
    for (const FigureResult& fr : pr.figures) {
      const Figure& f = *fr.figure;
      out << "\n" << f.title << "\n  source: " << f.source << "\n";
      if (f.chart == Chart::kStackedOverhead) {
        out << "  " << pad("row", 14, false) << " " << pad("system", 10, false) << " "
            << pad("cycles/op", 11, true) << " " << pad("x native", 9, true) << "\n";
        for (const RowResult& rr : fr.rows) {
          for (size_t k = 0; k < f.columns.size(); ++k) {
            out << "  " << pad(k == 0 ? rr.row->label : "", 14, false) << " "
                << pad(f.columns[k].variant, 10, false) << " "
                << pad(num(rr.ours_value(k), 1), 11, true) << " "
                << pad(num(rr.ours_ratio(k), 2), 9, true) << "\n";
          }
        }
        out << "  (the breakdown by event class is in report.md and fig5.svg with --out)\n";
        continue;
      }
      const bool absolute = !fr.rows.empty() && fr.rows.front().row->paper_to_cycles > 0;
      out << "  " << pad("", 14, false) << " " << pad("", 16, false) << " "
          << pad(absolute ? (f.metric != Metric::kWalkRefsPerMiss ? "cycles per operation" : f.unit)
                          : "paper: " + f.unit + ", ours: cycles",
                 absolute ? 36 : 21, true)
          << "   " << pad("ratio to native", 26, true) << "\n";
      out << "  " << pad("row", 14, false) << " " << pad("system", 16, false) << " "
          << pad("paper", 10, true) << " " << pad("ours", 12, true) << " ";
      if (absolute) out << pad("ours/paper", 12, true) << " ";
      out << "  " << pad("paper", 8, true) << " " << pad("ours", 8, true) << " "
          << pad("ours/paper", 10, true) << "\n";
      for (const RowResult& rr : fr.rows) {
        for (size_t k = 0; k < f.columns.size(); ++k) {
          const auto paper = absolute ? rr.paper_cycles(k) : rr.paper_value(k);
          out << "  " << pad(k == 0 ? rr.row->label : "", 14, false) << " "
              << pad(system_name(f.columns[k]), 16, false) << " "
              << pad(num(paper, absolute ? 0 : paper_decimals(f)), 10, true) << " "
              << pad(num(rr.ours_value(k), 1), 12, true) << " ";
          if (absolute) out << pad(num(quotient(rr.ours_value(k), paper), 2), 12, true) << " ";
          out << "  " << pad(num(rr.paper_ratio(k), 2), 8, true) << " "
              << pad(num(rr.ours_ratio(k), 2), 8, true) << " "
              << pad(k == 0 ? "" : num(quotient(rr.ours_ratio(k), rr.paper_ratio(k)), 2), 10, true)
              << "\n";
        }
        if (!rr.row->note.empty())
          out << "  " << pad("", 14, false) << " note: " << rr.row->note << "\n";
        for (size_t k = 0; k < f.columns.size(); ++k) {
          if (rr.ours[k] != nullptr && !rr.ours[k]->ok) {
            out << "  " << pad("", 14, false) << (rr.ours[k]->skipped ? " skipped (" : " failed (")
                << rr.ours[k]->label << "): " << rr.ours[k]->error << "\n";
          }
        }
      }
    }
    out << "\nclaims (" << p.id << "):\n";
    for (const ClaimResult& c : pr.claims) {
      out << "  "
          << (c.holds     ? "holds"
              : c.skipped ? "skip "
                          : "FAILS")
          << "  " << c.claim->text << ": " << c.detail << "\n";
    }
    out << "\nnot reproduced:\n";
    for (const std::string& s : p.not_reproduced) out << "  - " << s << "\n";
    out << "\n";
  }
}

void write_markdown(std::ostream& out, const std::vector<PaperResult>& results,
                    const std::vector<std::string>& figures) {
  out << "# vmlab reproduce\n\n"
      << "Each table gives the paper's value beside ours and the ratio ours/paper, for cycles "
         "per operation and for the ratio to native. Claims: `<` strictly less, `<<` at least "
         "ten times less, `~` within ±30 %. docs/reproduce.md explains the method.\n\n";
  for (const PaperResult& pr : results) {
    const Paper& p = *pr.paper;
    out << "## " << p.id << "\n\n" << p.citation << ".\n\nSetup: " << p.setup << ".\n\n";
    for (const FigureResult& fr : pr.figures) {
      const Figure& f = *fr.figure;
      out << "### " << f.title << "\n\nSource: " << f.source << ". Profile: `" << f.profile << "`";
      for (const RowResult& rr : fr.rows) {
        if (rr.profile != f.profile) out << ", `" << rr.profile << "` (" << rr.row->label << ")";
      }
      out << ".\n\n";
      for (const std::string& name : figures) {
        if (name == f.id + ".svg" || name.rfind(f.id + ".", 0) == 0) {
          if (name.size() > 4 && name.substr(name.size() - 4) == ".png") {
            out << "![" << f.title << "](" << name << ")\n\n";
          }
        }
      }
      if (f.chart == Chart::kStackedOverhead) {
        out << "| row | system | cycles/op | x native | largest sources above native "
               "(cycles/op) |\n|---|---|---:|---:|---|\n";
        for (const RowResult& rr : fr.rows) {
          for (size_t k = 0; k < f.columns.size(); ++k) {
            out << "| " << rr.row->label << " | " << f.columns[k].variant << " | "
                << num(rr.ours_value(k), 1) << " | " << num(rr.ours_ratio(k), 2) << " | ";
            if (rr.ours[k] && rr.ours[k]->ok) {
              std::vector<std::pair<double, unsigned>> kinds;
              for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) {
                if (rr.ours[k]->event_cycles_per_op[i] >= 0.5) {
                  kinds.emplace_back(-rr.ours[k]->event_cycles_per_op[i], i);
                }
              }
              std::sort(kinds.begin(), kinds.end());
              for (size_t j = 0; j < kinds.size() && j < 4; ++j) {
                out << (j ? ", " : "")
                    << vmm::event_kind_name(static_cast<vmm::EventKind>(kinds[j].second)) << " "
                    << num(-kinds[j].first, 0);
              }
            }
            out << " |\n";
          }
        }
        out << "\n";
        continue;
      }
      const bool absolute = !fr.rows.empty() && fr.rows.front().row->paper_to_cycles > 0;
      const bool cycles = f.metric != Metric::kWalkRefsPerMiss;
      out << "| row | system | paper (" << (absolute && cycles ? "cycles" : f.unit) << ") | ours ("
          << (cycles ? "cycles" : f.unit) << ") |" << (absolute ? " ours/paper |" : "")
          << " paper x native | ours x native | ours/paper |\n|---|---|---:|---:|"
          << (absolute ? "---:|" : "") << "---:|---:|---:|\n";
      for (const RowResult& rr : fr.rows) {
        for (size_t k = 0; k < f.columns.size(); ++k) {
          const auto paper = absolute ? rr.paper_cycles(k) : rr.paper_value(k);
          out << "| " << rr.row->label << " | " << system_name(f.columns[k]) << " | "
              << num(paper, absolute ? 0 : paper_decimals(f)) << " | " << num(rr.ours_value(k), 1)
              << " |";
          if (absolute) out << " " << num(quotient(rr.ours_value(k), paper), 2) << " |";
          out << " " << num(rr.paper_ratio(k), 2) << " | " << num(rr.ours_ratio(k), 2) << " | "
              << (k == 0 ? "" : num(quotient(rr.ours_ratio(k), rr.paper_ratio(k)), 2)) << " |\n";
        }
      }
      out << "\n";
      for (const RowResult& rr : fr.rows) {
        if (!rr.row->note.empty()) out << "- " << rr.row->label << ": " << rr.row->note << ".\n";
      }
      out << "\n";
    }
    out << "### Claims\n\n";
    for (const ClaimResult& c : pr.claims) {
      out << "- **"
          << (c.holds     ? "holds"
              : c.skipped ? "not checked"
                          : "fails")
          << "**: " << c.claim->text << " (" << c.claim->source << "): " << c.detail << "\n";
    }
    out << "\n### Not reproduced\n\n";
    for (const std::string& s : p.not_reproduced) out << "- " << s << "\n";
    out << "\n";
  }
}

void write_json(std::ostream& out, const std::vector<PaperResult>& results) {
  vmm::JsonWriter json(true);
  json.begin_object();
  json.key("schema").value("vmlab-reproduce/1");
  json.key("papers").begin_array();
  auto opt = [&](const std::optional<double>& x, int decimals) {
    if (x) {
      json.fixed(*x, decimals);
    } else {
      json.null();
    }
  };
  for (const PaperResult& pr : results) {
    json.begin_object();
    json.key("id").value(pr.paper->id);
    json.key("citation").value(pr.paper->citation);
    json.key("all_claims_hold").value(pr.all_hold());
    json.key("figures").begin_array();
    for (const FigureResult& fr : pr.figures) {
      const Figure& f = *fr.figure;
      json.begin_object();
      json.key("id").value(f.id);
      json.key("title").value(f.title);
      json.key("source").value(f.source);
      json.key("unit").value(f.unit);
      json.key("rows").begin_array();
      for (const RowResult& rr : fr.rows) {
        for (size_t k = 0; k < f.columns.size(); ++k) {
          json.begin_object();
          json.key("row").value(rr.row->label);
          json.key("workload").value(rr.row->workload);
          json.key("profile").value(rr.profile);
          json.key("variant").value(f.columns[k].variant);
          json.key("paper_label").value(f.columns[k].paper_label);
          json.key("paper_value");
          opt(rr.paper_value(k), 3);
          json.key("paper_cycles");
          opt(rr.paper_cycles(k), 1);
          json.key("ours_value");
          opt(rr.ours_value(k), 1);
          json.key("ours_over_paper");
          opt(quotient(rr.ours_value(k), rr.paper_cycles(k)), 3);
          json.key("paper_ratio_to_native");
          opt(rr.paper_ratio(k), 3);
          json.key("ours_ratio_to_native");
          opt(rr.ours_ratio(k), 3);
          json.key("ratio_ours_over_paper");
          opt(k == 0 ? std::nullopt : quotient(rr.ours_ratio(k), rr.paper_ratio(k)), 3);
          if (rr.ours[k] && rr.ours[k]->skipped) json.key("skipped").value(true);
          if (rr.ours[k] && !rr.ours[k]->ok) json.key("error").value(rr.ours[k]->error);
          json.end_object();
        }
      }
      json.end_array();
      json.end_object();
    }
    json.end_array();
    json.key("claims").begin_array();
    for (const ClaimResult& c : pr.claims) {
      json.begin_object();
      json.key("text").value(c.claim->text);
      json.key("source").value(c.claim->source);
      json.key("relation").value(relation_symbol(c.claim->relation));
      json.key("holds").value(c.holds);
      if (c.skipped) json.key("skipped").value(true);
      json.key("detail").value(c.detail);
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << json.str() << "\n";
}

void write_csv(std::ostream& out, const std::vector<PaperResult>& results) {
  out << "paper,figure,row,workload,profile,variant,paper_label,paper_value,paper_unit,"
         "paper_cycles,ours_value,ours_over_paper,paper_ratio_to_native,ours_ratio_to_native,"
         "ratio_ours_over_paper\n";
  for (const PaperResult& pr : results) {
    for (const FigureResult& fr : pr.figures) {
      const Figure& f = *fr.figure;
      for (const RowResult& rr : fr.rows) {
        for (size_t k = 0; k < f.columns.size(); ++k) {
          auto cell = [](const std::optional<double>& x, int d) { return x ? num(x, d) : ""; };
          out << pr.paper->id << "," << f.id << ",\"" << rr.row->label << "\"," << rr.row->workload
              << "," << rr.profile << "," << f.columns[k].variant << "," << f.columns[k].paper_label
              << "," << cell(rr.paper_value(k), 3) << ",\"" << f.unit << "\","
              << cell(rr.paper_cycles(k), 1) << "," << cell(rr.ours_value(k), 1) << ","
              << cell(quotient(rr.ours_value(k), rr.paper_cycles(k)), 3) << ","
              << cell(rr.paper_ratio(k), 3) << "," << cell(rr.ours_ratio(k), 3) << ","
              << cell(k == 0 ? std::nullopt : quotient(rr.ours_ratio(k), rr.paper_ratio(k)), 3)
              << "\n";
        }
      }
    }
  }
}

}  // namespace vmlab::frontend::reproduce
