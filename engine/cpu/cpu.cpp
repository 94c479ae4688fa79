// The fetch-decode-execute loop, the decoded-instruction cache, and interrupt
// recognition at instruction boundaries (SDM Vol. 3A, 6.8-6.9).
#include "engine/cpu/cpu.h"

#include <cstring>

#include "engine/cpu/decoder.h"

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
      decode_cache_(size_t{1} << kDecodeCacheBits),
      page_generation_(ram.size() / kPageSize + 1, 0),
      page_has_code_(ram.size() / kPageSize + 1, 0) {}

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

void Cpu::fault(uint8_t vector, uint32_t error_code) { throw CpuFault{vector, true, error_code}; }

void Cpu::fault(uint8_t vector) { throw CpuFault{vector, false, 0}; }

void Cpu::unsupported(const std::string& what) { throw UnsupportedStop{what}; }

void Cpu::invalidate_code_page(uint32_t page) {
  ++page_generation_[page];
  page_has_code_[page] = 0;
}

void Cpu::notify_phys_write(uint32_t pa, uint32_t len) {
  if (len == 0) return;
  const uint64_t end = uint64_t{pa} + len - 1;
  for (uint64_t p = pa / kPageSize; p <= end / kPageSize && p < page_has_code_.size(); ++p) {
    if (page_has_code_[p]) invalidate_code_page(static_cast<uint32_t>(p));
  }
}

const Insn& Cpu::decode_uncached(uint32_t lin) {
  // The instruction straddles a page boundary: gather up to 15 bytes through paging,
  // page by page, so that a fault on the second page reports that page's address.
  uint8_t buf[16] = {};
  const bool d32 = s_.seg[CS].db;
  size_t have = 0;
  for (;;) {
    const uint32_t pa = translate(lin + static_cast<uint32_t>(have), Access::kExecute, s_.cpl == 3);
    const size_t chunk = std::min<size_t>(15 - have, kPageSize - (pa & (kPageSize - 1)));
    for (size_t i = 0; i < chunk; ++i) buf[have + i] = phys_read8(pa + static_cast<uint32_t>(i));
    have += chunk;
    const DecodeStatus st = decode(buf, have, d32, scratch_insn_);
    if (st == DecodeStatus::kOk) return scratch_insn_;
    if (st == DecodeStatus::kTooLong || have >= 15) fault_gp(0);
  }
}

const Insn& Cpu::fetch() {
  const SegmentCache& cs = s_.seg[CS];
  const uint32_t lin = cs.base + s_.eip;
  const uint32_t lin_page = lin & ~(kPageSize - 1);
  uint32_t phys_page;
  if (lin_page == fetch_lin_page_ && fetch_epoch_ == tlb_epoch_ && fetch_cpl_ == s_.cpl) {
    phys_page = fetch_phys_page_;
  } else {
    if (s_.eip > cs.limit) fault_gp(0);
    phys_page = translate(lin, Access::kExecute, s_.cpl == 3) & ~(kPageSize - 1);
    fetch_lin_page_ = lin_page;
    fetch_phys_page_ = phys_page;
    fetch_epoch_ = tlb_epoch_;
    fetch_cpl_ = s_.cpl;
  }
  const uint32_t pa = phys_page | (lin & (kPageSize - 1));
  const uint32_t page = pa / kPageSize;
  if (pa >= ram_.size() || page >= page_generation_.size()) {
    // Executing outside RAM: what the bus returns there (all ones) decodes as an
    // instruction that faults. Decode without caching.
    return decode_uncached(lin);
  }
  DecodeCacheEntry& e = decode_cache_[(pa ^ (pa >> kDecodeCacheBits)) & ((1u << kDecodeCacheBits) - 1)];
  const Insn* insn;
  if (e.paddr == pa && e.generation == page_generation_[page]) {
    insn = &e.insn;
  } else {
    const size_t in_page = kPageSize - (pa & (kPageSize - 1));
    const size_t avail = std::min<size_t>(in_page, ram_.size() - pa);
    const DecodeStatus st = decode(ram_.data() + pa, std::min<size_t>(avail, 15), cs.db, e.insn);
    if (st == DecodeStatus::kNeedMore) {
      e.paddr = 0xFFFFFFFFu;
      return decode_uncached(lin);
    }
    if (st == DecodeStatus::kTooLong) {
      e.paddr = 0xFFFFFFFFu;
      fault_gp(0);
    }
    e.paddr = pa;
    e.generation = page_generation_[page];
    page_has_code_[page] = 1;
    insn = &e.insn;
  }
  // The whole instruction must lie within CS (SDM Vol. 3A, 5.3).
  if (s_.eip + insn->len - 1u > cs.limit || s_.eip + insn->len - 1u < s_.eip) fault_gp(0);
  return *insn;
}

bool Cpu::service_events() {
  check_events_ = false;
  if (shutdown_) {
    check_events_ = true;
    stop_reason_ = StopReason::kTripleFault;
    return true;
  }
  if (stop_requested_) {
    stop_requested_ = false;
    stop_reason_ = StopReason::kRequested;
    return true;
  }
  if (s_.interrupt_shadow) {
    // One more instruction must retire before interrupts are recognized; look again after it.
    check_events_ = true;
    return false;
  }
  if ((s_.eflags & flags::IF) && bus_.intr_pending()) {
    const uint8_t vector = bus_.intr_acknowledge();
    s_.halted = false;
    deliver_interrupt(vector, EventSource::kExternal, false, 0);
  }
  if (s_.halted) {
    stop_reason_ = StopReason::kHalted;
    return true;
  }
  return false;
}

StopReason Cpu::run(uint64_t max_instructions) {
  const uint64_t end = icount_ + max_instructions;
  stop_reason_ = StopReason::kBudget;
  try {
    while (icount_ < end) {
      try {
        if (check_events_ && service_events()) return stop_reason_;
        // With an interrupt shadow pending, run exactly one instruction, then look again.
        const uint64_t slice_end = s_.interrupt_shadow ? icount_ + 1 : end;
        s_.interrupt_shadow = false;
        while (icount_ < slice_end && !check_events_) {
          insn_eip_ = s_.eip;
          const Insn& insn = fetch();
          s_.eip += insn.len;
          if (!s_.seg[CS].db) s_.eip &= 0xFFFF;
          insn.exec(*this, insn);
          ++icount_;
          ++cycles_;
        }
      } catch (const CpuFault& f) {
        // Faults restart the instruction: the saved EIP is the faulting instruction's.
        s_.eip = insn_eip_;
        s_.interrupt_shadow = false;
        deliver_interrupt(f.vector, EventSource::kException, f.has_error_code, f.error_code);
      }
    }
  } catch (const UnsupportedStop& u) {
    s_.eip = insn_eip_;
    stop_message_ = u.message;
    stop_reason_ = StopReason::kUnsupported;
  }
  return stop_reason_;
}

}  // namespace vmlab::cpu
