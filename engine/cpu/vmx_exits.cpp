#include "engine/cpu/vmx_exits.h"

namespace vmlab::cpu {

namespace {

using vmx::ExitReason;
namespace cr_qual = vmx::cr_qual;

}  // namespace

uint32_t vmx_mov_from_cr(Cpu& cpu, const Insn& insn, uint32_t value) {
  const VmControls& c = cpu.vm_controls();
  switch (insn.reg) {
    case 0: return cpu.guest_cr0();
    case 3:
      if (c.cr3_store_exiting) {
        cpu.vm_exit(ExitReason::kCrAccess, cr_qual::make(3, cr_qual::kMovFromCr, insn.rm),
                    insn.len);
      }
      return value;
    case 4: return cpu.guest_cr4();
    default: return value;  // CR2 is the guest's own
  }
}

void vmx_mov_to_cr(Cpu& cpu, const Insn& insn, uint32_t value) {
  const VmControls& c = cpu.vm_controls();
  bool exits = false;
  switch (insn.reg) {
    case 0: exits = ((value ^ c.cr0_shadow) & c.cr0_mask) != 0; break;
    case 3: exits = c.cr3_load_exiting; break;
    case 4: exits = ((value ^ c.cr4_shadow) & c.cr4_mask) != 0; break;
    default: break;
  }
  if (exits) {
    cpu.vm_exit(ExitReason::kCrAccess, cr_qual::make(insn.reg, cr_qual::kMovToCr, insn.rm),
                insn.len);
  }
}

void vmx_lmsw(Cpu& cpu, const Insn& insn, uint16_t source) {
  // LMSW writes PE, MP, EM and TS, and cannot clear PE (SDM Vol. 3C, 25.1.3).
  const VmControls& c = cpu.vm_controls();
  const uint32_t owned = c.cr0_mask & 0xFu;
  const uint32_t changed = (source ^ c.cr0_shadow) & owned & ~(c.cr0_shadow & cr0::PE);
  if (changed) {
    cpu.vm_exit(ExitReason::kCrAccess,
                cr_qual::make(0, cr_qual::kLmsw, 0, insn.mem(), static_cast<uint16_t>(source)),
                insn.len);
  }
}

void vmx_clts(Cpu& cpu, const Insn& insn) {
  // CLTS exits when the monitor owns TS and the guest believes it set (25.1.3).
  const VmControls& c = cpu.vm_controls();
  if ((c.cr0_mask & cr0::TS) && (c.cr0_shadow & cr0::TS)) {
    cpu.vm_exit(ExitReason::kCrAccess, cr_qual::make(0, cr_qual::kClts, 0), insn.len);
  }
}

void vmx_io(Cpu& cpu, const Insn& insn, uint16_t port, unsigned size, bool in, bool string,
            bool immediate) {
  // The I/O permission check (IOPL, TSS bitmap) has priority over the exit.
  cpu.check_io_permission(port, size);
  if (!cpu.vm_controls().io_exits(port, size)) return;
  // F2 repeats INS/OUTS as F3 does, so either is "REP prefixed" (SDM Vol. 3C, table 27-5).
  const bool rep = string && (insn.rep() || insn.repne());
  VmExit x;
  x.reason = ExitReason::kIoInstruction;
  x.qualification = vmx::io_qual::make(size, in, string, rep, immediate, port);
  x.instruction_length = insn.len;
  // INS and OUTS say their address size and OUTS' segment, so that the monitor need not
  // read the instruction again (its page may no longer map where the processor fetched it).
  if (string) x.instruction_info = vmx::io_info::make(insn.a16(), insn.seg);
  cpu.vm_exit(x);
}

bool vmx_io_posting(Cpu& cpu, const Insn& insn, uint16_t port, unsigned size, bool in,
                    bool immediate) {
  if (!cpu.io_permitted(port, size)) {
    cpu.post_fault_as_thrown(vec::GP, 0);
    return true;
  }
  if (!cpu.vm_controls().io_exits(port, size)) return false;
  cpu.post_vm_exit(ExitReason::kIoInstruction,
                   vmx::io_qual::make(size, in, false, false, immediate, port), insn.len);
  return true;
}

}  // namespace vmlab::cpu
