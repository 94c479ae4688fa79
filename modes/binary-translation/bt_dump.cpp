#include "modes/binary-translation/bt_dump.h"

#include "engine/vmm/core/vm.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace vmlab::modes::bt {

namespace {

class Disassembler {
 public:
  Disassembler() { cs_open(CS_ARCH_X86, CS_MODE_32, &h_); }
  ~Disassembler() { cs_close(&h_); }
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  struct Line {
    uint32_t address;
    std::string bytes;
    std::string text;
    uint32_t size;
  };
  std::vector<Line> lines(const uint8_t* code, size_t size, uint32_t address) const {
    std::vector<Line> out;
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(h_, code, size, address, 0, &insn);
    for (size_t i = 0; i < n; ++i) {
      std::string bytes;
      char b[4];
      for (uint16_t k = 0; k < insn[i].size; ++k) {
        std::snprintf(b, sizeof b, "%02x", insn[i].bytes[k]);
        bytes += b;
      }
      std::string text = insn[i].mnemonic;
      if (insn[i].op_str[0]) text += std::string(" ") + insn[i].op_str;
      out.push_back({static_cast<uint32_t>(insn[i].address), bytes, text, insn[i].size});
    }
    if (n) cs_free(insn, n);
    return out;
  }

 private:
  csh h_ = 0;
};

std::string format(const char* fmt, uint32_t a, const std::string& b, const std::string& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b.c_str(), c.c_str());
  return buf;
}

}  // namespace

std::string untranslatable(uint32_t guest) {
  char line[256];
  std::snprintf(line, sizeof line,
                "bt-dump: guest address %08x cannot be translated (not mapped in the guest's "
                "page tables, or not code)\n",
                guest);
  return line;
}

std::string format_translation(const vmm::TranslationDetail& d) {
  char line[256];
  const vmm::TranslationRow& f = d.fragment;
  Disassembler dis;
  std::string out;
  std::snprintf(line, sizeof line,
                "fragment %u: guest %08x (%u instructions, %u bytes) -> TC %08x-%08x (%u bytes)\n",
                f.index, f.guest_start, f.guest_insns, f.guest_bytes, f.tc_start, f.tc_end,
                f.tc_end - f.tc_start);
  out += line;
  out += "  guest                                                        how       translation\n";
  for (const vmm::TranslatedInsn& rec : d.insns) {
    std::vector<Disassembler::Line> g;
    if (rec.guest_len > 0) g = dis.lines(rec.guest_bytes.data(), rec.guest_len, rec.guest);
    const auto t = dis.lines(rec.tc_bytes.data(), rec.tc_bytes.size(), rec.tc);
    const size_t rows = std::max<size_t>(std::max(g.size(), t.size()), 1);
    for (size_t i = 0; i < rows; ++i) {
      std::string left;
      if (i < g.size()) {
        left = format("%08x  %-14s %s", g[i].address, g[i].bytes, g[i].text);
      } else if (i == 0 && rec.guest_len == 0) {
        std::snprintf(line, sizeof line, "          (exit to %08x)", rec.guest);
        left = line;
      }
      const std::string how = i == 0 ? std::string(rec.how) : "";
      std::string right;
      if (i < t.size()) right = format("%08x  %-16s %s", t[i].address, t[i].bytes, t[i].text);
      std::snprintf(line, sizeof line, "  %-60.60s %-9s %s\n", left.c_str(), how.c_str(),
                    right.c_str());
      out += line;
    }
  }
  for (const auto& t : dis.lines(d.stubs.data(), d.stubs.size(), d.stubs_tc)) {
    std::string what = "stub";
    for (const vmm::CalloutSite& site : d.callouts) {
      if (site.return_address != t.address + t.size) continue;
      what = std::string("callout ") + std::string(site.kind);
      if (site.continuation) {
        std::snprintf(line, sizeof line, " -> %08x", site.guest_eip);
        what += line;
      }
    }
    std::snprintf(line, sizeof line, "  %-60s %-9s %08x  %-16s %s\n", what.c_str(), "", t.address,
                  t.bytes.c_str(), t.text.c_str());
    out += line;
  }
  for (size_t i = 0; i < d.exits.size(); ++i) {
    std::snprintf(line, sizeof line, "  exit %zu -> guest %08x: %s\n", i, d.exits[i].target,
                  d.exits[i].chained ? "chained" : "continuation (not yet taken)");
    out += line;
  }
  for (const auto& ic : d.inline_caches) {
    if (ic.filled) {
      std::snprintf(line, sizeof line, "  inline cache at %08x: predicts guest %08x\n", ic.at,
                    ic.predicted);
    } else {
      std::snprintf(line, sizeof line, "  inline cache at %08x: empty\n", ic.at);
    }
    out += line;
  }
  return out;
}

std::string bt_dump(vmm::Vm& vm, uint32_t guest) {
  const auto detail = vm.translation(guest);
  return detail ? format_translation(*detail) : untranslatable(guest);
}

}  // namespace vmlab::modes::bt
