#include "frontend/reproduce/evaluate.h"

#include <cmath>
#include <cstdio>

#include "frontend/workloads.h"

namespace vmlab::frontend::reproduce {

namespace {

uint64_t iters_of(const Row& row) {
  if (row.iters != 0) return row.iters;
  const Workload* w = find_workload(row.workload);
  return w ? w->default_iters : 1;
}

const std::string& profile_of(const Figure& f, const Row& r) {
  return r.profile.empty() ? f.profile : r.profile;
}

bool same_cell(const Cell& c, const Variant* v, const std::string& workload, uint64_t iters,
               const std::string& profile, const std::string& args) {
  return c.variant == v && c.workload == workload && c.iters == iters && c.profile == profile &&
         c.guest_args == args;
}

std::string fmt(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

}  // namespace

const char* relation_symbol(Relation r) {
  switch (r) {
    case Relation::kLess: return "<";
    case Relation::kMuchLess: return "<<";
    case Relation::kAbout: return "~";
  }
  return "?";
}

std::optional<double> RowResult::ours_value(size_t column) const {
  if (column >= ours.size() || ours[column] == nullptr || !ours[column]->ok) return std::nullopt;
  const Measurement& m = *ours[column];
  if (metric == Metric::kWalkRefsPerMiss) {
    if (m.tlb_misses_per_op <= 0) return std::nullopt;
    return m.walk_references_per_op / m.tlb_misses_per_op;
  }
  if (metric == Metric::kCreateCyclesPerOp) return m.create_cycles_per_op;
  if (metric == Metric::kDeleteCyclesPerOp) return m.delete_cycles_per_op;
  return m.cycles_per_op;
}

std::optional<double> RowResult::paper_value(size_t column) const {
  if (row == nullptr || column >= row->paper.size()) return std::nullopt;
  return row->paper[column];
}

std::optional<double> RowResult::paper_cycles(size_t column) const {
  const auto v = paper_value(column);
  if (!v || row->paper_to_cycles <= 0) return std::nullopt;
  return *v * row->paper_to_cycles;
}

std::optional<double> RowResult::ours_ratio(size_t column) const {
  const auto base = ours_value(0), v = ours_value(column);
  if (!base || !v || *base <= 0) return std::nullopt;
  return *v / *base;
}

std::optional<double> RowResult::paper_ratio(size_t column) const {
  const auto base = paper_value(0), v = paper_value(column);
  if (!base || !v || *base <= 0) return std::nullopt;
  return *v / *base;
}

bool PaperResult::all_hold() const {
  for (const ClaimResult& c : claims) {
    if (!c.holds && !c.skipped) return false;
  }
  return true;
}

std::vector<Cell> plan(const std::vector<const Paper*>& papers) {
  std::vector<Cell> cells;
  for (const Paper* p : papers) {
    for (const Figure& f : p->figures) {
      for (const Row& r : f.rows) {
        if (r.workload.empty()) continue;
        for (const Column& c : f.columns) {
          const Variant* v = find_variant(c.variant);
          if (v == nullptr || !variant_available(*v)) continue;
          const uint64_t iters = iters_of(r);
          const std::string& profile = profile_of(f, r);
          bool known = false;
          for (const Cell& cell : cells) {
            known = known || same_cell(cell, v, r.workload, iters, profile, r.guest_args);
          }
          if (!known) cells.push_back({v, r.workload, iters, profile, r.guest_args});
        }
      }
    }
  }
  return cells;
}

std::vector<PaperResult> evaluate(const std::vector<const Paper*>& papers,
                                  const std::vector<Cell>& cells,
                                  const std::vector<Measurement>& results) {
  std::vector<PaperResult> out;
  for (const Paper* p : papers) {
    PaperResult pr;
    pr.paper = p;
    for (const Figure& f : p->figures) {
      FigureResult fr;
      fr.figure = &f;
      for (const Row& r : f.rows) {
        RowResult rr;
        rr.row = &r;
        rr.profile = profile_of(f, r);
        rr.metric = f.metric;
        for (const Column& c : f.columns) {
          const Measurement* found = nullptr;
          const Variant* v = find_variant(c.variant);
          for (size_t i = 0; i < cells.size() && i < results.size(); ++i) {
            if (same_cell(cells[i], v, r.workload, iters_of(r), rr.profile, r.guest_args)) {
              found = &results[i];
            }
          }
          rr.ours.push_back(found);
        }
        fr.rows.push_back(std::move(rr));
      }
      pr.figures.push_back(std::move(fr));
    }
    for (const Claim& c : p->claims) {
      ClaimResult cr;
      cr.claim = &c;
      auto value_of = [&](const Term& t) -> std::optional<double> {
        for (const FigureResult& fr : pr.figures) {
          if (fr.figure->id != t.figure) continue;
          for (const RowResult& rr : fr.rows) {
            if (rr.row->label != t.row) continue;
            for (size_t k = 0; k < fr.figure->columns.size(); ++k) {
              if (fr.figure->columns[k].variant == t.variant) return rr.ours_value(k);
            }
          }
        }
        return std::nullopt;
      };
      cr.a = value_of(c.a);
      cr.b = value_of(c.b);
      // A term the guest skipped (a disk workload in a mode whose guest has no block device)
      // leaves the claim unchecked, not failed: it is checked once that mode has the device.
      const Measurement* skipped = nullptr;
      for (const Term* t : {&c.a, &c.b}) {
        for (size_t i = 0; i < cells.size() && i < results.size(); ++i) {
          if (results[i].skipped && cells[i].variant == find_variant(t->variant)) {
            for (const Figure& f : p->figures) {
              for (const Row& r : f.rows) {
                if (f.id == t->figure && r.label == t->row && r.workload == cells[i].workload)
                  skipped = &results[i];
              }
            }
          }
        }
      }
      if (skipped != nullptr) {
        cr.skipped = true;
        cr.detail = "not checked: " + skipped->label + " skipped " + skipped->workload + " (" +
                    skipped->error + ")";
      } else if (!cr.a || !cr.b) {
        cr.holds = false;
        cr.detail = "not measured: " + (cr.a ? c.b.variant : c.a.variant) + " " +
                    (cr.a ? c.b.row : c.a.row);
      } else {
        const double a = *cr.a, b = *cr.b;
        switch (c.relation) {
          case Relation::kLess: cr.holds = a < b; break;
          case Relation::kMuchLess: cr.holds = a * 10 <= b; break;
          case Relation::kAbout: cr.holds = b > 0 && std::fabs(a / b - 1) <= 0.30; break;
        }
        // Each term by its variant, and by its row too where the two rows differ.
        const bool rows_differ = c.a.row != c.b.row;
        const std::string na = c.a.variant + (rows_differ ? " (" + c.a.row + ")" : "");
        const std::string nb = c.b.variant + (rows_differ ? " (" + c.b.row + ")" : "");
        char ratio[64];
        std::snprintf(ratio, sizeof ratio, "%.2f", a > 0 ? b / a : 0.0);
        cr.detail = na + " " + fmt(a) + " " + relation_symbol(c.relation) + " " + nb + " " +
                    fmt(b) + " (" + nb + "/" + na + " = " + ratio + ")";
      }
      pr.claims.push_back(std::move(cr));
    }
    out.push_back(std::move(pr));
  }
  return out;
}

}  // namespace vmlab::frontend::reproduce
