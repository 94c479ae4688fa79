// Tiny guests under `--mode trap --cpu classic`, with exact event counts: hand-assembled
// bytes placed in guest-physical memory, the monitor started in ring 1 on them (no
// Multiboot image), and the guest's tables set up by hand where a test needs them.
//
// Every program starts with "mov esp, 0x8000" and ends with "mov al,0; out 0xF4,al",
// which itself costs one trap, one emulated instruction and one port_io event. The first
// touch of each code or data page is one hidden fault of the physical-mode (or the paged)
// shadow, and every hidden fault is also a trap (#PF) into the monitor.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/core/vm.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

using vmm::EventKind;

const std::vector<uint8_t> kExit = {0xB0, 0x00, 0xE6, 0xF4};         // mov al,0; out 0xF4,al
const std::vector<uint8_t> kStack = {0xBC, 0x00, 0x80, 0x00, 0x00};  // mov esp, 0x8000

class ClassicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vmm::VmConfig config;
    config.machine.memory_mib = 4;
    auto mode = std::make_unique<TrapMode>();
    TrapMode* trap = mode.get();
    config.mode = std::move(mode);
    auto vm = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(vm.ok()) << vm.error().message;
    vm_ = std::move(vm.value());
    auto m = trap->attach(*vm_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    monitor_ = m.value();
  }

  // Guest-physical memory, through the P2M.
  void poke(uint32_t gpa, const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      monitor_->memory().write_phys8(gpa + static_cast<uint32_t>(i), bytes[i]);
    }
  }
  void poke32(uint32_t gpa, uint32_t v) { monitor_->memory().write_phys32(gpa, v); }
  uint32_t peek32(uint32_t gpa) { return monitor_->memory().read_phys32(gpa); }

  machine::RunResult run(uint32_t entry, std::vector<uint8_t> code) {
    code.insert(code.begin(), kStack.begin(), kStack.end());
    code.insert(code.end(), kExit.begin(), kExit.end());
    poke(entry, code);
    monitor_->start(entry, 0, 0);
    return vm_->run();
  }
  // Starts without running (the test adjusts the state first).
  void load(uint32_t entry, std::vector<uint8_t> code) {
    code.insert(code.end(), kExit.begin(), kExit.end());
    poke(entry, code);
    monitor_->start(entry, 0, 0);
  }

  uint64_t count(EventKind k) const { return vm_->recorder().counters().count_of(k); }
  cpu::CpuState& state() { return vm_->machine().cpu().state(); }

  // A flat GDT (null, ring-0 code 0x08, ring-0 data 0x10, ring-3 code 0x1B, ring-3 data
  // 0x23, TSS 0x28) at 0x6000, a TSS at 0x6800 with SS0:ESP0 = 0x10:0x9000, and an IDT at
  // 0x7000; the VirtualCpu as if the guest had run LGDT, LIDT and LTR.
  void guest_tables() {
    auto seg = [](uint8_t access) {
      return uint64_t{0xFFFF} | uint64_t{access} << 40 | uint64_t{0xF} << 48 | uint64_t{0xC} << 52;
    };
    const uint64_t gdt[6] = {
        0,         seg(0x9A), seg(0x92),
        seg(0xFA), seg(0xF2), uint64_t{103} | uint64_t{0x6800} << 16 | uint64_t{0x89} << 40};
    for (int i = 0; i < 6; ++i) {
      poke32(0x6000 + 8 * i, static_cast<uint32_t>(gdt[i]));
      poke32(0x6004 + 8 * i, static_cast<uint32_t>(gdt[i] >> 32));
    }
    poke32(0x6804, 0x9000);  // ESP0
    poke32(0x6808, 0x10);    // SS0
    auto& v = monitor_->vcpu();
    v.gdtr = {0x6000, 6 * 8 - 1};
    v.idtr = {0x7000, 256 * 8 - 1};
    v.tr = 0x28;
    v.tss_base = 0x6800;
    v.tss_limit = 103;
    std::string error;
    ASSERT_TRUE(monitor_->segments().rebuild(monitor_->memory(), v, error)) << error;
  }
  // An interrupt gate (type 0xE) at `vector` to 0x08:handler with DPL `dpl`.
  void gate(uint8_t vector, uint32_t handler, uint8_t dpl) {
    poke32(0x7000 + 8 * vector, (handler & 0xFFFF) | 0x08u << 16);
    poke32(0x7004 + 8 * vector, (handler & 0xFFFF0000u) | 0x8E00u | uint32_t{dpl} << 13);
  }

  std::unique_ptr<vmm::Vm> vm_;
  ClassicMonitor* monitor_ = nullptr;
};

TEST_F(ClassicTest, CliTrapsOnceAndClearsOnlyTheVirtualIf) {
  const auto r = run(0x1000, {0xFB, 0x90, 0xFA});  // sti; nop; cli
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  // sti, cli, out: one trap and one emulated instruction each; one #PF trap that fills
  // the code page.
  EXPECT_EQ(count(EventKind::trap), 3u + 1u);
  EXPECT_EQ(count(EventKind::emulated_insn), 3u);
  EXPECT_EQ(count(EventKind::hidden_fault), 1u);  // the code page
  EXPECT_EQ(count(EventKind::sensitive_no_trap), 0u);
  EXPECT_FALSE(monitor_->vcpu().interrupts_enabled);
  EXPECT_TRUE(state().eflags & cpu::flags::IF);  // the real IF stays on
  EXPECT_EQ(state().cpl, 1u);
}

TEST_F(ClassicTest, InFromPort80IsTrappedEmulatedAndReachesTheDevice) {
  const auto r = run(0x1000, {0xE4, 0x80});  // in al, 0x80
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(count(EventKind::trap), 2u + 1u);  // in, out; the code page's hidden fault
  EXPECT_EQ(count(EventKind::emulated_insn), 2u);
  EXPECT_EQ(count(EventKind::port_io), 2u);
  EXPECT_EQ(count(EventKind::exception), 3u);  // the hardware's two #GP and one #PF
}

TEST_F(ClassicTest, PopfInRing1KeepsIfSilently) {
  // push 0x202; popf: the guest asks for IF = 1 and gets nothing, not even a trap.
  const auto r = run(0x1000, {0x68, 0x02, 0x02, 0x00, 0x00, 0x9D});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(count(EventKind::sensitive_no_trap), 1u);
  // The code page and the stack page fill (two #PF traps), the exit's OUT: POPF none.
  EXPECT_EQ(count(EventKind::trap), 3u);
  EXPECT_FALSE(monitor_->vcpu().interrupts_enabled);
}

TEST_F(ClassicTest, SgdtShowsTheMonitorsGdtNotTheGuests) {
  guest_tables();
  const auto r = run(0x1000, {0x0F, 0x01, 0x05, 0x00, 0x50, 0x00, 0x00});  // sgdt [0x5000]
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(count(EventKind::sensitive_no_trap), 1u);
  EXPECT_EQ(peek32(0x5000) & 0xFFFF, 0xFFFFu);
  EXPECT_EQ(monitor_->memory().read_phys8(0x5002) | monitor_->memory().read_phys8(0x5003) << 8 |
                monitor_->memory().read_phys8(0x5004) << 16 |
                monitor_->memory().read_phys8(0x5005) << 24,
            static_cast<int>(vmm::DeprivilegedSegments::kGdtBase));
  EXPECT_EQ(monitor_->vcpu().gdtr.base, 0x6000u);  // what the guest loaded
}

// Page tables for the paging tests: PD at 0x10000 -> PT at 0x11000 mapping 0-4 MiB
// identity, supervisor, writable; a second PD at 0x20000 sharing the PT.
const std::vector<uint8_t> kPagingOn = {
    0xB8, 0x00, 0x00, 0x01, 0x00,  // mov eax, 0x10000
    0x0F, 0x22, 0xD8,              // mov cr3, eax
    0x0F, 0x20, 0xC0,              // mov eax, cr0
    0x0D, 0x00, 0x00, 0x01, 0x80,  // or eax, 0x80010000 (PG, WP)
    0x0F, 0x22, 0xC0,              // mov cr0, eax
};

class ClassicPagingTest : public ClassicTest {
 protected:
  void tables() {
    for (uint32_t i = 1; i < 1024; ++i) poke32(0x11000 + 4 * i, (i << 12) | 0x3);
    poke32(0x10000, 0x11000 | 0x3);
    poke32(0x20000, 0x11000 | 0x3);
  }
};

TEST_F(ClassicPagingTest, Cr3LoadSwitchesTheShadowRoot) {
  tables();
  std::vector<uint8_t> code = kPagingOn;
  const std::vector<uint8_t> second = {0xB8, 0x00, 0x00, 0x02, 0x00, 0x0F, 0x22, 0xD8};
  code.insert(code.end(), second.begin(), second.end());
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(count(EventKind::cr3_switch), 2u);
  EXPECT_EQ(monitor_->vcpu().cr3, 0x20000u);
  // The physical-mode map and one root per guest page directory, all cached (turning WP
  // on together with PG flushes nothing: no shadow was built with paging on yet).
  EXPECT_EQ(monitor_->shadow().cached_roots(), 3u);
  EXPECT_EQ(state().cr3, monitor_->shadow().root_machine_frame() * 4096);
  EXPECT_TRUE(monitor_->shadow().tracked(0x20));  // the guest PD is write-protected
  EXPECT_TRUE(monitor_->shadow().tracked(0x11));  // and its page table
}

TEST_F(ClassicPagingTest, FirstTouchIsAHiddenFaultAndAPteWriteIsATrace) {
  tables();
  std::vector<uint8_t> code = kPagingOn;
  const uint64_t base_hidden = 0;
  const std::vector<uint8_t> rest = {
      0xA1, 0x00, 0x00, 0x30, 0x00,                                // mov eax, [0x300000]
      0xC7, 0x05, 0x00, 0x1C, 0x01, 0x00, 0x03, 0x00, 0x31, 0x00,  // mov [0x11C00], 0x310003
  };
  code.insert(code.end(), rest.begin(), rest.end());
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  (void)base_hidden;
  // Hidden faults under paging: the code page, then 0x300000; the PT page itself is only
  // written (a trace), never filled.
  EXPECT_EQ(count(EventKind::hidden_fault), 1u /* physical map: code */ + 2u);
  EXPECT_EQ(count(EventKind::guest_pt_write), 1u);
  EXPECT_EQ(count(EventKind::shadow_update), 1u);  // the shadow PTE of 0x300000 dropped
  EXPECT_EQ(count(EventKind::true_fault), 0u);
  EXPECT_EQ(peek32(0x11C00), 0x310003u);
  // The monitor set the guest's accessed bit on the first touch (then the write replaced
  // the entry).
  EXPECT_TRUE(peek32(0x11000 + 4 * 1) & 0x20);  // the code page's PTE: A
  EXPECT_EQ(monitor_->shadow().shadow_pte(0x300000), 0u);
}

TEST_F(ClassicPagingTest, UnmappedAccessIsATrueFaultWithTheGuestsFrame) {
  tables();
  guest_tables();
  gate(14, 0x3000, 0);
  // The #PF handler: ebx = error code, ecx = EIP, edx = CS, esi = CR2 (a trapped read).
  poke(0x3000, {0x8B, 0x1C, 0x24, 0x8B, 0x4C, 0x24, 0x04, 0x8B, 0x54, 0x24, 0x08, 0x0F, 0x20, 0xD6,
                0xB0, 0x00, 0xE6, 0xF4});
  poke32(0x11000 + 4 * 0x200, 0);  // 0x200000 not present
  std::vector<uint8_t> code = kPagingOn;
  const std::vector<uint8_t> rest = {0xBC, 0x00, 0x80, 0x00, 0x00,  // mov esp, 0x8000
                                     0xC7, 0x05, 0x00, 0x00, 0x20,
                                     0x00, 0x01, 0x00, 0x00, 0x00};  // mov dword [0x200000], 1
  code.insert(code.end(), rest.begin(), rest.end());
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const uint32_t faulting_eip = 0x1000 + 5 + static_cast<uint32_t>(kPagingOn.size()) + 5;
  EXPECT_EQ(count(EventKind::true_fault), 1u);
  EXPECT_EQ(count(EventKind::virq_inject), 1u);
  EXPECT_EQ(monitor_->vcpu().cr2, 0x200000u);
  EXPECT_EQ(vm_->machine().cpu().r32(cpu::ESI), 0x200000u);
  EXPECT_EQ(vm_->machine().cpu().r32(cpu::EBX), cpu::pferr::W);  // not present, write
  EXPECT_EQ(vm_->machine().cpu().r32(cpu::ECX), faulting_eip);
  EXPECT_EQ(vm_->machine().cpu().r32(cpu::EDX), 0x08u);  // the guest's CS, RPL 0
  EXPECT_EQ(state().gpr[cpu::ESP], 0x8000u - 16);
  EXPECT_EQ(state().seg[cpu::CS].selector, 0x09u);  // really ring 1
  EXPECT_FALSE(monitor_->vcpu().interrupts_enabled);
}

TEST_F(ClassicTest, Int80FromRing3ReachesTheGuestsHandlerOnItsKernelStack) {
  guest_tables();
  gate(0x80, 0x3000, 3);
  poke(0x3000, kExit);
  poke(0x2000, {0xCD, 0x80});  // int 0x80, at ring 3
  load(0x1000, {});
  cpu::CpuState& s = state();
  s.seg[cpu::CS] = cpu::Descriptor{monitor_->segments().descriptor(0x1B)}.to_cache(0x1B);
  s.seg[cpu::SS] = cpu::Descriptor{monitor_->segments().descriptor(0x23)}.to_cache(0x23);
  s.cpl = 3;
  s.eip = 0x2000;
  s.gpr[cpu::ESP] = 0x5000;
  const auto r = vm_->run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(count(EventKind::software_interrupt), 1u);
  EXPECT_EQ(count(EventKind::virq_inject), 1u);
  // #PF filling the user code page, INT 0x80, #PF filling the handler's page, its OUT. The
  // frame is written by the monitor, so the kernel stack page is not filled.
  EXPECT_EQ(count(EventKind::trap), 4u);
  EXPECT_EQ(count(EventKind::hidden_fault), 2u);
  EXPECT_EQ(s.cpl, 1u);
  EXPECT_EQ(s.seg[cpu::SS].selector, 0x11u);
  EXPECT_EQ(s.gpr[cpu::ESP], 0x9000u - 20);
  EXPECT_EQ(peek32(0x9000 - 20), 0x2002u);  // EIP after INT
  EXPECT_EQ(peek32(0x9000 - 16), 0x1Bu);    // user CS
  EXPECT_TRUE(peek32(0x9000 - 12) & cpu::flags::IF);
  EXPECT_EQ(peek32(0x9000 - 8), 0x5000u);  // user ESP
  EXPECT_EQ(peek32(0x9000 - 4), 0x23u);    // user SS
}

TEST_F(ClassicTest, Int80GateWithDpl0IsAGpForRing3) {
  guest_tables();
  gate(0x80, 0x3000, 0);
  gate(13, 0x3100, 0);
  poke(0x3100, {0x8B, 0x1C, 0x24, 0xB0, 0x00, 0xE6, 0xF4});  // mov ebx,[esp]; exit
  poke(0x2000, {0xCD, 0x80});
  load(0x1000, {});
  cpu::CpuState& s = state();
  s.seg[cpu::CS] = cpu::Descriptor{monitor_->segments().descriptor(0x1B)}.to_cache(0x1B);
  s.seg[cpu::SS] = cpu::Descriptor{monitor_->segments().descriptor(0x23)}.to_cache(0x23);
  s.cpl = 3;
  s.eip = 0x2000;
  s.gpr[cpu::ESP] = 0x5000;
  const auto r = vm_->run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(vm_->machine().cpu().r32(cpu::EBX), 0x80u * 8 + 2);  // #GP(IDT, vector 0x80)
}

}  // namespace
}  // namespace vmlab::modes
