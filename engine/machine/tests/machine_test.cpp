// The Machine: configuration checks, the bus wiring, and the run loop's stops. Tests that
// need the processor to execute real instructions skip while the CPU lacks them.
#include "engine/machine/machine.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "engine/machine/tests/elf_builder.h"

namespace vmlab::machine {
namespace {

std::unique_ptr<Machine> make(MachineConfig config = {}) {
  auto m = Machine::create(std::move(config));
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return std::move(m).value();
}

std::unique_ptr<Machine> boot(const std::vector<uint8_t>& code, MachineConfig config = {}) {
  auto m = make(std::move(config));
  auto r = m->load_kernel_image(testing::minimal_kernel(code), "test.elf");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return m;
}

// Whether the processor already executes `code` (the CPU is being written alongside).
bool cpu_executes(const std::vector<uint8_t>& code) {
  MachineConfig config;
  config.max_instructions = code.size();
  auto m = boot(code, config);
  const RunResult r = m->run();
  if (r.reason == StopReason::kUnsupported || r.reason == StopReason::kTripleFault) {
    std::printf("probe: %s\n", r.message.c_str());
    return false;
  }
  return true;
}

TEST(MachineConfigTest, RejectsBadSizesWithActionableMessages) {
  MachineConfig c;
  c.memory_mib = 3;
  auto m = Machine::create(c);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "memory size 3 MiB is below the minimum of 4 MiB");
  c.memory_mib = 4096;
  EXPECT_EQ(Machine::create(c).error().message,
            "memory size 4096 MiB is above the maximum of 3072 MiB (the top of the 4 GiB space "
            "is kept for devices and the monitor)");
  c.memory_mib = 16;
  c.cpu_mhz = 0;
  EXPECT_EQ(Machine::create(c).error().message,
            "CPU frequency 0 MHz is outside the supported 1-100000 MHz");
}

TEST(MachineTest, BusRoutesPortsAndUnassignedReadsAllOnes) {
  auto m = make();
  EXPECT_EQ(m->io_read(0x1234, 1), 0xFFu);
  EXPECT_EQ(m->io_read(0x1234, 2), 0xFFFFu);
  EXPECT_EQ(m->io_read(0x1234, 4), 0xFFFFFFFFu);
  EXPECT_EQ(m->io_bus().unassigned_accesses(), 3u);
  EXPECT_EQ(m->io_read(0x64, 1) & 0x05, 0x04u);         // i8042: no data, system flag
  EXPECT_EQ(m->io_read(0x3FD, 1), 0x60u);               // COM1 LSR
  EXPECT_EQ(m->mmio_read(0xFED00000, 4), 0xFFFFFFFFu);  // no device there (no HPET)
  m->io_write(0xE9, 1, 'A');
  m->io_write(0x3F8, 1, 'B');
  EXPECT_EQ(m->console_output(), "AB");
  m->io_write(0x80, 1, 0x55);
  EXPECT_EQ(m->post_port().last_code(), 0x55);
}

TEST(MachineTest, FirmwareStateMatchesWhatTheBiosLeaves) {
  auto m = make();
  EXPECT_EQ(m->io_read(0x21, 1), 0xFAu);
  EXPECT_EQ(m->io_read(0xA1, 1), 0xFFu);
  // PIT counter 0: mode 3, 65536, loaded at tick 1: the first IRQ 0 edge at tick 65537.
  const ModeledClock clock(1000, [] { return uint64_t{0}; });
  EXPECT_EQ(m->pit().next_event_cycle(), clock.cycle_of_tick(65537, Pit8254::kHz));
  EXPECT_EQ(m->pit().next_event_cycle(), 54'926'240u);
}

TEST(MachineTest, ExitPortStopsWithValue) {
  auto m = boot({0x90});
  m->io_write(0xF4, 4, 0x10);
  const RunResult r = m->run();
  EXPECT_EQ(r.reason, StopReason::kExitPort);
  ASSERT_TRUE(r.exit_value.has_value());
  EXPECT_EQ(*r.exit_value, 0x10u);
  EXPECT_EQ(r.message,
            "the guest wrote 0x00000010 to the exit port 0xF4 (QEMU would exit with "
            "status 33)");
  EXPECT_EQ(r.instructions, 0u);
  EXPECT_GE(r.wall_seconds, 0.0);
  // A final stop: run() answers the same again.
  EXPECT_EQ(m->run().reason, StopReason::kExitPort);
}

TEST(MachineTest, KeyboardControllerResetStops) {
  auto m = boot({0x90});
  m->io_write(0x64, 1, 0xFE);
  const RunResult r = m->run();
  EXPECT_EQ(r.reason, StopReason::kResetRequested);
  EXPECT_EQ(r.message, "reset requested by the guest (keyboard controller reset pulse)");
}

TEST(MachineTest, FrontEndStopIsResumable) {
  auto m = boot({0x90});
  m->request_stop();
  EXPECT_EQ(m->run().reason, StopReason::kStopRequested);
}

// The I/O APIC on the machine's bus (io_apic.h): its page decodes, ISA IRQ 0 reaches pin
// 2 and the message the local APIC, a level pin's EOI comes back through the local APIC,
// and the saved state carries it; without a local APIC (pv) the page reads all ones.
TEST(MachineTest, IoApicIsOnTheBusWiredToTheIsaLinesAndSaved) {
  auto m = make();
  auto sel = [&](uint8_t reg) { m->mmio_write(IoApic::kBase, 4, reg); };
  sel(IoApic::kRegVer);
  EXPECT_EQ(m->mmio_read(IoApic::kBase + IoApic::kWindow, 4), 0x00170020u);
  EXPECT_EQ(m->mmio_read(IoApic::kBase, 1), 0x01u);
  // Pin 2: fixed, edge, vector 0x52 to APIC 0. The PIT's IRQ 0 (the firmware's 18.2 Hz
  // tick) reaches it beside the 8259A.
  sel(0x10 + 2 * 2);
  m->mmio_write(IoApic::kBase + IoApic::kWindow, 4, 0x52);
  EXPECT_FALSE(m->local_apic().interrupt_pending());
  m->pit().advance_to(m->config().cpu_mhz * 1'000'000ull / 18);  // past one period
  EXPECT_TRUE(m->local_apic().interrupt_pending());
  EXPECT_EQ(m->intr_acknowledge(), 0x52);
  m->local_apic().write(LocalApic::kEoi, 0);
  // Pin 4 level-triggered (COM1): the transmitter-empty interrupt holds the line high.
  sel(0x10 + 2 * 4);
  m->mmio_write(IoApic::kBase + IoApic::kWindow, 4, 0x8054);
  m->io_write(0x3F9, 1, 0x02);
  EXPECT_EQ(m->io_apic().entry(4) & IoApic::kRemoteIrr, IoApic::kRemoteIrr);
  cpu::ByteWriter w;
  m->save_state(w);
  auto copy = make();
  cpu::ByteReader r(w.data());
  ASSERT_TRUE(copy->load_state(r));
  EXPECT_EQ(copy->io_apic().entry(4), m->io_apic().entry(4));
  EXPECT_EQ(copy->io_apic().entry(2), 0x52u);
  // The EOI of the level vector: the line is still high, so it is delivered again.
  EXPECT_EQ(m->intr_acknowledge(), 0x54);
  m->local_apic().write(LocalApic::kEoi, 0);
  EXPECT_EQ(m->intr_acknowledge(), 0x54);
  (void)m->io_read(0x3FA, 1);  // IIR: the line falls
  m->local_apic().write(LocalApic::kEoi, 0);
  EXPECT_EQ(m->io_apic().entry(4) & IoApic::kRemoteIrr, 0u);

  MachineConfig pv;
  pv.local_apic = false;
  auto bare = make(pv);
  EXPECT_EQ(bare->mmio_read(IoApic::kBase + IoApic::kWindow, 4), 0xFFFFFFFFu);
}

TEST(MachineTest, LoadKernelSetsMultibootEntryState) {
  MachineConfig c;
  c.cmdline = "hello";
  auto m = boot({0x90, 0x90}, c);
  EXPECT_EQ(m->cpu().state().eip, 0x100000u);
  EXPECT_EQ(m->cpu().r32(cpu::EAX), 0x2BADB002u);
  EXPECT_EQ(m->cpu().r32(cpu::EBX), 0x9000u);
  EXPECT_EQ(m->memory().read8(0x100000), 0x90);
}

TEST(MachineTest, LoadKernelErrorIsReported) {
  auto m = make();
  auto r = m->load_kernel("/nonexistent/kernel.elf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "/nonexistent/kernel.elf: cannot open the kernel: No such file or directory");
}

TEST(MachineTest, UndefinedInstructionStopsCleanly) {
  // UD2 with no IDT: the CPU reports unsupported delivery or shuts down; never a crash.
  auto m = boot({0x0F, 0x0B});
  const RunResult r = m->run();
  EXPECT_TRUE(r.reason == StopReason::kUnsupported || r.reason == StopReason::kTripleFault)
      << to_string(r.reason);
  EXPECT_FALSE(r.message.empty());
  EXPECT_EQ(r.instructions, 0u);
}

TEST(MachineTest, NopBudgetExhaustedWithExactCount) {
  if (!cpu_executes({0x90})) GTEST_SKIP() << "the CPU does not execute NOP yet";
  MachineConfig c;
  c.max_instructions = 1000;
  auto m = boot(std::vector<uint8_t>(4096, 0x90), c);
  const RunResult r = m->run();
  EXPECT_EQ(r.reason, StopReason::kBudgetExhausted);
  EXPECT_EQ(r.message, "instruction budget of 1000 exhausted");
  EXPECT_EQ(r.instructions, 1000u);
  EXPECT_GE(r.cycles, 1000u);
  // The budget can be raised and the run continued.
  m->set_max_instructions(1500);
  EXPECT_EQ(m->run().instructions, 1500u);
}

TEST(MachineTest, SameImageSameConfigSameRun) {
  if (!cpu_executes({0x90})) GTEST_SKIP() << "the CPU does not execute NOP yet";
  MachineConfig c;
  c.max_instructions = 3000;
  const std::vector<uint8_t> code(4096, 0x90);
  const RunResult a = boot(code, c)->run();
  const RunResult b = boot(code, c)->run();
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.instructions, b.instructions);
  EXPECT_EQ(a.cycles, b.cycles);
}

TEST(MachineTest, HaltWithInterruptsDisabledStops) {
  if (!cpu_executes({0xFA, 0x90})) GTEST_SKIP() << "the CPU does not execute CLI yet";
  auto m = boot({0xFA, 0xF4});  // cli; hlt
  const RunResult r = m->run();
  if (r.reason == StopReason::kUnsupported) GTEST_SKIP() << "HLT: " << r.message;
  EXPECT_EQ(r.reason, StopReason::kHaltedInterruptsDisabled);
  EXPECT_EQ(r.message, "halted with interrupts disabled at EIP 0x00100002");
  EXPECT_EQ(r.instructions, 2u);
}

TEST(MachineTest, HaltWithEverythingMaskedHasNothingToWakeIt) {
  if (!cpu_executes({0xFB, 0x90})) GTEST_SKIP() << "the CPU does not execute STI yet";
  auto m = boot({0xFB, 0xF4});  // sti; hlt
  m->io_write(0x21, 1, 0xFF);   // mask every IRQ, the timer included
  const RunResult r = m->run();
  if (r.reason == StopReason::kUnsupported) GTEST_SKIP() << "HLT: " << r.message;
  EXPECT_EQ(r.reason, StopReason::kHaltedNothingToWake);
}

}  // namespace
}  // namespace vmlab::machine
