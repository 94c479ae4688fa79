// The three forms `vmlab compare` prints its measurements in: an aligned table for
// people, CSV for spreadsheets, JSON for scripts (fields in docs/cli.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "frontend/compare_runner.h"

namespace vmlab::frontend {

struct CompareHeader {
  std::string profile;
  std::string kernel;
};

void print_compare_table(std::ostream& out, const CompareHeader& h,
                         const std::vector<Measurement>& rows);
// The disk workloads' rows again, per request and per KiB (print_compare_table ends with
// it; nothing when no row moved bytes).
void print_block_io_table(std::ostream& out, const std::vector<Measurement>& rows);
void print_compare_csv(std::ostream& out, const std::vector<Measurement>& rows);
void print_compare_json(std::ostream& out, const CompareHeader& h,
                        const std::vector<Measurement>& rows);

}  // namespace vmlab::frontend
