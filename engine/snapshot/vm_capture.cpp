#include "engine/snapshot/vm_capture.h"

#include <algorithm>
#include <cstring>

#include "engine/snapshot/byte_io.h"

namespace vmlab::snapshot {
namespace {

Section cpu_section(const cpu::Cpu& cpu) {
  ByteWriter w;
  cpu::save_architectural(w, cpu.state());
  w.boolean(cpu.guest_mode());
  w.boolean(cpu.nested_paging_active());
  return {kCpu, w.take()};
}

// What the devices show of themselves through their accessors (not every register: see
// docs/snapshots.md, "What a snapshot holds").
Section device_section(vmm::Vm& vm) {
  machine::Machine& m = vm.machine();
  ByteWriter w;
  for (const machine::Pic8259* pic : {&m.pic().master(), &m.pic().slave()}) {
    w.u8(pic->irr());
    w.u8(pic->isr());
    w.u8(pic->imr());
    w.boolean(pic->initialized());
  }
  w.u64(m.pic().spurious_count());
  w.u64(m.pit().next_event_cycle());
  w.u64(m.pit().irq0_edges());
  w.boolean(m.pit().gate2());
  w.boolean(m.uart().irq_level());
  w.u16(m.uart().divisor());
  w.boolean(m.uart().rx_interrupt_enabled());
  w.u64(m.ata().commands());
  w.u64(m.ata().data_words());
  w.u64(m.ata().aborted());
  w.boolean(m.ata().irq_line());
  machine::LocalApic& apic = m.local_apic();
  w.u64(apic.base_msr());
  w.boolean(apic.software_enabled());
  w.boolean(apic.interrupt_pending());
  w.u64(apic.next_event_cycle());
  w.boolean(m.rtc().nmi_disabled());
  w.u16(m.cga_text().cursor());
  w.u16(m.cga_text().start_address());
  return {kDevices, w.take()};
}

}  // namespace

std::vector<Section> capture_sections(vmm::Vm& vm) {
  const cpu::Cpu& cpu = vm.machine().cpu();
  std::vector<Section> out;
  {
    ByteWriter w;
    w.u64(cpu.instructions_retired());
    w.u64(cpu.cycles());
    w.u32(cpu.guest_eip());
    w.u64(cpu.tsc());
    out.push_back({kPosition, w.take()});
  }
  out.push_back(cpu_section(cpu));
  out.push_back(device_section(vm));
  {
    ByteWriter w;
    const vmm::EventCounters& c = vm.recorder().counters();
    w.u32(static_cast<uint32_t>(c.count.size()));
    for (size_t i = 0; i < c.count.size(); ++i) {
      w.u64(c.count[i]);
      w.u64(c.cycles[i]);
    }
    w.u64(cpu.tlb_hits());
    w.u64(cpu.tlb_misses());
    w.u64(cpu.tlb_flushes());
    w.u64(cpu.tlb_invlpgs());
    w.u64(cpu.vm_exits());
    w.u64(cpu.walk_references());
    w.u64(cpu.nested_walk_references());
    out.push_back({kCounters, w.take()});
  }
  {
    ByteWriter w;
    w.string(vm.machine().console_output());
    out.push_back({kConsole, w.take()});
  }
  return out;
}

Section memory_section(std::span<const uint8_t> now, std::span<const uint8_t> before) {
  static const uint8_t kZero[kPageBytes] = {};
  ByteWriter w;
  w.u64(now.size());
  w.u32(0);  // the page count, patched below
  uint32_t pages = 0;
  for (size_t at = 0; at + kPageBytes <= now.size(); at += kPageBytes) {
    const uint8_t* page = now.data() + at;
    const uint8_t* old = before.empty() ? kZero : before.data() + at;
    if (std::memcmp(page, old, kPageBytes) == 0) continue;
    w.u32(static_cast<uint32_t>(at / kPageBytes));
    w.bytes(std::span<const uint8_t>(page, kPageBytes));
    ++pages;
  }
  w.patch_u32(8, pages);
  return {kMemory, w.take()};
}

Section memory_section_of(std::span<const uint8_t> now, const std::vector<uint32_t>& pages) {
  ByteWriter w;
  w.u64(now.size());
  w.u32(static_cast<uint32_t>(pages.size()));
  for (const uint32_t page : pages) {
    w.u32(page);
    w.bytes(now.subspan(size_t{page} * kPageBytes, kPageBytes));
  }
  return {kMemory, w.take()};
}

uint64_t memory_pages(const Section& mem) {
  ByteReader r(mem.bytes);
  r.u64();
  return r.u32();
}

machine::Result<void> apply_memory(const Section& mem, std::vector<uint8_t>& image,
                                   const std::string& name) {
  ByteReader r(mem.bytes);
  const uint64_t size = r.u64();
  const uint32_t pages = r.u32();
  auto bad = [&](const std::string& what) {
    return machine::Error{name + ": corrupt snapshot: MEM " + what, kErrCorrupt};
  };
  if (r.failed() || size % kPageBytes != 0 || size > (uint64_t{4} << 30)) {
    return bad("bad memory size");
  }
  if (image.empty()) {
    image.assign(static_cast<size_t>(size), 0);
  } else if (image.size() != size) {
    return bad("size differs from the parent snapshot's");
  }
  if (uint64_t{pages} * (4 + kPageBytes) != r.remaining()) return bad("bad page count");
  for (uint32_t i = 0; i < pages; ++i) {
    const uint32_t index = r.u32();
    const auto bytes = r.bytes(kPageBytes);
    if (r.failed() || uint64_t{index} * kPageBytes + kPageBytes > size) {
      return bad("page index out of range");
    }
    std::memcpy(image.data() + uint64_t{index} * kPageBytes, bytes.data(), kPageBytes);
  }
  return {};
}

machine::Result<Position> position_of(const SnapshotFile& file, const std::string& name) {
  const Section* s = file.find(kPosition);
  if (s == nullptr) return machine::Error{name + ": corrupt snapshot: no POSN", kErrCorrupt};
  ByteReader r(s->bytes);
  Position p;
  p.instructions = r.u64();
  p.cycles = r.u64();
  p.guest_eip = r.u32();
  r.u64();
  if (!r.done()) return machine::Error{name + ": corrupt snapshot: bad POSN", kErrCorrupt};
  return p;
}

std::string first_difference(vmm::Vm& vm, const SnapshotFile& saved,
                             std::span<const uint8_t> saved_memory) {
  for (const Section& now : capture_sections(vm)) {
    const Section* then = saved.find(now.tag);
    if (then == nullptr || then->bytes != now.bytes) {
      const char name[5] = {char(now.tag), char(now.tag >> 8), char(now.tag >> 16),
                            char(now.tag >> 24), 0};
      return std::string("section ") + name;
    }
  }
  const auto memory = vm.machine().memory().span();
  if (memory.size() != saved_memory.size()) return "memory size";
  for (size_t at = 0; at < memory.size(); at += kPageBytes) {
    const size_t n = std::min<size_t>(kPageBytes, memory.size() - at);
    if (std::memcmp(memory.data() + at, saved_memory.data() + at, n) != 0) {
      char text[48];
      std::snprintf(text, sizeof text, "machine memory page 0x%zx", at / kPageBytes);
      return text;
    }
  }
  return {};
}

}  // namespace vmlab::snapshot
