// Vm::step is one guest instruction in every mode (engine/vmm/core/vm.h, "Control"): stepping a
// stretch of the guest kernel visits exactly the guest EIPs that native stepping visits,
// whether the instructions run on the processor (native, VT), are emulated by the monitor
// (trap on the classic CPU: CLI, MOV CR3, MOV CR0 in ring 1), are translated (bt: one guest
// instruction is several of the translated code's, or a callout) or are paravirtualized.
// And a run cut into guest steps is still the same run.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/machine/image_bytes.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

namespace ib = machine::image_bytes;

struct Variant {
  const char* name;
  vmm::ModeId mode;
  vmm::ModeOptions options;
};

Variant variant(const std::string& name) {
  Variant v{nullptr, vmm::ModeId::native, {}};
  if (name == "native") v = {"native", vmm::ModeId::native, {}};
  if (name == "trap") v = {"trap", vmm::ModeId::trap, {}};
  if (name == "trap_npt") {
    v = {"trap_npt", vmm::ModeId::trap, {}};
    v.options.nested_paging = true;
  }
  if (name == "trap_classic") {
    v = {"trap_classic", vmm::ModeId::trap, {}};
    v.options.cpu = vmm::ModeOptions::Cpu::kClassic;
  }
  if (name == "bt") v = {"bt", vmm::ModeId::bt, {}};
  if (name == "pv") v = {"pv", vmm::ModeId::pv, {}};
  return v;
}

const char* const kWorkload = "run=syscall iters=200";

std::unique_ptr<vmm::Vm> make_vm(const Variant& v, const std::string& args) {
  auto mode = make(v.mode, v.options);
  EXPECT_TRUE(mode.ok()) << mode.error().message;
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  auto profile = vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/pentium4.profile");
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  config.profile = profile.value();
  config.machine.memory_mib = 32;
  config.machine.cpu_mhz = 100;  // timer interrupts inside the run (vm_control_test.cpp)
  config.machine.cmdline = "vmlab_guest " + args;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok()) << vm.error().message;
  auto loaded = vm.value()->load_kernel(VMLAB_GUEST_KERNEL);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return std::move(vm.value());
}

struct Symbol {
  uint32_t address = 0, size = 0;
};

// `name` in the guest kernel's ELF32 symbol table (address 0: not found).
Symbol kernel_symbol(const std::string& name) {
  std::ifstream in(VMLAB_GUEST_KERNEL, std::ios::binary);
  const std::vector<uint8_t> f{std::istreambuf_iterator<char>(in), {}};
  const std::span<const uint8_t> b(f);
  if (f.size() < 52) return {};
  const uint32_t shoff = ib::get32(b, 32);
  const uint16_t shentsize = ib::get16(b, 46), shnum = ib::get16(b, 48);
  for (uint32_t i = 0; i < shnum; ++i) {
    const size_t sh = shoff + size_t{i} * shentsize;
    if (sh + 40 > f.size() || ib::get32(b, sh + 4) != 2) continue;  // SHT_SYMTAB
    const uint32_t off = ib::get32(b, sh + 16), size = ib::get32(b, sh + 20);
    const size_t strtab = shoff + size_t{ib::get32(b, sh + 24)} * shentsize;
    if (strtab + 40 > f.size()) return {};
    const uint32_t str_off = ib::get32(b, strtab + 16), str_size = ib::get32(b, strtab + 20);
    for (size_t s = off; s + 16 <= size_t{off} + size && s + 16 <= f.size(); s += 16) {
      const uint32_t n = ib::get32(b, s);
      if (n >= str_size || str_off + n >= f.size()) continue;
      const char* sym = reinterpret_cast<const char*>(f.data() + str_off + n);
      if (strnlen(sym, f.size() - str_off - n) == name.size() && name == sym) {
        return {ib::get32(b, s + 4), ib::get32(b, s + 8)};
      }
    }
  }
  return {};
}

// `count` guest steps: the guest EIP after each, with the step's own checks.
std::vector<uint32_t> step_eips(vmm::Vm& vm, unsigned count) {
  std::vector<uint32_t> eips;
  for (unsigned i = 0; i < count; ++i) {
    EXPECT_EQ(vm.step(), vmm::VmState::kPaused) << "step " << i;
    EXPECT_TRUE(vm.guest_cpu().at_insn_boundary) << "step " << i;
    eips.push_back(vm.guest_eip());
  }
  return eips;
}

// Runs processor instructions until the guest is at `eip`, at a guest instruction boundary.
bool run_to(vmm::Vm& vm, uint32_t eip) {
  for (unsigned i = 0; i < 5'000'000; ++i) {
    if (vm.guest_eip() == eip && vm.guest_cpu().at_insn_boundary) return true;
    if (vm.step_processor() != vmm::VmState::kPaused) return false;
  }
  return false;
}

// The index of the first difference (a.size() when equal), for a readable failure.
size_t first_difference(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i == a.size() && a.size() == b.size() ? a.size() : i;
}

void expect_same_eips(const std::vector<uint32_t>& native, const std::vector<uint32_t>& got) {
  const size_t i = first_difference(native, got);
  if (i != native.size()) {
    // The steps around the first difference: native's EIP, then this mode's.
    for (size_t k = i > 8 ? i - 8 : 0; k < i + 4 && k < native.size() && k < got.size(); ++k) {
      std::fprintf(stderr, "step %zu: %08x %08x\n", k, native[k], got[k]);
    }
  }
  ASSERT_EQ(i, native.size()) << std::hex << "first difference at step " << std::dec << i
                              << std::hex << ": native 0x" << (i < native.size() ? native[i] : 0)
                              << ", this mode 0x" << (i < got.size() ? got[i] : 0);
}

// Boot code from the Multiboot entry (guest/kernel/boot.S) to kmain: CLI, the REP STOSB
// that zeroes .bss, the page-table loops, MOV CR3, MOV CR0 and the jump to the high half,
// sensitive under ring compression; the stretch is native's steps until kmain.
constexpr unsigned kMaxBootSteps = 200'000;

// Native's steps from the entry until the guest EIP is `until` (that one included).
std::vector<uint32_t> native_steps_until(uint32_t until) {
  auto native = make_vm(variant("native"), kWorkload);
  std::vector<uint32_t> eips;
  while (eips.size() < kMaxBootSteps && (eips.empty() || eips.back() != until)) {
    if (native->step() != vmm::VmState::kPaused) break;
    eips.push_back(native->guest_eip());
  }
  return eips;
}

class GuestStepTest : public testing::TestWithParam<const char*> {};

TEST_P(GuestStepTest, BootCodeStepsVisitNativesEips) {
  const Variant v = variant(GetParam());
  if (v.mode == vmm::ModeId::pv) GTEST_SKIP() << "pv enters at its own entry (boot_pv)";
  const Symbol kmain = kernel_symbol("kmain");
  ASSERT_NE(kmain.address, 0u);
  const std::vector<uint32_t> expected = native_steps_until(kmain.address);
  ASSERT_EQ(expected.back(), kmain.address);
  auto vm = make_vm(v, kWorkload);
  expect_same_eips(expected, step_eips(*vm, static_cast<unsigned>(expected.size())));
  if (v.options.cpu == vmm::ModeOptions::Cpu::kClassic) {
    // The stretch holds instructions the monitor emulated (CLI, MOV CR3, MOV CR0, ...), each
    // one step of its own.
    EXPECT_GE(vm->recorder().counters().count_of(vmm::EventKind::emulated_insn), 3u);
  }
}

TEST_P(GuestStepTest, CommandLineParserStepsVisitNativesEips) {
  // cmdline_init and what it calls, from its first instruction to its return into kmain
  // (pv's caller is kmain_pv: the stretch ends before the return).
  const Variant v = variant(GetParam());
  const Symbol cmdline_init = kernel_symbol("cmdline_init");
  const Symbol kmain = kernel_symbol("kmain");
  ASSERT_NE(cmdline_init.address, 0u);
  ASSERT_NE(kmain.size, 0u);
  auto native = make_vm(variant("native"), kWorkload);
  ASSERT_TRUE(run_to(*native, cmdline_init.address));
  std::vector<uint32_t> expected;
  while (expected.size() < kMaxBootSteps) {
    ASSERT_EQ(native->step(), vmm::VmState::kPaused);
    const uint32_t eip = native->guest_eip();
    if (eip >= kmain.address && eip - kmain.address < kmain.size) break;
    expected.push_back(eip);
  }
  ASSERT_GT(expected.size(), 100u);
  auto vm = make_vm(v, kWorkload);
  ASSERT_TRUE(run_to(*vm, cmdline_init.address));
  expect_same_eips(expected, step_eips(*vm, static_cast<unsigned>(expected.size())));
}

TEST_P(GuestStepTest, RunCutIntoGuestStepsIsTheSameRun) {
  const Variant v = variant(GetParam());
  auto whole = make_vm(v, kWorkload);
  const machine::RunResult r = whole->run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  auto split = make_vm(v, kWorkload);
  // Guest steps at the start, then runs of processor instructions with guest steps between
  // them, until the end.
  for (unsigned i = 0; i < 20'000; ++i) ASSERT_EQ(split->step(), vmm::VmState::kPaused);
  vmm::VmState state = vmm::VmState::kPaused;
  for (unsigned calls = 0; state == vmm::VmState::kPaused; ++calls) {
    state = split->run_for(calls % 2 ? 99991 : 4099);
    for (unsigned s = 0; s < 50 && state == vmm::VmState::kPaused; ++s) state = split->step();
  }
  ASSERT_EQ(state, vmm::VmState::kStopped);
  const machine::RunResult& q = *split->last_stop();
  EXPECT_EQ(q.reason, r.reason);
  EXPECT_EQ(q.instructions, r.instructions);
  EXPECT_EQ(q.cycles, r.cycles);
  EXPECT_EQ(split->machine().console_output(), whole->machine().console_output());
  EXPECT_EQ(split->recorder().events_recorded(), whole->recorder().events_recorded());
  for (unsigned k = 0; k < vmm::kNumEventKinds; ++k) {
    EXPECT_EQ(split->recorder().counters().count[k], whole->recorder().counters().count[k])
        << "kind " << k;
    EXPECT_EQ(split->recorder().counters().cycles[k], whole->recorder().counters().cycles[k])
        << "kind " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryMode, GuestStepTest,
                         testing::Values("native", "trap", "trap_npt", "trap_classic", "bt", "pv"),
                         [](const testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace vmlab::modes
