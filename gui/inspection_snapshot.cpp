#include "gui/inspection_snapshot.h"

#include <capstone/capstone.h>

#include <array>

#include "engine/vmm/core/vm.h"

namespace vmlab::gui {

namespace {

// Reads guest-linear memory through the guest's own translation: its tables when paging
// is on (under pv they hold machine frames), physical = linear when it is off. Returns the
// bytes read, up to the first that is not mapped.
size_t read_linear(const vmm::Vm& vm, const vmm::GuestCpuView& cpu, uint32_t linear,
                   std::span<uint8_t> out) {
  const bool paging = (cpu.cr0 & 0x80000000u) != 0;
  const bool direct = paging && vm.real_paging() == vmm::RealPaging::kDirect;
  size_t done = 0;
  while (done < out.size()) {
    const uint32_t at = linear + static_cast<uint32_t>(done);
    const size_t chunk = std::min<size_t>(out.size() - done, 0x1000 - (at & 0xFFF));
    std::optional<uint64_t> physical;
    if (!paging) {
      physical = at;
    } else {
      const auto rows = vm.page_walk(at & ~0xFFFu, 1, 1);
      if (!rows.empty() && rows[0].guest_address) physical = *rows[0].guest_address + (at & 0xFFF);
    }
    if (!physical) break;
    const std::span<uint8_t> part = out.subspan(done, chunk);
    if (!(direct ? vm.read_machine(*physical, part) : vm.read_guest_physical(*physical, part))) {
      break;
    }
    done += chunk;
  }
  return done;
}

}  // namespace

std::vector<CodeLine> disassemble(const uint8_t* bytes, size_t size, uint32_t address, size_t max) {
  std::vector<CodeLine> lines;
  csh handle = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &handle) != CS_ERR_OK) return lines;
  cs_insn* insn = cs_malloc(handle);
  const uint8_t* code = bytes;
  uint64_t at = address;
  while (lines.size() < max && size > 0 && cs_disasm_iter(handle, &code, &size, &at, insn)) {
    CodeLine line;
    line.address = static_cast<uint32_t>(insn->address);
    for (uint16_t i = 0; i < insn->size; ++i) {
      line.bytes += QStringLiteral("%1 ").arg(insn->bytes[i], 2, 16, QLatin1Char('0'));
    }
    line.text = QString::fromLatin1(insn->mnemonic);
    if (insn->op_str[0] != '\0') line.text += QLatin1Char(' ') + QString::fromLatin1(insn->op_str);
    lines.push_back(std::move(line));
  }
  cs_free(insn, 1);
  cs_close(&handle);
  return lines;
}

InspectionSnapshot take_snapshot(vmm::Vm& vm) {
  InspectionSnapshot s;
  s.cpu = vm.guest_cpu();
  s.paging = vm.real_paging();
  s.p2m = vm.p2m();
  s.pages = vm.page_walk(0, 1u << 20, InspectionSnapshot::kMaxPages);
  std::array<uint8_t, 128> bytes{};
  const size_t got = read_linear(vm, s.cpu, s.cpu.eip, bytes);
  s.code = disassemble(bytes.data(), got, s.cpu.eip, 24);
  if (vm.mode() == vmm::ModeId::bt) s.translation = vm.translation(s.cpu.eip);
  return s;
}

}  // namespace vmlab::gui
