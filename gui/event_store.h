// EventStore: the events of one run in memory, column by column, so that ten million of
// them fit (34 bytes an event) and the timeline touches only the columns it draws (cycle,
// charged, kind), as KernelShark keeps its entries small for the same reason.
//
// Events are appended in seq order (as the recorder numbers them and trace.jsonl stores
// them), so the cycle column never decreases and a cycle is found by binary search.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/vmm/core/event.h"

namespace vmlab::gui {

class EventStore {
 public:
  void reserve(size_t events);
  void append(const vmm::Event& event);
  void clear();

  size_t size() const { return cycle_.size(); }
  bool empty() const { return cycle_.empty(); }

  uint64_t seq(size_t i) const { return seq_.empty() ? seq_base_ + i : seq_[i]; }
  uint64_t cycle(size_t i) const { return cycle_[i]; }
  // Charged cycles, saturated at 2^32 - 1 (no event costs that much; idle time is not an
  // event).
  uint32_t charged(size_t i) const { return charged_[i]; }
  uint32_t eip(size_t i) const { return eip_[i]; }
  const std::array<uint32_t, 4>& payload(size_t i) const { return payload_[i]; }
  vmm::EventKind kind(size_t i) const { return static_cast<vmm::EventKind>(kind_[i]); }
  uint8_t cpl(size_t i) const { return cpl_[i]; }
  vmm::Event event(size_t i) const;

  std::span<const uint64_t> cycles() const { return cycle_; }
  std::span<const uint32_t> charges() const { return charged_; }
  std::span<const uint8_t> kinds() const { return kind_; }

  // The first event at or after `cycle` (size() when none).
  size_t lower_bound(uint64_t cycle) const;
  // One past the last modeled cycle any event covers (its cycle plus its charge).
  uint64_t end_cycle() const { return end_cycle_; }

 private:
  // seq is implicit (seq_base_ + index) while the run's numbers are contiguous, which
  // they are for every trace vmlab writes; a gap materializes the column.
  uint64_t seq_base_ = 0;
  std::vector<uint64_t> seq_;
  std::vector<uint64_t> cycle_;
  std::vector<uint32_t> charged_;
  std::vector<uint32_t> eip_;
  std::vector<std::array<uint32_t, 4>> payload_;
  std::vector<uint8_t> kind_;
  std::vector<uint8_t> cpl_;
  uint64_t end_cycle_ = 0;
};

}  // namespace vmlab::gui
