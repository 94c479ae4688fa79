// The reproduction's outputs: the text on stdout (a table per figure, a line per claim),
// and report.md, report.json and results.csv for --out (docs/reproduce.md lists the fields).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "frontend/reproduce/evaluate.h"

namespace vmlab::frontend::reproduce {

void print_text(std::ostream& out, const std::vector<PaperResult>& results);
// `figures`: the figure files written beside the report (relative names), to link from it.
void write_markdown(std::ostream& out, const std::vector<PaperResult>& results,
                    const std::vector<std::string>& figures);
void write_json(std::ostream& out, const std::vector<PaperResult>& results);
void write_csv(std::ostream& out, const std::vector<PaperResult>& results);

// "%.*f" with `decimals`, or "-" when there is no value.
std::string num(const std::optional<double>& x, int decimals);

}  // namespace vmlab::frontend::reproduce
