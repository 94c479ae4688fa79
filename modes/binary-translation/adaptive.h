// Adaptive binary translation: "innocent until proven guilty" (Adams & Agesen 2006,
// section 3.2; references/papers.md 1e).
//
// Translations start IDENT. A guest kernel instruction whose stores keep causing trace
// faults (writes to the frames the monitor write-protects: guest page tables, and the
// frames of the guest's GDT and LDT; each a full fault into the monitor) is proven guilty
// after kGuiltyAfter of them and retranslated so that the store and its shadow update need
// no fault: performed in the TC for a 32-bit MOV onto a traced frame (translate_pte_write.cpp),
// a SIMULATE callout otherwise (and for every store the TC declines); the old fragment gets
// a forwarding jump. When the callout then sees kInnocentAfter stores in a row that hit no
// traced frame (that would not have trapped), the instruction is innocent again and goes
// back to IDENT. The two thresholds are the hysteresis.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "engine/cpu/state_codec.h"

namespace vmlab::modes::bt {

class Adaptive {
 public:
  static constexpr uint32_t kGuiltyAfter = 4;
  static constexpr uint32_t kInnocentAfter = 64;

  // A trace fault by the IDENT instruction at guest `eip`: true when it has just become
  // guilty (retranslate it as a callout).
  bool on_trace_fault(uint32_t eip);
  // A SIMULATE callout of `eip` performed its store; `traced` when it hit a traced frame.
  // True when the instruction has just become innocent (retranslate it IDENT).
  bool on_simulated(uint32_t eip, bool traced);

  // The TC performed a traced store of guilty `eip` itself (in_tc_pte_write.cpp): a store
  // that hit a traced frame, as for on_simulated, without a callout.
  void on_written_in_tc(uint32_t eip);

  const std::unordered_set<uint32_t>& guilty() const { return guilty_; }
  // Trace faults taken by IDENT instructions, and SIMULATE callouts, over the run.
  uint64_t trace_faults() const { return trace_faults_; }
  uint64_t simulate_callouts() const { return simulated_; }
  // Traced stores of guilty instructions the TC performed without a callout.
  uint64_t in_tc_writes() const { return in_tc_writes_; }
  uint32_t seen(uint32_t eip) const;

  // Saved state (bt_state.cpp): the counts per instruction, the guilty set, the totals.
  // load() fails `r` on a count out of its range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  std::unordered_map<uint32_t, uint32_t> faults_;    // IDENT: trace faults so far
  std::unordered_map<uint32_t, uint32_t> innocent_;  // guilty: innocent callouts in a row
  std::unordered_set<uint32_t> guilty_;
  uint64_t trace_faults_ = 0;
  uint64_t simulated_ = 0;
  uint64_t in_tc_writes_ = 0;
};

}  // namespace vmlab::modes::bt
