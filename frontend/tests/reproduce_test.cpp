// The reproduction's data and logic: every paper's figures are well formed, the plan
// measures each cell once, and a claim holds or fails by its relation on the measured values.
#include <gtest/gtest.h>

#include <sstream>

#include "frontend/reproduce/evaluate.h"
#include "frontend/reproduce/figures.h"
#include "frontend/reproduce/paper.h"
#include "frontend/reproduce/report.h"
#include "frontend/workloads.h"

namespace vmlab::frontend::reproduce {
namespace {

TEST(Reproduce, PapersAreWellFormed) {
  ASSERT_FALSE(papers().empty());
  for (const Paper& p : papers()) {
    EXPECT_EQ(find_paper(p.id), &p);
    for (const Figure& f : p.figures) {
      ASSERT_FALSE(f.columns.empty()) << f.id;
      EXPECT_EQ(f.columns.front().variant, "native") << f.id;
      for (const Column& c : f.columns) EXPECT_NE(find_variant(c.variant), nullptr) << c.variant;
      for (const Row& r : f.rows) {
        EXPECT_EQ(r.paper.size(), f.columns.size()) << f.id << " " << r.label;
        if (!r.workload.empty()) {
          EXPECT_NE(find_workload(r.workload), nullptr) << r.workload;
        }
      }
    }
    // Every claim names a figure, row and column that exist.
    for (const Claim& c : p.claims) {
      for (const Term* t : {&c.a, &c.b}) {
        bool found = false;
        for (const Figure& f : p.figures) {
          for (const Row& r : f.rows) {
            for (const Column& col : f.columns) {
              found =
                  found || (f.id == t->figure && r.label == t->row && col.variant == t->variant);
            }
          }
        }
        EXPECT_TRUE(found) << c.text;
      }
    }
  }
  EXPECT_EQ(find_paper("nonesuch"), nullptr);
}

TEST(Reproduce, PlanMeasuresEachCellOnce) {
  const Paper* aa = find_paper("adams-agesen-2006");
  ASSERT_NE(aa, nullptr);
  const auto once = plan({aa});
  const auto twice = plan({aa, aa});
  EXPECT_EQ(once.size(), twice.size());
  // forkwait under pentium4 appears in the forkwait figure and in fig5: measured once.
  size_t forkwait_p4_trap = 0;
  for (const Cell& c : once) {
    forkwait_p4_trap += c.workload == "forkwait" && c.profile == "pentium4" &&
                        std::string(c.variant->name) == "trap";
  }
  EXPECT_EQ(forkwait_p4_trap, 1u);
}

// Measurements made up for the relation logic only (the real ones are in the CLI tests).
Measurement made(const Cell& c, double cycles) {
  Measurement m;
  m.label = c.variant->name;
  m.workload = c.workload;
  m.iters = c.iters;
  m.ok = true;
  m.cycles_per_op = cycles;
  return m;
}

TEST(Reproduce, ClaimsFollowTheirRelation) {
  const Paper* aa = find_paper("adams-agesen-2006");
  const auto cells = plan({aa});
  std::vector<Measurement> results;
  // Every cell at the paper's own value where there is one: then every claim holds.
  for (const Cell& c : cells) {
    double v = 100;
    for (const Figure& f : aa->figures) {
      for (const Row& r : f.rows) {
        const std::string& prof = r.profile.empty() ? f.profile : r.profile;
        if (r.workload != c.workload || prof != c.profile) continue;
        for (size_t k = 0; k < f.columns.size(); ++k) {
          if (f.columns[k].variant == c.variant->name && r.paper[k]) v = *r.paper[k];
        }
      }
    }
    results.push_back(made(c, v));
  }
  auto evaluated = evaluate({aa}, cells, results);
  ASSERT_EQ(evaluated.size(), 1u);
  for (const ClaimResult& c : evaluated[0].claims) EXPECT_TRUE(c.holds) << c.claim->text;
  EXPECT_TRUE(evaluated[0].all_hold());
  // The paper's own in: bt 216 << trap 15826 holds; make trap only 5x bt and it fails.
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].workload == "in" && std::string(cells[i].variant->name) == "trap") {
      results[i].cycles_per_op = 1080;
    }
  }
  evaluated = evaluate({aa}, cells, results);
  bool found = false;
  for (const ClaimResult& c : evaluated[0].claims) {
    if (c.claim->text == "BT is far faster than VT on in") {
      found = true;
      EXPECT_FALSE(c.holds);
      EXPECT_EQ(c.detail, "bt 216.0 << trap 1080.0 (trap/bt = 5.00)");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_FALSE(evaluated[0].all_hold());
  // A failed cell makes its claims fail (never hold by default).
  for (Measurement& m : results) m.ok = false;
  evaluated = evaluate({aa}, cells, results);
  for (const ClaimResult& c : evaluated[0].claims) EXPECT_FALSE(c.holds);
}

TEST(Reproduce, FiguresDrawEveryRowAsSvg) {
  const Paper* aa = find_paper("adams-agesen-2006");
  const auto cells = plan({aa});
  std::vector<Measurement> results;
  for (const Cell& c : cells) results.push_back(made(c, 1000));
  const auto evaluated = evaluate({aa}, cells, results);
  for (const FigureResult& fr : evaluated[0].figures) {
    const std::string svg = to_svg(draw(fr));
    EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    for (const Row& r : fr.figure->rows) {
      std::string label = r.label;
      EXPECT_NE(svg.find(">" + label + "<"), std::string::npos) << fr.figure->id << " " << label;
    }
  }
}

}  // namespace
}  // namespace vmlab::frontend::reproduce
