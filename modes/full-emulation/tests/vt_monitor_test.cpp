// The VT monitor on tiny guests with exact event counts, in both paging variants, and the
// registry's rules for --cpu and --npt.
#include <gtest/gtest.h>

#include "engine/machine/tests/elf_builder.h"
#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

using vmm::EventKind;

// mov al, 0x42; out 0x80, al; xor eax, eax; cpuid; mov al, 0; out 0xF4, al; hlt
const std::vector<uint8_t> kTinyGuest = {0xB0, 0x42, 0xE6, 0x80, 0x31, 0xC0, 0x0F,
                                         0xA2, 0xB0, 0x00, 0xE6, 0xF4, 0xF4};

struct TinyRun {
  machine::RunResult result;
  vmm::EventCounters counters;
  uint64_t exits = 0;
  uint32_t eip = 0, eax = 0;
};

TinyRun run_tiny(bool nested, const std::vector<uint8_t>& code = kTinyGuest) {
  vmm::ModeOptions options;
  options.nested_paging = nested;
  auto mode = make(vmm::ModeId::trap, options);
  EXPECT_TRUE(mode.ok());
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  config.machine.memory_mib = 16;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  machine::testing::ElfSpec spec;
  spec.segments.push_back({0x100000, 0x100000, code, 0x1000});
  const auto image = machine::testing::build_elf(spec);
  EXPECT_TRUE(vm.value()->load_kernel_image(image, "tiny").ok());
  TinyRun r;
  r.result = vm.value()->run();
  r.counters = vm.value()->recorder().counters();
  r.exits = vm.value()->machine().cpu().vm_exits();
  r.eip = vm.value()->machine().cpu().state().eip;
  r.eax = vm.value()->machine().cpu().state().gpr[cpu::EAX];
  return r;
}

uint64_t count(const TinyRun& r, EventKind k) {
  return r.counters.count[vmm::index_of(k)];
}

TEST(VtMonitor, TinyGuestUnderNestedPagingExitsForIoAndCpuidOnly) {
  const TinyRun r = run_tiny(true);
  EXPECT_EQ(r.result.reason, machine::StopReason::kExitPort);
  // OUT 0x80, CPUID, OUT 0xF4: three exits, three emulations, two port accesses.
  EXPECT_EQ(r.exits, 3u);
  EXPECT_EQ(count(r, EventKind::trap), 3u);
  EXPECT_EQ(count(r, EventKind::emulated_insn), 3u);
  EXPECT_EQ(count(r, EventKind::port_io), 2u);
  // The one code page, with the guest's paging off: one walk of the nested table.
  EXPECT_EQ(count(r, EventKind::nested_walk), 1u);
  EXPECT_EQ(count(r, EventKind::hidden_fault), 0u);
}

TEST(VtMonitor, TinyGuestUnderShadowPagingAlsoTakesOneHiddenFault) {
  const TinyRun r = run_tiny(false);
  EXPECT_EQ(r.result.reason, machine::StopReason::kExitPort);
  // The code page is missing from the physical-mode shadow: one #PF exit, filled.
  EXPECT_EQ(r.exits, 4u);
  EXPECT_EQ(count(r, EventKind::trap), 4u);
  EXPECT_EQ(count(r, EventKind::hidden_fault), 1u);
  EXPECT_EQ(count(r, EventKind::true_fault), 0u);
  EXPECT_EQ(count(r, EventKind::emulated_insn), 3u);
  EXPECT_EQ(count(r, EventKind::nested_walk), 0u);
}

// Issue 12: a VM exit saves the STI shadow of the instruction that exited (SDM Vol. 3C,
// 24.4.2); the monitor that emulates it (HLT here) retires it, which ends the shadow: a
// halted processor with a pending shadow is not a state VM entry accepts (26.3.1.5).
// With the shadow left set, the next entry ran the instruction after the HLT at once.
TEST(VtMonitor, StiHltHaltsAfterTheExitSavedTheShadow) {
  // mov al, 0xFF; out 0x21, al (every IRQ masked at the PIC); cli; sti; hlt; mov al, 1;
  // out 0xF4, al; hlt
  const std::vector<uint8_t> code = {0xB0, 0xFF, 0xE6, 0x21, 0xFA, 0xFB,
                                     0xF4, 0xB0, 0x01, 0xE6, 0xF4, 0xF4};
  for (const bool nested : {false, true}) {
    const TinyRun r = run_tiny(nested, code);
    EXPECT_EQ(r.result.reason, machine::StopReason::kHaltedNothingToWake)
        << nested << r.result.message;
    EXPECT_FALSE(r.result.exit_value.has_value()) << nested;
    // Halted after the HLT, before the MOV: before the fix the MOV ran (EIP 0x100009).
    EXPECT_EQ(r.eip, 0x100007u) << nested;
    EXPECT_EQ(r.eax & 0xFF, 0xFFu) << nested;
  }
}

TEST(VtMonitor, APageFaultWhileDeliveringAPageFaultIsADoubleFaultThenShutdown) {
  // lgdt; lidt; paging on with one 4 MiB page at 0; xor esp, esp; push eax: the push
  // writes at 0xFFFFFFFC, which the guest's own page directory leaves unmapped, a #PF the
  // guest sees. Delivering it pushes at the same place: a #PF while the processor
  // delivered a #PF is a #DF (SDM Vol. 3A, table 6-5), and a #PF while delivering that #DF
  // shuts the guest down. The monitor must combine them; re-injecting the #PF would exit
  // forever without retiring anything. (Under VT the top of the linear space is the
  // guest's: there is no hypervisor hole to fault in.)
  auto mode = make(vmm::ModeId::trap);
  ASSERT_TRUE(mode.ok());
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  config.machine.memory_mib = 16;
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok());
  std::vector<uint8_t> image(0x4000, 0);
  auto put32 = [&](uint32_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) image[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  const std::vector<uint8_t> code = {
      0x0F, 0x01, 0x15, 0x00, 0x22, 0x10, 0x00,        // lgdt [0x102200]
      0x0F, 0x01, 0x1D, 0x08, 0x22, 0x10, 0x00,        // lidt [0x102208]
      0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10,              // mov eax, cr4; or eax, PSE
      0x0F, 0x22, 0xE0,                                // mov cr4, eax
      0xB8, 0x00, 0x30, 0x10, 0x00, 0x0F, 0x22, 0xD8,  // mov eax, 0x103000; mov cr3, eax
      0x0F, 0x20, 0xC0, 0x0D, 0x00, 0x00, 0x00, 0x80,  // mov eax, cr0; or eax, PG
      0x0F, 0x22, 0xC0,                                // mov cr0, eax
      0xA1, 0x00, 0x20, 0x10, 0x00,  // mov eax, [0x102000]: the IDT's page is shadowed
      0x31, 0xE4, 0x50};             // xor esp, esp; push eax
  std::copy(code.begin(), code.end(), image.begin());
  put32(0x3000, 0x00000083);  // PDE 0: a 4 MiB page at 0, present and writable
  put32(0x2108, 0x0000FFFF);  // GDT 0x08: flat ring-0 code
  put32(0x210C, 0x00CF9A00);
  for (const uint32_t vector : {8u, 14u}) {  // interrupt gates to 0x100000
    put32(0x2000 + 8 * vector, 0x00080000);
    put32(0x2004 + 8 * vector, 0x00108E00);
  }
  put32(0x2200, 0x0000000F | 0x2100u << 16);  // GDTR: limit 15, base 0x102100
  put32(0x2204, 0x0010);
  put32(0x2208, 0x0000007F | 0x2000u << 16);  // IDTR: limit 0x7F, base 0x102000
  put32(0x220C, 0x0010);
  machine::testing::ElfSpec spec;
  spec.segments.push_back({0x100000, 0x100000, image, 0x4000});
  ASSERT_TRUE(vm.value()->load_kernel_image(machine::testing::build_elf(spec), "df").ok());
  const auto r = vm.value()->run();
  EXPECT_EQ(r.reason, machine::StopReason::kTripleFault) << r.message;
  EXPECT_NE(r.message.find("double fault"), std::string::npos) << r.message;
  const auto& c = vm.value()->recorder().counters();
  EXPECT_EQ(c.count_of(EventKind::virq_inject), 2u);  // the #PF, then the #DF
}

// Random guest --rich seed 31222 --paging: guest kernel code whose every instruction exits
// (an ADD [EAX], AL onto the page directory, over and over) ran out of budget natively but
// not under VT with shadow paging, whose emulated instructions were no budget units: the
// guest went on past natively's stop (to a HLT, 18 s later). An instruction the monitor
// completes retires as natively, one unit (Cpu::budget_units). Each guest here turns paging
// on (PDE 0 a 4 MiB page, the directory at 0x103000), then runs 300 of one instruction
// (a store onto its page directory, which shadow paging emulates, or CPUID, which exits
// in both variants) and halts; with a budget of 200 every mode stops on the budget.
TEST(VtMonitor, EmulatedInstructionsUseTheBudgetAsNatively) {
  const std::vector<uint8_t> store = {0xA3, 0x04, 0x30, 0x10, 0x00};  // mov [0x103004], eax
  const std::vector<uint8_t> cpuid = {0x0F, 0xA2};
  for (const auto* insn : {&store, &cpuid}) {
    for (const int variant : {0, 1, 2}) {  // native, trap (shadow), trap --npt
      vmm::ModeOptions options;
      options.nested_paging = variant == 2;
      auto mode = make(variant == 0 ? vmm::ModeId::native : vmm::ModeId::trap, options);
      ASSERT_TRUE(mode.ok());
      vmm::VmConfig config;
      config.mode = std::move(mode.value());
      config.machine.memory_mib = 16;
      config.machine.max_instructions = 200;
      auto vm = vmm::Vm::create(std::move(config));
      ASSERT_TRUE(vm.ok());
      std::vector<uint8_t> image(0x4000, 0);
      std::vector<uint8_t> code = {
          0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10, 0x0F, 0x22, 0xE0,  // cr4 |= PSE
          0xB8, 0x00, 0x30, 0x10, 0x00, 0x0F, 0x22, 0xD8,        // mov cr3, 0x103000
          0x0F, 0x20, 0xC0, 0x0D, 0x00, 0x00, 0x00, 0x80,        // cr0 |= PG
          0x0F, 0x22, 0xC0, 0x31, 0xC0};                         // mov cr0, eax; xor eax, eax
      for (int i = 0; i < 300; ++i) code.insert(code.end(), insn->begin(), insn->end());
      code.insert(code.end(), {0xFA, 0xF4});  // cli; hlt
      ASSERT_LE(code.size(), 0x3000u);
      std::copy(code.begin(), code.end(), image.begin());
      image[0x3000] = 0x83;  // PDE 0: a 4 MiB page at 0, present and writable
      machine::testing::ElfSpec spec;
      spec.segments.push_back({0x100000, 0x100000, image, 0x4000});
      ASSERT_TRUE(vm.value()->load_kernel_image(machine::testing::build_elf(spec), "b").ok());
      const auto r = vm.value()->run();
      EXPECT_EQ(r.reason, machine::StopReason::kBudgetExhausted)
          << variant << " " << (insn == &store ? "store" : "cpuid") << ": " << r.message;
    }
  }
}

// Random guest --rich seed 31278 --paging: an INSD rewrote the directory entry that maps its
// own code, without a flush; the processor goes on fetching through its TLB (SDM Vol. 3A,
// 4.10.4.3), and under nested paging so does the guest's. The VT monitor read the next
// INSD's bytes again through the guest's tables as they are now, found nothing there and
// stopped ("cannot decode the string I/O instruction"). The exit's instruction-information
// field (address size, OUTS' segment) says all the monitor needs. The guest: paging on
// (PDE 0 and PDE 1 4 MiB pages onto the first 4 MiB), INSD from port 0xE8 (nothing behind
// it: all ones, a PDE with reserved bits set) onto PDE 0 through the alias at 4 MiB, INSD
// onto a data word, read back, exit with its low byte. Before, trap --npt stopped (74).
TEST(VtMonitor, StringIoExitNeedsNoInstructionBytes) {
  for (const int variant : {0, 2}) {  // native, trap --npt
    vmm::ModeOptions options;
    options.nested_paging = variant == 2;
    auto mode = make(variant == 0 ? vmm::ModeId::native : vmm::ModeId::trap, options);
    ASSERT_TRUE(mode.ok());
    vmm::VmConfig config;
    config.mode = std::move(mode.value());
    config.machine.memory_mib = 16;
    auto vm = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(vm.ok());
    std::vector<uint8_t> image(0x4000, 0);
    const std::vector<uint8_t> code = {
        0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10, 0x0F, 0x22, 0xE0,  // cr4 |= PSE
        0xB8, 0x00, 0x30, 0x10, 0x00, 0x0F, 0x22, 0xD8,        // mov cr3, 0x103000
        0x0F, 0x20, 0xC0, 0x0D, 0x00, 0x00, 0x00, 0x80,        // cr0 |= PG
        0x0F, 0x22, 0xC0,                                      // mov cr0, eax
        0xBA, 0xE8, 0x00, 0x00, 0x00,                          // mov edx, 0xE8
        0xBF, 0x00, 0x30, 0x50, 0x00, 0x6D,                    // mov edi, 0x503000; insd
        0xBF, 0x00, 0x38, 0x50, 0x00, 0x6D,                    // mov edi, 0x503800; insd
        0xA1, 0x00, 0x38, 0x50, 0x00,                          // mov eax, [0x503800]
        0xE6, 0xF4};                                           // out 0xF4, al
    std::copy(code.begin(), code.end(), image.begin());
    image[0x3000] = 0x83;  // PDE 0: 0-4 MiB, a 4 MiB page at 0
    image[0x3004] = 0x83;  // PDE 1: 4-8 MiB, the same 4 MiB
    machine::testing::ElfSpec spec;
    spec.segments.push_back({0x100000, 0x100000, image, 0x4000});
    ASSERT_TRUE(vm.value()->load_kernel_image(machine::testing::build_elf(spec), "s").ok());
    const auto r = vm.value()->run();
    EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << variant << ": " << r.message;
    EXPECT_EQ(r.exit_value, 0xFFu) << variant;
  }
}

TEST(VtMonitor, NptNeedsTheVtCpu) {
  vmm::ModeOptions options;
  options.cpu = vmm::ModeOptions::Cpu::kClassic;
  options.nested_paging = true;
  auto mode = make(vmm::ModeId::trap, options);
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().code, EINVAL);
  options.cpu = vmm::ModeOptions::Cpu::kVt;
  auto vt = make(vmm::ModeId::trap, options);
  ASSERT_TRUE(vt.ok());
  EXPECT_EQ(vt.value()->describe(), "trap (VT CPU, nested paging)");
}

}  // namespace
}  // namespace vmlab::modes
