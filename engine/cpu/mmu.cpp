// Paging: bootstrap version (paging off only), replaced by the full walker and TLB.
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

uint32_t Cpu::translate(uint32_t lin, Access, bool) {
  if (!s_.paging()) return lin;
  unsupported("paging is not implemented yet");
}

void Cpu::tlb_flush(bool) { ++tlb_epoch_; }
void Cpu::tlb_invlpg(uint32_t) { ++tlb_epoch_; }
void Cpu::write_cr0(uint32_t v) {
  s_.cr0 = v | cr0::ET;
  tlb_flush(true);
}
void Cpu::write_cr3(uint32_t v) {
  s_.cr3 = v;
  tlb_flush(false);
}
void Cpu::write_cr4(uint32_t v) {
  s_.cr4 = v;
  tlb_flush(true);
}

}  // namespace vmlab::cpu
