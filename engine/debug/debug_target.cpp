// DebugTarget (debug_target.h): registers and memory through the guest's paging
// (breakpoints and run control: debug_run_control.cpp).
#include "engine/debug/debug_target.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "engine/machine/image_bytes.h"
#include "engine/vmm/core/inspection.h"
#include "engine/vmm/core/vcpu.h"

namespace vmlab::debug {

namespace {

// The g packet: eax..edi, eip, eflags, cs ss ds es fs gs (4 bytes each), st0..st7 (10
// bytes each), fctrl..fop (4 each), cr0 cr2 cr3 cr4 (4 each). gdb's numbering of the
// i386 registers (gdb's manual, "i386 Features").
constexpr unsigned kEip = 8, kEflags = 9, kCs = 10, kFirstSt = 16, kFirstFpuCtl = 24, kFirstCr = 32;
// gdb's segment order and the processor's (cpu::SegReg).
constexpr cpu::SegReg kSegOrder[6] = {cpu::CS, cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS};
// EFLAGS bits a debugger may change: CF PF AF ZF SF DF OF.
constexpr uint32_t kWritableFlags = 0x0CD5;

// Appends a little-endian 32-bit value.
void put32(std::vector<uint8_t>& out, uint32_t v) {
  out.resize(out.size() + 4);
  machine::image_bytes::set32(out, out.size() - 4, v);
}

uint32_t get32(std::span<const uint8_t> b) {
  return machine::image_bytes::get32(b, 0);
}

}  // namespace

std::string format_event(const vmm::Event& e, const cpu::Monitor* monitor) {
  const vmm::EventKindInfo& info = vmm::kEventKindInfo[vmm::index_of(e.kind)];
  char line[288];
  // Under bt an event of translated code carries the TC's EIP: the guest's is shown.
  const uint32_t guest = monitor ? monitor->guest_eip(e.eip) : e.eip;
  char tc[24] = "";
  if (guest != e.eip) std::snprintf(tc, sizeof tc, " (tc 0x%08x)", e.eip);
  int len = std::snprintf(line, sizeof line, "#%llu cycle %llu eip 0x%08x%s cpl %u %s",
                          static_cast<unsigned long long>(e.seq),
                          static_cast<unsigned long long>(e.cycle), guest, tc, e.cpl, info.name);
  for (int i = 0; i < 4 && len > 0 && static_cast<size_t>(len) < sizeof line; ++i) {
    if (!info.fields[i]) continue;
    len += std::snprintf(line + len, sizeof line - static_cast<size_t>(len), " %s=0x%x",
                         info.fields[i], e.payload[i]);
  }
  return line;
}

unsigned gdb_register_size(unsigned n) {
  if (n >= kNumGdbRegs) return 0;
  return n >= kFirstSt && n < kFirstFpuCtl ? 10 : 4;
}

DebugTarget::DebugTarget(vmm::Vm& vm) : vm_(&vm) {
  attach(vm);
}

void DebugTarget::attach(vmm::Vm& vm) {
  vm_ = &vm;
  vm_->recorder().enable_ring(kEventRing);
  seen_seq_ = vm_->recorder().events_recorded();
  event_seen_ = false;
  pending_access_.reset();
  for (Watch& w : watches_) w.last = watch_bytes(w);
}

std::string DebugTarget::load_vm(const std::string& file) {
  if (!load_vm_) return "error: monitor loadvm: this run cannot load snapshots\n";
  LoadedVm loaded = load_vm_(file);
  if (loaded.vm == nullptr) return loaded.line;
  // The machine replaced stays alive until here (the LoadVm's promise): let go of it.
  vm_->recorder().set_watch({}, {});
  attach(*loaded.vm);
  settle();  // a snapshot taken inside a bt translation: on to the guest's boundary
  return loaded.line;
}

DebugTarget::~DebugTarget() {
  vm_->recorder().set_watch({}, {});
}

// --- Registers ---------------------------------------------------------------------------

std::vector<uint8_t> DebugTarget::read_registers() const {
  const vmm::GuestCpuView v = vm_->guest_cpu();
  std::vector<uint8_t> out;
  out.reserve(16 * 4 + 8 * 10 + 8 * 4 + 4 * 4);
  for (uint32_t r : v.hardware.gpr) put32(out, r);
  put32(out, v.eip);
  put32(out, v.eflags);
  for (cpu::SegReg s : kSegOrder) {
    uint16_t sel = v.hardware.seg[s].selector;
    if (s == cpu::CS) {
      sel = v.cs;
    } else if (v.deprivileged && vm_->mode() != vmm::ModeId::pv) {
      sel = vmm::VirtualCpu::guest_selector(sel);
    }
    put32(out, sel);
  }
  // The processor models no x87 unit: its registers read as zero.
  out.insert(out.end(), 8 * 10 + 8 * 4, 0);
  for (uint32_t cr : {v.cr0, v.cr2, v.cr3, v.cr4}) put32(out, cr);
  return out;
}

std::optional<std::vector<uint8_t>> DebugTarget::read_register(unsigned n) const {
  if (n >= kNumGdbRegs) return std::nullopt;
  const std::vector<uint8_t> all = read_registers();
  size_t offset = 0;
  for (unsigned i = 0; i < n; ++i) offset += gdb_register_size(i);
  return std::vector<uint8_t>(all.begin() + static_cast<ptrdiff_t>(offset),
                              all.begin() + static_cast<ptrdiff_t>(offset + gdb_register_size(n)));
}

bool DebugTarget::write_registers(std::span<const uint8_t> bytes) {
  size_t total = 0;
  for (unsigned i = 0; i < kNumGdbRegs; ++i) total += gdb_register_size(i);
  if (bytes.size() != total) return false;
  // Check every register first, so that a refused one leaves all of them as they were.
  const std::vector<uint8_t> now = read_registers();
  const vmm::GuestCpuView v = vm_->guest_cpu();
  const bool eip_writable = v.at_insn_boundary && v.eip == v.hardware.eip;
  size_t offset = 0;
  for (unsigned i = 0; i < kNumGdbRegs; ++i) {
    const unsigned size = gdb_register_size(i);
    const bool same = std::memcmp(bytes.data() + offset, now.data() + offset, size) == 0;
    const bool writable = i < 8 || i == kEflags || (i == kEip && eip_writable);
    if (!same && !writable) return false;
    offset += size;
  }
  offset = 0;
  for (unsigned i = 0; i <= kEflags; ++i) {
    if (!write_register(i, bytes.subspan(offset, 4))) return false;
    offset += 4;
  }
  return true;
}

bool DebugTarget::write_register(unsigned n, std::span<const uint8_t> bytes) {
  if (n >= kNumGdbRegs || bytes.size() != gdb_register_size(n)) return false;
  cpu::CpuState& s = vm_->machine().cpu().state();
  if (n < 8) {
    s.gpr[n] = get32(bytes);
    return true;
  }
  const auto current = read_register(n);
  if (current && std::equal(current->begin(), current->end(), bytes.begin())) return true;
  if (n == kEflags) {
    const uint32_t value = get32(bytes);
    const uint32_t shown = get32(*current);
    if ((value ^ shown) & ~kWritableFlags) return false;  // IF, TF, IOPL, ...: the monitor's
    s.eflags = (s.eflags & ~kWritableFlags) | (value & kWritableFlags);
    return true;
  }
  if (n == kEip) {
    const vmm::GuestCpuView v = vm_->guest_cpu();
    if (!v.at_insn_boundary || v.eip != v.hardware.eip) return false;  // bt's TC
    s.eip = get32(bytes);
    return true;
  }
  return false;
}

// --- Memory ------------------------------------------------------------------------------

bool DebugTarget::owned_machine_frame(uint64_t machine) const {
  const uint64_t frame = machine >> 12;
  for (const vmm::P2mRange& r : vm_->p2m()) {
    if (frame >= r.first_mfn && frame < uint64_t{r.first_mfn} + r.count) return true;
  }
  return false;
}

std::optional<uint64_t> DebugTarget::translate(uint32_t linear, bool for_write) const {
  const vmm::GuestCpuView v = vm_->guest_cpu();
  const bool direct = vm_->real_paging() == vmm::RealPaging::kDirect;
  // Guest-physical (direct paging: machine) to machine, through the P2M.
  auto to_machine = [&](uint64_t address) -> std::optional<uint64_t> {
    if (direct) return address;
    for (const vmm::P2mRange& r : vm_->p2m()) {
      const uint64_t gfn = address >> 12;
      if (gfn >= r.first_gfn && gfn < uint64_t{r.first_gfn} + r.count) {
        return (uint64_t{r.first_mfn} + (gfn - r.first_gfn)) << 12 | (address & 0xFFF);
      }
    }
    return std::nullopt;
  };
  if (!(v.cr0 & cpu::cr0::PG)) return to_machine(linear);
  auto read32 = [&](uint32_t address) -> std::optional<uint32_t> {
    uint8_t b[4];
    const bool ok = direct ? vm_->read_machine(address, b) : vm_->read_guest_physical(address, b);
    if (!ok) return std::nullopt;
    return get32(b);
  };
  const vmm::TableWalk w = vmm::walk_guest_tables(read32, v.cr3, v.cr4, linear);
  if (!w.address) return std::nullopt;
  // Under direct paging the guest's writable mappings are the ones the PV monitor allows
  // (never a page-table page): a debugger's write goes through nothing else.
  if (for_write && direct && !w.writable) return std::nullopt;
  return to_machine(*w.address | (linear & 0xFFF));
}

size_t DebugTarget::read_memory(uint32_t linear, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    const uint32_t at = linear + static_cast<uint32_t>(done);
    if (done > 0 && at == 0) break;  // the end of the linear space
    const size_t chunk = std::min<size_t>(out.size() - done, 4096 - (at & 0xFFF));
    const auto machine = translate(at, false);
    if (!machine || !vm_->read_machine(*machine, out.subspan(done, chunk))) break;
    done += chunk;
  }
  return done;
}

bool DebugTarget::write_memory(uint32_t linear, std::span<const uint8_t> bytes) {
  std::vector<std::pair<uint64_t, std::span<const uint8_t>>> pieces;
  size_t done = 0;
  while (done < bytes.size()) {
    const uint32_t at = linear + static_cast<uint32_t>(done);
    if (done > 0 && at == 0) return false;
    const size_t chunk = std::min<size_t>(bytes.size() - done, 4096 - (at & 0xFFF));
    const auto machine = translate(at, true);
    if (!machine || !owned_machine_frame(*machine)) return false;
    pieces.emplace_back(*machine, bytes.subspan(done, chunk));
    done += chunk;
  }
  auto& memory = vm_->machine().memory();
  for (const auto& [machine, piece] : pieces) {
    if (!memory.contains(machine, piece.size())) return false;
  }
  for (const auto& [machine, piece] : pieces) memory.write(static_cast<uint32_t>(machine), piece);
  return true;
}

}  // namespace vmlab::debug
