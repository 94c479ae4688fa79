// Machine: the PC around the processor, and the loop that runs it in modeled time.
//
// It owns the RAM, the port-I/O bus and the devices, and the cpu::Cpu, and is the Cpu's
// Bus: port I/O goes to the IoBus; physical addresses outside RAM reach the I/O APIC's
// page (0xFEC00000, io_apic.h), the local APIC's page (0xFEE00000 unless moved) or read all
// ones; INTR/INTA go to the local APIC and the 8259A pair behind it. Every ISA interrupt
// line reaches the 8259A pair and, as on QEMU's PC, an I/O APIC pin (IRQ 0 pin 2, IRQ n
// pin n: set_isa_irq), whose messages go to the local APIC. Both APICs exist only with
// MachineConfig::local_apic (every mode but pv).
//
// Memory map above RAM:
//   0xFEC00000-0xFEC00FFF  IoApic (IOREGSEL +0x00, IOWIN +0x10, EOI +0x40)
//   0xFEE00000-0xFEE00FFF  LocalApic (movable with IA32_APIC_BASE)
//
// Port map:
//   0x20-0x21, 0xA0-0xA1  PicPair (IRQ 0-15)      0x40-0x43  Pit8254 (IRQ 0)
//   0x60, 0x64            I8042Controller (IRQ 1, mouse IRQ 12)  0x61  SystemControlPortB
//   0x70-0x71             CmosRtc                 0x80       PostCodePort
//   0x92                  SystemControlPortA      0xE9       DebugConsolePort
//   0xF4-0xF7             DebugExitPort           0x3F8-0x3FF Uart16550 COM1 (IRQ 4)
//   0x510-0x511           FwCfg (QEMU's firmware configuration, with the local APIC)
//   0x3D4-0x3D5           CgaText (the CRTC of the text screen at 0xB8000)
//   0x1F0-0x1F7, 0x3F6    AtaController, primary channel (IRQ 14), only with a --disk
//   0xC000-0xC00F         AtaBusMaster, the IDE function's bus master (PCI 00:01.1 BAR4,
//                         movable), only with a --disk
//
// Firmware state: a kernel booted by `qemu-system-i386 -kernel` finds the interrupt
// controllers and the timer as the BIOS left them, so the machine starts the same way:
// the PICs initialized with vector bases 0x08 and 0x70, all lines masked but IRQ 0 (the
// BIOS tick) and IRQ 2 (the cascade), and PIT counter 0 in mode 3 with count 65536
// (18.2 Hz). A kernel that enables interrupts before reprogramming the PIC gets the timer
// on vector 8, as it would on QEMU.
//
// run() executes the processor in slices that end exactly at the next timer edge (the
// PIT's next_event_cycle), updates the devices after each slice, skips idle time straight
// to the next timer edge when the processor halts, and stops for one of the reasons of
// StopReason. No host time enters the simulation; run() only measures the wall time it
// took.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "engine/cpu/bus.h"
#include "engine/cpu/cpu.h"
#include "engine/machine/ata_bus_master.h"
#include "engine/machine/ata_controller.h"
#include "engine/machine/cga_text.h"
#include "engine/machine/cmos_rtc.h"
#include "engine/machine/console_input.h"
#include "engine/machine/console_output.h"
#include "engine/machine/debug_console_port.h"
#include "engine/machine/debug_exit_port.h"
#include "engine/machine/dma_memory.h"
#include "engine/machine/fw_cfg.h"
#include "engine/machine/i8042_controller.h"
#include "engine/machine/io_apic.h"
#include "engine/machine/io_bus.h"
#include "engine/machine/key_feeder.h"
#include "engine/machine/local_apic.h"
#include "engine/machine/machine_config.h"
#include "engine/machine/modeled_clock.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/machine/pci_host_bridge.h"
#include "engine/machine/physical_memory.h"
#include "engine/machine/pic_pair.h"
#include "engine/machine/piix3_isa_bridge.h"
#include "engine/machine/pit8254.h"
#include "engine/machine/post_code_port.h"
#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/machine/system_control_port_a.h"
#include "engine/machine/system_control_port_b.h"
#include "engine/machine/uart16550.h"

namespace vmlab::machine {

class Machine : public cpu::Bus {
 public:
  // The longest slice between two looks at request_stop(), in instructions.
  static constexpr uint64_t kMaxSlice = uint64_t{1} << 18;
  // How long a halted machine waiting for interactive input (stdin, a LiveInput queue)
  // waits on the host between looks at a stop or pause request.
  static constexpr int kInputWaitMs = 50;

  static Result<std::unique_ptr<Machine>> create(MachineConfig config);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  ~Machine() override = default;

  // Loads a Multiboot kernel with the configured command line and modules and sets the
  // processor to the Multiboot entry state (EAX = 0x2BADB002, EBX = info structure).
  Result<void> load_kernel(const std::string& path);
  Result<void> load_kernel_image(std::span<const uint8_t> image, const std::string& name);

  // Runs until a stop; may be called again after kStopRequested (or a budget raised with
  // set_max_instructions) to continue. After any other stop it returns that result again.
  RunResult run();
  // Asks run() to stop at the end of the current slice. Safe from another thread.
  void request_stop() { front_end_stop_.store(true, std::memory_order_relaxed); }

  // Pausing (vmm::Vm::run_for, step, request_pause). A pause is not a stop: the slice in
  // progress is kept, no device is brought up to date, and the next call goes on exactly
  // where this one left off, so a run split by pauses retires the same instructions, takes
  // the same interrupts at the same instructions and ends with the same modeled cycles as
  // one that was not (the processor's run loop, split at an instruction boundary with the
  // same unit bound, does what one call would).
  //
  // A pause takes effect within this many retired instructions of request_pause(). Where
  // no instruction retires (a halted processor skipping idle time, a storm of exceptions,
  // one long REP) it takes effect at the end of the slice, at most kMaxSlice budget units.
  static constexpr uint64_t kPauseGranularity = 1024;
  // Runs like run() but returns nothing, paused, once the processor has retired
  // `until_instructions` instructions in total (instructions_retired()), or once a pause was
  // requested; returns the RunResult when the machine stops first.
  // `granularity`: the pause request is looked at after every this many instructions (1:
  // after each, for a front end that pauses on an event; slower, as exact).
  std::optional<RunResult> run_until(uint64_t until_instructions,
                                     uint64_t granularity = kPauseGranularity);
  // run_until() also pauses at the first instruction boundary where the modeled cycles
  // reach `cycles` (UINT64_MAX: never), looked at every `granularity` instructions and
  // after every idle skip of a halted processor, so that a skip past `cycles` pauses
  // before the next instruction (snapshot::run_to_cycles). On the owning thread.
  void set_pause_at_cycles(uint64_t cycles) { pause_at_cycles_ = cycles; }
  // Asks run_until() to pause. Safe from another thread; run() ignores it. A request made
  // while nothing runs pauses the next run_until() before its first instruction.
  void request_pause() { pause_requested_.store(true, std::memory_order_relaxed); }
  void clear_pause_request() { pause_requested_.store(false, std::memory_order_relaxed); }
  // Called on the running thread at the end of every slice, after the devices caught up
  // (vmm::Vm publishes its live snapshot here). Empty: none (the default).
  void set_slice_listener(std::function<void()> listener) { slice_listener_ = std::move(listener); }
  void set_max_instructions(uint64_t n) { config_.max_instructions = n; }

  const std::string& console_output() const { return console_.captured(); }
  const std::optional<MultibootLoader::BootInfo>& boot_info() const { return boot_info_; }

  cpu::Cpu& cpu() { return cpu_; }
  const cpu::Cpu& cpu() const { return cpu_; }
  PhysicalMemory& memory() { return memory_; }
  const PhysicalMemory& memory() const { return memory_; }
  IoBus& io_bus() { return io_; }
  PicPair& pic() { return pic_; }
  Pit8254& pit() { return pit_; }
  Uart16550& uart() { return uart_; }
  const CgaText& cga_text() const { return cga_; }
  PostCodePort& post_port() { return post_; }
  I8042Controller& i8042() { return i8042_; }
  const KeyFeeder& key_feeder() const { return keys_; }
  CmosRtc& rtc() { return rtc_; }
  AtaController& ata() { return ata_; }
  AtaBusMaster& bus_master() { return bus_master_; }
  // The memory bus-master devices reach (dma_memory.h): the machine's RAM natively; a
  // monitor installs its translation (nullptr: none, every DMA access fails). With a
  // monitor reserve the default is none.
  void set_dma_memory(DmaMemory* memory) { bus_master_.set_memory(memory); }
  const MachineConfig& config() const { return config_; }

  // Saved state (machine_state.cpp, docs/snapshots.md): every device's registers, the
  // console, and the run loop's position (the slice in progress, a pending device stop,
  // the idle watchdog). The processor saves itself (cpu::Cpu::save_internal) and memory is
  // saved as pages. load_state validates everything; on false the machine is unusable.
  // A machine that has stopped (stopped()) is not loaded into: its run is over.
  void save_state(cpu::ByteWriter& w) const;
  bool load_state(cpu::ByteReader& r);
  bool stopped() const { return final_.has_value(); }

  // cpu::Bus
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  uint32_t mmio_read(uint32_t paddr, unsigned size) override;
  void mmio_write(uint32_t paddr, unsigned size, uint32_t value) override;
  // INTR: the local APIC's fixed interrupts first, then the 8259A pair through LINT0 (or
  // straight, with the APIC disabled), as QEMU's PC does (hw/i386/x86.c, INTA order).
  bool intr_pending() override {
    return apic_.interrupt_pending() || (apic_.passes_pic() && pic_.intr_pending());
  }
  uint8_t intr_acknowledge() override {
    if (apic_.interrupt_pending()) return apic_.acknowledge();
    return pic_.acknowledge();
  }
  MsrResult msr_read(uint32_t index, uint64_t& value) override;
  MsrResult msr_write(uint32_t index, uint64_t value) override;
  bool local_apic_enabled() const override {
    return config_.local_apic && apic_.globally_enabled();
  }
  LocalApic& local_apic() { return apic_; }
  IoApic& io_apic() { return ioapic_; }
  // Writes the tables a BIOS leaves in memory for the kernel (the MP table, mp_table.h, on
  // a machine with APICs) into `memory`: the machine's own RAM, or a monitor's staging copy
  // of guest-physical memory (engine/vmm/kit/guest_loader.cpp), before the kernel loads.
  // Returns the end of what it wrote (0: nothing).
  uint32_t write_firmware_tables(PhysicalMemory& memory) const;

 private:
  Machine(MachineConfig config, PhysicalMemory memory);
  Result<void> attach_devices();
  void apply_firmware_state();
  // Brings the devices up to the processor's current cycle.
  void sync_devices();
  // A device asks the processor to leave its slice (exit, reset, timer reprogrammed).
  void stop_slice() { cpu_.request_stop(); }
  // An ISA device's interrupt line `irq` (0-15) goes to `level`: to the 8259A pair and,
  // with a local APIC, to the I/O APIC's pin (io_apic.h: IRQ 0 on pin 2).
  void set_isa_irq(unsigned irq, bool level);
  // Whether an interrupt on ISA IRQ `irq` could reach the processor now (through the PIC
  // and LINT0, or an unmasked I/O APIC pin): a halted processor may wake for it.
  bool irq_can_wake(unsigned irq) const;
  // Whether ISA IRQ `irq` reaches the processor's NMI input (an I/O APIC entry in NMI mode).
  bool nmi_route(unsigned irq) const;
  // The next cycle something may raise an interrupt by itself: the PIT, the local APIC
  // timer, a scripted key (while the keyboard would take it).
  uint64_t next_device_event() const;
  // Gives the keys typed live since the last look to the keyboard (live_keys.h).
  void take_live_keys();
  // Handles a halted processor: returns a stop reason, or nothing to keep running.
  std::optional<StopReason> on_halted(std::string& message);
  RunResult finish(StopReason reason, std::string message, double wall_seconds);
  // run() and run_until(): `pausable` makes the slice run in chunks of kPauseGranularity
  // instructions with a look at the pause request between them.
  std::optional<RunResult> run_loop(uint64_t until_instructions, bool pausable,
                                    uint64_t granularity);

  MachineConfig config_;
  PhysicalMemory memory_;
  ModeledClock clock_;
  ConsoleOutput console_;
  ConsoleInput input_;
  IoBus io_;
  PicPair pic_;
  Pit8254 pit_;
  SystemControlPortB port_b_;
  Uart16550 uart_;
  DebugExitPort exit_port_;
  PostCodePort post_;
  DebugConsolePort debug_console_;
  I8042Controller i8042_;
  KeyFeeder keys_;
  std::vector<KeyAction> live_taken_;  // the live keys taken at a slice end
  SystemControlPortA port_a_;
  CmosRtc rtc_;
  FwCfg fw_cfg_;
  LocalApic apic_;
  IoApic ioapic_;
  CgaText cga_;
  PciHostBridge pci_;
  Piix3IsaBridge isa_bridge_;
  AtaController ata_;
  AtaBusMaster bus_master_;
  cpu::Cpu cpu_;
  MachineRamDma ram_dma_{cpu_};

  std::optional<MultibootLoader::BootInfo> boot_info_;
  std::atomic<bool> front_end_stop_{false};
  std::atomic<bool> pause_requested_{false};
  // The slice in progress when run_until() paused: where it ends, in instructions retired
  // and in budget units. in_slice_ false: the next call starts a new slice.
  bool in_slice_ = false;
  uint64_t slice_end_instructions_ = 0;
  uint64_t slice_end_units_ = 0;
  bool pausable_ = false;  // the current call is run_until()
  uint64_t pause_at_cycles_ = UINT64_MAX;
  std::function<void()> slice_listener_;
  std::optional<StopReason> device_stop_;  // exit port or reset, seen at the slice end
  std::string device_stop_message_;
  std::optional<RunResult> final_;
  // The idle watchdog (MachineConfig::idle_limit_seconds): modeled cycles spent halted
  // since the guest last did real work with no input left to wake it.
  uint64_t idle_cycles_ = 0;
  uint64_t instructions_at_last_halt_ = 0;
};

}  // namespace vmlab::machine
