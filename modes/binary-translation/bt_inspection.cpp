// BtMode's inspection (engine/vmm/core/inspection.h): the translation cache as rows (the virtual
// CPU and the P2M are the deprivileged mode's, engine/vmm/kit/deprivileged_monitor.h).
#include <capstone/capstone.h>

#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"

namespace vmlab::modes::bt {

namespace {

// Counts the instructions of translated code in [tc, tc + bytes.size()) and, of them, the
// calls into the monitor (an instruction whose end is a callout site's return address).
struct TcCount {
  uint32_t insns = 0;
  uint32_t callouts = 0;
};
TcCount count_tc(const TranslationCache& cache, const std::vector<uint8_t>& bytes, uint32_t tc) {
  TcCount c;
  csh h = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) != CS_ERR_OK) return c;
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(h, bytes.data(), bytes.size(), tc, 0, &insn);
  for (size_t i = 0; i < n; ++i) {
    ++c.insns;
    if (cache.callout_at(static_cast<uint32_t>(insn[i].address + insn[i].size))) ++c.callouts;
  }
  if (n) cs_free(insn, n);
  cs_close(&h);
  return c;
}

vmm::TranslationRow row_of(const TranslationCache& cache, uint32_t index) {
  const auto& f = cache.fragment(index);
  vmm::TranslationRow row;
  row.index = index;
  row.guest_start = f.guest_eip;
  row.guest_bytes = f.guest_bytes;
  row.tc_start = f.tc_start;
  row.tc_end = f.tc_end;
  row.guest_insns = f.insns;
  std::vector<uint8_t> code(f.tc_end - f.tc_start);
  cache.read(f.tc_start, code.data(), code.size());
  const TcCount c = count_tc(cache, code, f.tc_start);
  row.translated_insns = c.insns;
  row.callouts = c.callouts;
  return row;
}

}  // namespace

vmm::GuestCpuView BtMode::guest_cpu(const vmm::Vm& vm) const {
  vmm::GuestCpuView v = DeprivilegedMode::guest_cpu(vm);
  if (monitor_ && monitor_->in_tc()) {
    // In the translation cache CS is the TC's; the guest's is the kernel's own. The guest's
    // state is exact only where one guest instruction's translation begins. A fragment's
    // fall-through exit (a record of no guest bytes) holds the same state as the next
    // fragment's first instruction, where the guest instruction begins: a step stops there
    // once, not twice.
    v.cs = vmm::VirtualCpu::guest_selector(monitor_->guest_cs());
    const auto* record = monitor_->cache().record_at(v.hardware.eip);
    v.at_insn_boundary =
        record != nullptr && record->tc == v.hardware.eip && record->guest_len != 0;
  }
  return v;
}

std::vector<vmm::TranslationRow> BtMode::translations(const vmm::Vm& /*vm*/) const {
  std::vector<vmm::TranslationRow> rows;
  if (!monitor_) return rows;
  const TranslationCache& cache = monitor_->cache();
  for (uint32_t i = 0; i < cache.fragment_count(); ++i) {
    if (cache.fragment(i).live) rows.push_back(row_of(cache, i));
  }
  return rows;
}

std::optional<vmm::TranslationDetail> BtMode::translation(vmm::Vm& /*vm*/, uint32_t guest) {
  if (!monitor_) return std::nullopt;
  const auto tc = monitor_->translation_of(guest);
  const auto index = monitor_->cache().fragment_of(guest);
  if (!tc || !index) return std::nullopt;
  return fragment_detail(*monitor_, *index);
}

vmm::TranslationDetail fragment_detail(BtMonitor& monitor, uint32_t fragment) {
  TranslationCache& cache = monitor.cache();
  const auto& f = cache.fragment(fragment);
  vmm::TranslationDetail d;
  d.fragment = row_of(cache, fragment);
  uint32_t covered = f.tc_start;
  for (uint32_t r = f.first_record; r < f.first_record + f.record_count; ++r) {
    const auto& rec = cache.record(r);
    vmm::TranslatedInsn insn;
    insn.guest = rec.guest;
    insn.guest_len = rec.guest_len;
    // Read without setting the guest's accessed bits: looking changes nothing (a fragment
    // is also formatted while the run goes on, when the cache drops it: bt_run_record.h).
    const size_t len = std::min<size_t>(rec.guest_len, insn.guest_bytes.size());
    for (size_t k = 0; k < len; ++k) {
      const auto at = static_cast<uint32_t>(rec.guest + k);
      const vmm::GuestWalk w = monitor.memory().walk(at, cpu::Access::kRead, false, false);
      if (!w.ok) break;
      insn.guest_bytes[k] = monitor.memory().read_phys8(w.gpa);
    }
    insn.tc = rec.tc;
    insn.tc_bytes.resize(rec.tc_len);
    cache.read(rec.tc, insn.tc_bytes.data(), insn.tc_bytes.size());
    insn.how = translation_name(rec.how);
    d.insns.push_back(std::move(insn));
    covered = rec.tc + rec.tc_len;
  }
  d.stubs_tc = covered;
  if (covered < f.tc_end) {
    d.stubs.resize(f.tc_end - covered);
    cache.read(covered, d.stubs.data(), d.stubs.size());
  }
  // The callout sites of the whole fragment, found as count_tc finds them.
  {
    std::vector<uint8_t> code(f.tc_end - f.tc_start);
    cache.read(f.tc_start, code.data(), code.size());
    csh h = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) == CS_ERR_OK) {
      cs_insn* ci = nullptr;
      const size_t n = cs_disasm(h, code.data(), code.size(), f.tc_start, 0, &ci);
      for (size_t i = 0; i < n; ++i) {
        const auto ret = static_cast<uint32_t>(ci[i].address + ci[i].size);
        if (const auto* site = cache.callout_at(ret)) {
          d.callouts.push_back({ret, callout_name(site->kind), site->guest_eip,
                                site->kind == CalloutKind::kContinue});
        }
      }
      if (n) cs_free(ci, n);
      cs_close(&h);
    }
  }
  for (const auto& e : cache.exits(fragment)) d.exits.push_back({e.target, e.chained});
  for (const auto& ic : cache.inline_caches(fragment)) {
    d.inline_caches.push_back({ic.at, ic.predicted, ic.filled});
  }
  return d;
}

}  // namespace vmlab::modes::bt
