// A paper to reproduce, as data: its figures and tables (the published value of each
// operation in each system, with the citation), the guest workload that is our analogue of
// each row, and the orderings the paper states in its text. docs/reproduce.md describes the
// papers; /work/shared/references/papers.md (the project's references) holds the sources.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vmlab::frontend::reproduce {

// How a figure is drawn (figures.h).
enum class Chart {
  kLogBars,         // grouped bars per row, log scale, paper beside ours (Adams & Agesen Fig. 4)
  kRatioBars,       // grouped bars of the ratio to native, paper beside ours (forkwait, Xen)
  kStackedOverhead  // ours only: cycles per operation above native, stacked by event class
};

// What a figure measures of each cell.
enum class Metric {
  kCyclesPerOp,      // the guest's own RDTSC measurement per operation
  kWalkRefsPerMiss,  // paging-structure references per TLB miss, counted by the processor
  // The filecreate workloads' two halves (docs/guest.md, "Disk workloads"), in cycles per
  // operation: the create, and the delete.
  kCreateCyclesPerOp,
  kDeleteCyclesPerOp,
};

// A column: one system of the paper and the vmlab variant that stands for it.
struct Column {
  std::string variant;      // "native", "bt", "trap", ... (frontend/variants.h)
  std::string paper_label;  // the paper's name for it: "Native", "BT", "VT", "Xen"; "" if none
};

struct Row {
  std::string label;       // the paper's name of the operation
  std::string workload;    // the guest workload measured for it
  std::string guest_args;  // its parameters (docs/guest.md), "" for none
  uint64_t iters = 0;      // 0: the workload's quick count (frontend/workloads.h)
  std::string profile;     // "": the figure's
  // The paper's value for each column, in the figure's unit; nullopt where it has none.
  std::vector<std::optional<double>> paper;
  // Cycles per operation per unit of the paper's value (e.g. s per 40000 forks at 3.8 GHz:
  // 3.8e9 / 40000), 0 when absolute values cannot be compared (another CPU, µs).
  double paper_to_cycles = 1;
  std::string note;  // where our operation differs from the paper's, one sentence
};

struct Figure {
  std::string id;               // "fig4": file names and report anchors
  std::string title;            // "Fig. 4: virtualization nanobenchmarks"
  std::string source;           // the citation: paper, figure or table, where the values were read
  std::string profile;          // the cost profile of the paper's CPU (profiles/)
  std::string unit;             // the paper's unit: "cycles", "s (40,000 iterations)", "µs"
  std::vector<Column> columns;  // the first is native, the baseline of every ratio
  std::vector<Row> rows;
  Chart chart = Chart::kLogBars;
  Metric metric = Metric::kCyclesPerOp;
};

// The relation a claim states between two measured values.
enum class Relation {
  kLess,      // a < b
  kMuchLess,  // a ≪ b: at least ten times smaller (an order of magnitude)
  kAbout,     // a ≈ b: within ±30 % of b
};

struct Term {
  std::string figure;   // Figure::id
  std::string row;      // Row::label
  std::string variant;  // Column::variant
};

struct Claim {
  std::string text;    // the claim as the paper states it (paraphrased, never quoted at length)
  std::string source;  // where it says so
  Term a;
  Relation relation;
  Term b;
};

struct Paper {
  std::string id;        // "adams-agesen-2006": the name on the command line
  std::string citation;  // authors, title, venue, year
  std::string setup;     // the paper's machine, and the profile that stands for it
  std::vector<Figure> figures;
  std::vector<Claim> claims;
  std::vector<std::string> not_reproduced;  // what the paper has that we do not, and why
};

// Every paper `vmlab reproduce` knows, in --list order.
const std::vector<Paper>& papers();
const Paper* find_paper(const std::string& id);

}  // namespace vmlab::frontend::reproduce
