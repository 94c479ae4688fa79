// The fetch-decode-execute loop, the decoded-instruction cache, and interrupt
// recognition at instruction boundaries (SDM Vol. 3A, 6.8-6.9).
#include "engine/cpu/cpu.h"

#include <cstring>

#include "engine/cpu/decoder.h"
#include "engine/cpu/dirty_log.h"
#include "engine/cpu/no_progress.h"

namespace vmlab::cpu {

namespace {

// Thrown by Cpu::unsupported to leave the run loop with a message.
struct UnsupportedStop {
  std::string message;
};

constexpr uint32_t kPageSize = 4096;

}  // namespace

Cpu::Cpu(std::span<uint8_t> ram, Bus& bus)
    : ram_(ram),
      bus_(bus),
      block_cache_(size_t{1} << kBlockCacheBits),
      page_generation_(ram.size() / kPageSize + 1, 0),
      page_has_code_(ram.size() / kPageSize + 1, 0),
      page_dirty_(ram.size() / kPageSize + 1, 0) {}

void Cpu::reset_multiboot(uint32_t entry, uint32_t eax, uint32_t ebx) {
  s_ = CpuState{};
  s_.cr0 = cr0::PE | cr0::ET;
  // Flat segments as a boot loader leaves them: base 0, limit 4 GiB, 32-bit.
  // The selectors follow the usual boot GDT (null, code 0x08, data 0x10).
  for (uint8_t i = 0; i < kNumSegRegs; ++i) {
    SegmentCache& sc = s_.seg[i];
    sc.selector = (i == CS) ? 0x08 : 0x10;
    sc.base = 0;
    sc.limit = 0xFFFFFFFFu;
    sc.s = true;
    sc.type = (i == CS) ? 0xB : 0x3;  // execute/read accessed, read/write accessed
    sc.dpl = 0;
    sc.present = true;
    sc.db = true;
    sc.g = true;
    sc.usable = true;
  }
  s_.ldtr = SegmentCache{};
  s_.ldtr.usable = false;
  s_.ldtr.s = false;
  s_.tr = SegmentCache{};
  s_.tr.s = false;
  s_.tr.type = 0xB;  // busy 32-bit TSS, as after reset the TR cache is "valid" for a 64 KiB region
  s_.gdtr = TableRegister{0, 0};
  s_.idtr = TableRegister{0, 0x3FF};
  s_.eip = entry;
  s_.gpr[EAX] = eax;
  s_.gpr[EBX] = ebx;
  s_.eflags = flags::kReserved1;
  s_.cpl = 0;
  ++tlb_epoch_;
  shutdown_ = false;
  check_events_ = true;
}

void Cpu::set_eflags(uint32_t value) {
  const uint32_t old = s_.eflags;
  s_.eflags = (value | flags::kReserved1) & ~(1u << 3 | 1u << 5 | 1u << 15 | 0xFFC00000u);
  if ((s_.eflags & ~old) & (flags::IF | flags::TF)) check_events_ = true;
}

void Cpu::fault(uint8_t vector, uint32_t error_code) {
  throw CpuFault{vector, true, error_code};
}

void Cpu::fault(uint8_t vector) {
  throw CpuFault{vector, false, 0};
}

void Cpu::unsupported(const std::string& what) {
  throw UnsupportedStop{what};
}

void Cpu::no_progress_event(const char* what, const char* code_name, unsigned code) {
  // A guest can never hang the host. Real hardware would storm forever (a #UD handler
  // whose first instruction is UD2 again, with a stack that wraps); the model stops the
  // run with a message once a million events have passed with no instruction retiring.
  if (icount_ != progress_icount_) {
    progress_icount_ = icount_;
    progress_streak_ = 0;
  }
  if (++progress_streak_ > kMaxExitStreak) {
    unsupported("more than " + std::to_string(kMaxExitStreak) + " " + what +
                std::string(kNoProgressWords) + " (last " + code_name + " " + std::to_string(code) +
                ")");
  }
}

void Cpu::invalidate_code_page(uint32_t page) {
  ++page_generation_[page];
  page_has_code_[page] = 0;
  // The block being executed may be on this page: leave it after this instruction.
  check_events_ = true;
  if (monitor_) monitor_->on_code_page_write(page);
}

void Cpu::notify_phys_write(uint32_t pa, uint32_t len) {
  if (len == 0) return;
  const uint64_t end = uint64_t{pa} + len - 1;
  for (uint64_t p = pa / kPageSize; p <= end / kPageSize && p < page_has_code_.size(); ++p) {
    page_dirty_[p] |= kDirtyByPhysical;
    if (page_has_code_[p]) invalidate_code_page(static_cast<uint32_t>(p));
  }
}

namespace {

// Instructions after which a block ends: every control transfer (its successor is not the
// next instruction), and everything that can change CS, paging, the descriptor tables or
// interrupt recognition, so that the instructions after it are fetched afresh.
bool ends_block(const Insn& insn) {
  const uint16_t op = insn.op;
  if ((op >= 0x70 && op <= 0x7F) || (op >= 0x180 && op <= 0x18F)) return true;  // Jcc
  if (op >= 0xE0 && op <= 0xE3) return true;                                    // LOOPcc, JECXZ
  if (op == 0xFF) return insn.reg >= 2 && insn.reg <= 5;  // near/far indirect CALL, JMP
  switch (op) {
    case 0x9A:
    case 0xE8:
    case 0xE9:
    case 0xEA:
    case 0xEB:  // CALL, JMP
    case 0xC2:
    case 0xC3:
    case 0xCA:
    case 0xCB:
    case 0xCF:  // RET, IRET
    case 0xCC:
    case 0xCD:
    case 0xCE:
    case 0xF1:  // INT3, INT n, INTO
    case 0xF4:  // HLT
    case 0x8E:
    case 0x17:
    case 0xFA:
    case 0xFB:
    case 0x9D:  // MOV/POP SS, CLI, STI, POPF
    case 0xC4:
    case 0xC5:
    case 0x1B2:  // LES, LDS, LSS
    case 0x100:
    case 0x101:
    case 0x106:  // LLDT/LTR, LGDT/LIDT/INVLPG, CLTS
    case 0x120:
    case 0x122:
    case 0x123:  // MOV CR, MOV DR
    case 0x130:
    case 0x134:
    case 0x135:  // WRMSR, SYSENTER, SYSEXIT
      return true;
    default: return insn.exec == &handler_undefined;
  }
}

}  // namespace

void Cpu::decode_block(DecodedBlock& block, uint32_t pa) {
  const bool d32 = s_.seg[CS].db;
  const uint32_t page_end =
      std::min<uint32_t>((pa | (kPageSize - 1)) + 1, static_cast<uint32_t>(ram_.size()));
  block.paddr = pa;
  block.generation = page_generation_[pa / kPageSize];
  block.default32 = d32;
  block.count = 0;
  uint32_t at = pa;
  while (block.count < kMaxBlockInsns && at < page_end) {
    Insn& insn = block.insns[block.count];
    const size_t avail = std::min<size_t>(page_end - at, 15);
    const DecodeStatus st = decode(ram_.data() + at, avail, d32, insn);
    if (st != DecodeStatus::kOk) break;  // straddles the page, or too long: decode it alone
    ++block.count;
    at += insn.len;
    if (ends_block(insn)) break;
  }
  page_has_code_[pa / kPageSize] = 1;
}

const Cpu::DecodedBlock& Cpu::decode_straddling(uint32_t lin) {
  // The instruction crosses a page boundary (or lies outside RAM): gather up to 15 bytes
  // through paging, page by page, so that a fault on the second page reports that page's
  // address, and decode it alone, uncached.
  uint8_t buf[16] = {};
  const bool d32 = s_.seg[CS].db;
  size_t have = 0;
  Insn& insn = scratch_block_.insns[0];
  for (;;) {
    const uint32_t pa = translate(lin + static_cast<uint32_t>(have), Access::kExecute, s_.cpl == 3);
    const size_t chunk = std::min<size_t>(15 - have, kPageSize - (pa & (kPageSize - 1)));
    for (size_t i = 0; i < chunk; ++i) buf[have + i] = phys_read8(pa + static_cast<uint32_t>(i));
    have += chunk;
    const DecodeStatus st = decode(buf, have, d32, insn);
    if (st == DecodeStatus::kOk) break;
    if (st == DecodeStatus::kTooLong || have >= 15) fault_gp(0);
  }
  scratch_block_.paddr = 0xFFFFFFFFu;
  scratch_block_.count = 1;
  return scratch_block_;
}

const Cpu::DecodedBlock& Cpu::fetch_block() {
  const SegmentCache& cs = s_.seg[CS];
  if (s_.eip > cs.limit) fault_gp(0);
  const uint32_t lin = cs.base + s_.eip;
  const uint32_t lin_page = lin & ~(kPageSize - 1);
  uint32_t phys_page;
  if (lin_page == fetch_lin_page_ && fetch_epoch_ == tlb_epoch_ && fetch_cpl_ == s_.cpl) {
    phys_page = fetch_phys_page_;
  } else {
    phys_page = translate(lin, Access::kExecute, s_.cpl == 3) & ~(kPageSize - 1);
    fetch_lin_page_ = lin_page;
    fetch_phys_page_ = phys_page;
    fetch_epoch_ = tlb_epoch_;
    fetch_cpl_ = s_.cpl;
  }
  const uint32_t pa = phys_page | (lin & (kPageSize - 1));
  // Code outside RAM reads as all ones from the bus: decode it uncached (it faults).
  if (pa >= ram_.size()) return decode_straddling(lin);
  DecodedBlock& b = block_cache_[(pa ^ (pa >> kBlockCacheBits)) & ((1u << kBlockCacheBits) - 1)];
  if (b.paddr != pa || b.generation != page_generation_[pa / kPageSize] || b.default32 != cs.db) {
    decode_block(b, pa);
    if (b.count == 0) {
      b.paddr = 0xFFFFFFFFu;
      return decode_straddling(lin);
    }
  }
  return b;
}

bool Cpu::service_events() {
  check_events_ = false;
  if (shutdown_) {
    check_events_ = true;
    run_end_ = RunEnd::kTripleFault;
    return true;
  }
  if (stop_requested_) {
    stop_requested_ = false;
    // Nothing else was looked at: the next run() looks first, so that an interrupt a device
    // raised with its stop (a self-IPI, a lowered TPR) is taken at the next instruction
    // boundary, not at the next STI (issue 12, item 14).
    check_events_ = true;
    run_end_ = RunEnd::kRequested;
    return true;
  }
  if (yield_requested_) {
    yield_requested_ = false;
    // Nothing was looked at: the next run() services the events of this boundary.
    check_events_ = true;
    run_end_ = RunEnd::kBudget;
    return true;
  }
  if (monitor_) monitor_->at_event_check();
  if (guest_mode_) [[unlikely]]
    return service_guest_events();
  // After STI or MOV SS one more instruction retires before interrupts are recognized;
  // run() executes it and then looks again.
  if (s_.interrupt_shadow) return false;
  if (nmi_pending_ && !nmi_blocked_) {
    // The NMI before INTR (SDM Vol. 3A, table 6-2), whatever IF says. NMIs are blocked from
    // this delivery on, until the next IRET (6.7.1), even if the delivery faults (QEMU sets
    // its mask before delivering, too). Interrupts are looked at again before the
    // handler's first instruction, as after any delivery.
    nmi_pending_ = false;
    nmi_blocked_ = true;
    s_.halted = false;
    insn_eip_ = s_.eip;
    check_events_ = true;
    deliver_interrupt(vec::NMI, EventSource::kNmi, false, 0);
    return false;
  }
  if ((s_.eflags & flags::IF) && bus_.intr_pending()) {
    if (monitor_ && !monitor_->interrupt_window_open()) {
      // The guest cannot take it yet (monitor.h): leave it in the controller, run one
      // instruction, look again.
      window_closed_ = true;
    } else {
      const uint8_t vector = bus_.intr_acknowledge();
      s_.halted = false;
      insn_eip_ = s_.eip;  // nothing is executing: a stop during delivery rewinds to here
      deliver_interrupt(vector, EventSource::kExternal, false, 0);
    }
  }
  if (s_.halted) {
    // Stay halted across calls: the next run() must look for an interrupt first.
    check_events_ = true;
    run_end_ = RunEnd::kHalted;
    return true;
  }
  return false;
}

void Cpu::take_fault(const CpuFault& f) {
  // Faults restart the instruction: the saved EIP is the faulting instruction's.
  s_.eip = insn_eip_;
  s_.interrupt_shadow = false;
  if (guest_mode_) [[unlikely]] {
    deliver_fault_in_guest(f);  // the exception bitmap may turn it into a VM exit
  } else {
    deliver_interrupt(f.vector, EventSource::kException, f.has_error_code, f.error_code);
  }
}

RunEnd Cpu::run(uint64_t max_instructions, uint64_t max_units) {
  // Two bounds: retired instructions, and budget units (budget_units(): instructions, REP
  // iterations and delivered events), so that an exception storm or a long REP ends the
  // call too.
  const uint64_t end =
      max_instructions > UINT64_MAX - icount_ ? UINT64_MAX : icount_ + max_instructions;
  const uint64_t unit_end = max_units > UINT64_MAX - units_ ? UINT64_MAX : units_ + max_units;
  budget_end_ = unit_end;
  run_end_ = RunEnd::kBudget;
  try {
    while (icount_ < end && units_ < unit_end) {
      bool as_thrown = false;  // a fault or exit posted to be taken as its throw would be
      try {
        if (check_events_ && service_events()) return run_end_;
        // With an interrupt shadow pending, run exactly one instruction, then look again.
        // The same while a monitor holds an interrupt back (window_closed_).
        const bool shadow = s_.interrupt_shadow || window_closed_;
        const uint64_t slice_end = shadow ? icount_ + 1 : end;
        shadowed_icount_ = s_.interrupt_shadow ? icount_ : UINT64_MAX;
        s_.interrupt_shadow = false;
        window_closed_ = false;
        while (icount_ < slice_end && units_ < unit_end && !check_events_) {
          // A fault (or VM exit) while fetching belongs to the instruction at EIP, not to
          // the one before it (a CALL into an unmapped page must not run twice).
          insn_eip_ = s_.eip;
          const DecodedBlock& block = fetch_block();
          const Insn* insn = block.insns;
          const Insn* const last = insn + block.count;
          const uint32_t epoch = tlb_epoch_;
          const uint32_t cs_limit = s_.seg[CS].limit;
          const uint32_t eip_mask = s_.seg[CS].db ? 0xFFFFFFFFu : 0xFFFFu;
          uint32_t next;
          uint64_t fall;  // where the next decoded instruction lies, as an offset in CS
          do {
            insn_eip_ = s_.eip;
            // The whole instruction must lie within CS (SDM Vol. 3A, 5.3).
            if (s_.eip + insn->len - 1u > cs_limit) [[unlikely]] {
              post_fault(vec::GP, true, 0);
              break;
            }
            fall = uint64_t{s_.eip} + insn->len;
            next = static_cast<uint32_t>(fall) & eip_mask;
            s_.eip = next;
            insn->exec(*this, *insn);
            if (fault_posted_) [[unlikely]]
              break;  // it did not retire
            ++icount_;
            ++units_;
            cycles_ += class_cost_[insn->cost_class];
            // Stay in the block while execution falls through and nothing asked to look.
            // An EIP that wrapped (IP past 0xFFFF in 16-bit code) continues at CS:0, not at
            // the next byte of the block's page: fetched afresh (random guest seed 21112).
          } while (++insn != last && s_.eip == next && next == fall && !check_events_ &&
                   epoch == tlb_epoch_ && icount_ < slice_end && units_ < unit_end);
          if (fault_posted_) [[unlikely]] {
            if (posted_kind_ != PostedKind::kFault) {
              as_thrown = true;
              break;
            }
            fault_posted_ = false;
            take_fault(posted_fault_);
          }
        }
        if (shadow && !as_thrown) check_events_ = true;
      } catch (const CpuFault& f) {
        fault_posted_ = false;
        take_fault(f);
      } catch (const VmExitSignal& x) {
        // Guest mode only: an instruction or event left guest mode (vmx.cpp).
        exit_to_monitor(x.exit);
      }
      if (as_thrown) [[unlikely]] {
        // Where the catch above would have taken it, had it been thrown.
        fault_posted_ = false;
        const PostedKind kind = posted_kind_;
        posted_kind_ = PostedKind::kFault;
        if (kind == PostedKind::kVmExit) {
          exit_to_monitor(posted_exit_);
        } else {
          take_fault(posted_fault_);
        }
      }
    }
  } catch (const UnsupportedStop& u) {
    s_.eip = insn_eip_;
    stop_message_ = u.message;
    run_end_ = RunEnd::kUnsupported;
  }
  return run_end_;
}

}  // namespace vmlab::cpu
