// InspectionSnapshot: what the code and memory views show of a live run, taken through the
// engine's inspection interface (engine/vmm/core/inspection.h) on the worker thread while the
// Vm does not run, and handed to the GUI thread as plain data.
#pragma once

#include <QString>
#include <optional>
#include <vector>

#include "engine/vmm/core/inspection.h"

namespace vmlab::vmm {
class Vm;
}

namespace vmlab::gui {

struct CodeLine {
  uint32_t address = 0;
  QString bytes;  // hex
  QString text;   // mnemonic and operands (Capstone)
};

struct InspectionSnapshot {
  vmm::GuestCpuView cpu;
  vmm::RealPaging paging = vmm::RealPaging::kGuestTables;
  std::vector<vmm::P2mRange> p2m;
  std::vector<vmm::PageRow> pages;                    // the first kMaxPages mapped pages
  std::vector<CodeLine> code;                         // from the guest's EIP on
  std::optional<vmm::TranslationDetail> translation;  // bt: the translation of EIP
  // 512 MiB of mappings: the guest OS's identity map, its kernel's high half of RAM and
  // its processes fit (about 40,000 rows at the default 128 MiB).
  static constexpr size_t kMaxPages = size_t{1} << 17;
};

// Owning thread, Vm not running. `vm` is not const: under bt a translation of EIP may be
// made (Vm::translation).
InspectionSnapshot take_snapshot(vmm::Vm& vm);

// Capstone, 32-bit: up to `max` instructions of `bytes` placed at `address`.
std::vector<CodeLine> disassemble(const uint8_t* bytes, size_t size, uint32_t address, size_t max);

}  // namespace vmlab::gui
