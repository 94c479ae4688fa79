// From papers to cells (what must be measured), and from measurements back to each
// figure's rows (paper beside ours) and each claim (holds or fails, with the figures).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontend/cell_runner.h"
#include "frontend/compare_runner.h"
#include "frontend/reproduce/paper.h"

namespace vmlab::frontend::reproduce {

// One cell of a row: what we measured for one column (nullptr: not measured or failed).
struct RowResult {
  const Row* row = nullptr;
  std::string profile;                   // the profile it ran under
  std::vector<const Measurement*> ours;  // per column
  Metric metric = Metric::kCyclesPerOp;  // the figure's
  // Ours in the figure's metric (cycles per operation, or references per TLB miss), and
  // the paper's value, in its unit and in cycles (converted), per column.
  std::optional<double> ours_value(size_t column) const;
  std::optional<double> paper_value(size_t column) const;
  std::optional<double> paper_cycles(size_t column) const;
  // Ratio to the first column (native), ours and the paper's.
  std::optional<double> ours_ratio(size_t column) const;
  std::optional<double> paper_ratio(size_t column) const;
};

struct FigureResult {
  const Figure* figure = nullptr;
  std::vector<RowResult> rows;
};

struct ClaimResult {
  const Claim* claim = nullptr;
  bool holds = false;
  bool skipped = false;        // a term's workload was skipped by the guest: not checked
  std::optional<double> a, b;  // the two measured cycles per operation
  std::string detail;          // "bt 216.0 < trap 6475.3 (30.0x)" or why it could not be checked
};

struct PaperResult {
  const Paper* paper = nullptr;
  std::vector<FigureResult> figures;
  std::vector<ClaimResult> claims;
  bool all_hold() const;
};

// The cells the papers need, each once, in a fixed order (so a run is reproducible).
std::vector<Cell> plan(const std::vector<const Paper*>& papers);

// Matches the measurements (results[i] of cells[i]) to the papers' rows and checks the claims.
std::vector<PaperResult> evaluate(const std::vector<const Paper*>& papers,
                                  const std::vector<Cell>& cells,
                                  const std::vector<Measurement>& results);

// The relation's symbol: "<", "<<", "~".
const char* relation_symbol(Relation r);

}  // namespace vmlab::frontend::reproduce
