// CostProfile: the cost model as data. Modeled cycles = retired instructions x the cost
// of their class + the sum over events of each event's cost (DESIGN.md, "Time,
// determinism and the cost model"); a profile gives those costs, each with its source.
//
// The file format (profiles/*.profile, docs/cost-model.md) is line based:
//
//   # a comment
//   name = pentium4
//   description = Pentium 4 672 (3.8 GHz), Adams & Agesen 2006
//   insn.port_io = 3209 | Adams & Agesen 2006, Fig. 4 raw data, native in, Pentium 4 672
//   event.trap = 1931 | Adams & Agesen 2006, Table 1, page-fault VM exit, Pentium 4 672
//   vt.entry = 2409 | Adams & Agesen 2006, Table 1, VM entry, Pentium 4 672
//
// A figure is `key = cycles | source`, and the source is mandatory: a profile never holds
// a number nobody can trace. Keys:
//   insn.<class>   cycles per retired instruction of that class (engine/cpu/cost_class.h)
//   event.<kind>   cycles charged to every event of that kind when it is recorded
//   <family>.<name> a mechanism figure a mode reads by name (vt.entry, bt.translate_per_insn)
// Figures a file leaves out take the vmlab defaults (1 cycle per instruction, 0 per event).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cpu/cost_class.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/event.h"

namespace vmlab::vmm {

class CostProfile {
 public:
  struct Figure {
    std::string key;
    uint64_t cycles = 0;
    std::string source;
  };
  using EventCosts = std::array<uint64_t, kNumEventKinds>;

  static constexpr const char* kDefaultSource = "vmlab default, not from a paper";
  static constexpr const char* kDefaultName = "native-1c";
  // The largest figure a profile or --cost may give: 1 ms at 1 GHz, far above any measured
  // cost (a VM exit is a few thousand cycles). The bound keeps the modeled cycle count,
  // a 64-bit sum of these figures, from wrapping: at 10^6 cycles per event it would take
  // more than 10^13 events.
  static constexpr uint64_t kMaxCycles = 1'000'000;
  // A profile is a page of text; a larger file is not one.
  static constexpr uint64_t kMaxFileBytes = 1 << 20;

  // The unit model (every instruction 1 cycle, events free): what native-1c.profile holds.
  CostProfile();

  // Parses profile text; `origin` names it in error messages (a file path).
  static machine::Result<CostProfile> parse(std::string_view text, const std::string& origin);
  static machine::Result<CostProfile> load_file(const std::string& path);

  // Replaces one figure (a --cost override). `key` is a full key ("event.port_io",
  // "insn.simple", "vt.entry") or a bare event kind ("port_io").
  machine::Result<void> set(std::string_view key, uint64_t cycles, std::string source);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::string& origin() const { return origin_; }  // the file it came from
  cpu::ClassCosts class_costs() const;
  const EventCosts& event_costs() const { return event_costs_; }
  uint64_t event_cost(EventKind kind) const { return event_costs_[index_of(kind)]; }
  // Any figure by key, e.g. figure("vt.entry").
  std::optional<uint64_t> figure(std::string_view key) const;
  // Every figure: the instruction classes, the event kinds (in value order), then the
  // mechanism figures in file order.
  const std::vector<Figure>& figures() const { return figures_; }

 private:
  Figure* find(std::string_view key);
  void sync_arrays();

  std::string name_ = kDefaultName;
  std::string description_;
  std::string origin_;
  std::vector<Figure> figures_;
  EventCosts event_costs_{};
};

}  // namespace vmlab::vmm
