#include "engine/machine/machine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include "engine/machine/kernel_loader.h"
#include "engine/machine/mp_table.h"

namespace vmlab::machine {

namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

Result<std::unique_ptr<Machine>> Machine::create(MachineConfig config) {
  if (auto r = config.validate(); !r) return r.error();
  auto memory = PhysicalMemory::create(config.memory_mib);
  if (!memory) return memory.error();
  std::unique_ptr<Machine> m(new Machine(std::move(config), std::move(memory.value())));
  if (auto r = m->attach_devices(); !r) return r.error();
  m->apply_firmware_state();
  return m;
}

Machine::Machine(MachineConfig config, PhysicalMemory memory)
    : config_(std::move(config)),
      memory_(std::move(memory)),
      clock_(config_.cpu_mhz, [this] { return cpu_.cycles(); }),
      console_(config_.console_sink),
      input_(std::move(config_.input)),
      pic_([this] { cpu_.notify_interrupt_line(); }),
      pit_(clock_, [this](bool level) { set_isa_irq(0, level); }),
      port_b_(pit_),
      uart_(console_, &input_, [this](bool level) { set_isa_irq(Uart16550::kCom1Irq, level); }),
      exit_port_([this](uint32_t v) {
        device_stop_ = StopReason::kExitPort;
        device_stop_message_ = "the guest wrote " + hex32(v) + " to the exit port 0xF4 (QEMU " +
                               "would exit with status " +
                               std::to_string(DebugExitPort::qemu_exit_status(v) & 0xFF) + ")";
        stop_slice();
      }),
      debug_console_(console_),
      i8042_(
          [this] {
            device_stop_ = StopReason::kResetRequested;
            device_stop_message_ = "reset requested by the guest (keyboard controller reset pulse)";
            stop_slice();
          },
          [this](bool level) { set_isa_irq(I8042Controller::kIrq, level); },
          [this](bool level) { set_isa_irq(I8042Controller::kAuxIrq, level); }),
      keys_(std::move(config_.keys), clock_.cpu_hz()),
      port_a_([this] {
        device_stop_ = StopReason::kResetRequested;
        device_stop_message_ = "reset requested by the guest (port 0x92 fast reset)";
        stop_slice();
      }),
      // The CMOS and fw_cfg report the guest's RAM, never the monitor's reserve that a
      // virtualized mode adds below it: the guest must not be told of memory it does not own.
      rtc_(clock_, memory_.size_bytes() - (config_.monitor_reserve_mib << 20)),
      fw_cfg_(memory_.size_bytes() - (config_.monitor_reserve_mib << 20)),
      apic_(clock_, [this] { cpu_.notify_interrupt_line(); }),
      // The I/O APIC's messages go to the local APIC; an ExtINT entry takes its vector from
      // the 8259A pair's interrupt-acknowledge, as QEMU's does.
      ioapic_(
          [this](const IoApic::Message& m) {
            apic_.receive(m.destination, m.logical, m.mode, m.vector, m.level);
          },
          [this] { return pic_.acknowledge(); }),
      ata_([this](bool level) { set_isa_irq(AtaController::kIrq, level); }),
      bus_master_([this](uint16_t old_base, uint16_t new_base) {
        if (old_base != 0) io_.detach(old_base, bus_master_);
        if (new_base == 0) return false;
        return static_cast<bool>(io_.attach(new_base, AtaBusMaster::kPorts, bus_master_,
                                            "IDE bus master (PCI 00:01.1 BAR4)", 0));
      }),
      cpu_(memory_.span(), *this) {
  if (!config_.local_apic) apic_.write_base_msr(LocalApic::kDefaultBase);  // globally disabled
  apic_.set_eoi_listener([this](uint8_t vector) { ioapic_.eoi_broadcast(vector); });
  apic_.set_nmi_listener([this] { cpu_.raise_nmi(); });
  ata_.set_request_hook([this](const BlockRequest& r) { io_.notify_block_request(r); });
  bus_master_.set_start_hook([this] { ata_.run_dma(); });
  // A guest access that makes the keyboard ready for the next scripted key ends the slice,
  // so that the next one ends at the key's time (key_feeder.h).
  i8042_.set_access_listener([this] {
    if (keys_.pending() && i8042_.ready_for_key()) stop_slice();
  });
}

Result<void> Machine::attach_devices() {
  struct Attachment {
    uint16_t base;
    uint32_t count;
    IoDevice& device;
    const char* name;
    uint16_t first_offset;
  };
  const Attachment table[] = {
      {PicPair::kMasterBase, 2, pic_.master(), "8259A master PIC", 0},
      {PicPair::kSlaveBase, 2, pic_.slave(), "8259A slave PIC", 0},
      {Pit8254::kBase, 4, pit_, "8254 PIT", 0},
      {I8042Controller::kDataPort, 1, i8042_, "i8042 data port", I8042Controller::kDataOffset},
      {I8042Controller::kCommandPort, 1, i8042_, "i8042 command port",
       I8042Controller::kCommandOffset},
      {SystemControlPortB::kPort, 1, port_b_, "system control port B", 0},
      {CmosRtc::kBase, 2, rtc_, "CMOS RTC", 0},
      {PostCodePort::kPort, 1, post_, "POST code port", 0},
      {SystemControlPortA::kPort, 1, port_a_, "system control port A", 0},
      {DebugConsolePort::kPort, 1, debug_console_, "0xE9 debug console", 0},
      {DebugExitPort::kBase, DebugExitPort::kSize, exit_port_, "debug exit port", 0},
      {Uart16550::kCom1Base, 8, uart_, "16550 UART (COM1)", 0},
      {CgaText::kIndexPort, CgaText::kPorts, cga_, "CGA text CRTC", 0},
      {PciHostBridge::kBase, PciHostBridge::kPorts, pci_, "PCI configuration (i440FX)", 0},
  };
  for (const Attachment& a : table) {
    if (auto r = io_.attach(a.base, a.count, a.device, a.name, a.first_offset); !r) return r;
  }
  for (const DiskSpec& d : config_.disks) {
    auto image = BlockImage::open(d.path, d.readonly);
    if (!image) return image.error();
    ata_.attach_drive(d.index, std::move(image.value()));
  }
  if (!config_.disks.empty()) {
    if (auto r = io_.attach(AtaController::kCommandBase, 8, ata_, "ATA primary channel", 0); !r) {
      return r;
    }
    if (auto r = io_.attach(AtaController::kControlPort, 1, ata_, "ATA primary control",
                            AtaController::kControlOffset);
        !r) {
      return r;
    }
    // The PIIX3: its ISA bridge (piix3_isa_bridge.h), without which a PCI scan does not
    // look at function 1, and its IDE function with the bus master (ata_bus_master.h).
    // Natively the bus master masters the machine's RAM; under a monitor (a reserve below
    // the guest's frames) nothing until the mode installs its translation
    // (Machine::set_dma_memory).
    pci_.attach_function(Piix3IsaBridge::kPciDevice, Piix3IsaBridge::kPciFunction, &isa_bridge_);
    pci_.attach_function(AtaBusMaster::kPciDevice, AtaBusMaster::kPciFunction, &bus_master_);
    ata_.set_bus_master(&bus_master_);
    bus_master_.set_memory(config_.monitor_reserve_mib == 0 ? &ram_dma_ : nullptr);
    bus_master_.attach();
  }
  if (config_.local_apic) {
    if (auto r = io_.attach(FwCfg::kBase, FwCfg::kPorts, fw_cfg_, "fw_cfg", 0); !r) return r;
  }
  return {};
}

void Machine::apply_firmware_state() {
  // What the BIOS leaves for a Multiboot kernel (see the header). Counter 0 first: LSB
  // then MSB, mode 3, binary; count 0 = 65536, the 18.2 Hz BIOS tick. Its OUT going high
  // here is an edge the PICs must not keep, and ICW1 below resets their edge detection.
  pit_.io_write(Pit8254::kControlOffset, 1, 0x36);
  pit_.io_write(0, 1, 0);
  pit_.io_write(0, 1, 0);
  // Then both PICs initialized
  // (ICW1 edge/cascade/ICW4, ICW2 base, ICW3 wiring, ICW4 8086 mode), then the masks.
  const uint8_t master[] = {0x11, 0x08, 0x04, 0x01};
  const uint8_t slave[] = {0x11, 0x70, 0x02, 0x01};
  pic_.master().io_write(0, 1, master[0]);
  for (int i = 1; i < 4; ++i) pic_.master().io_write(1, 1, master[i]);
  pic_.slave().io_write(0, 1, slave[0]);
  for (int i = 1; i < 4; ++i) pic_.slave().io_write(1, 1, slave[i]);
  pic_.master().io_write(1, 1, 0xFA);  // IRQ 0 (timer) and IRQ 2 (cascade) open
  pic_.slave().io_write(1, 1, 0xFF);
  // From now on a guest write that retimes counter 0 ends the current slice.
  pit_.set_reprogram_listener([this] { stop_slice(); });
  apic_.apply_firmware_state();
  i8042_.apply_firmware_state();
}

uint32_t Machine::write_firmware_tables(PhysicalMemory& memory) const {
  // The MP table a BIOS leaves for a machine with local and I/O APICs (mp_table.h), with
  // the processor's CPUID leaf 1 as the BIOS read it; before the kernel, which may load
  // over it.
  if (!config_.local_apic || !memory.contains(mp_table::kFloatingPointer, 0x1000)) return 0;
  const auto leaf1 = cpu_.cpuid(1);
  return mp_table::kConfigTable + write_mp_table(memory, leaf1[0], leaf1[3]);
}

Result<void> Machine::load_kernel(const std::string& path) {
  auto image = MultibootLoader::read_kernel_file(path);
  if (!image) return image.error();
  write_firmware_tables(memory_);
  auto info =
      machine::load_kernel_image(image.value(), path, config_.cmdline, config_.modules, memory_);
  if (!info) return info.error();
  boot_info_ = info.value();
  cpu_.notify_phys_write(0, memory_.size_bytes());
  cpu_.reset_multiboot(boot_info_->entry, MultibootLoader::kBootMagic, boot_info_->info_addr);
  final_.reset();
  return {};
}

Result<void> Machine::load_kernel_image(std::span<const uint8_t> image, const std::string& name) {
  write_firmware_tables(memory_);
  auto info = machine::load_kernel_image(image, name, config_.cmdline, config_.modules, memory_);
  if (!info) return info.error();
  boot_info_ = info.value();
  cpu_.notify_phys_write(0, memory_.size_bytes());
  cpu_.reset_multiboot(boot_info_->entry, MultibootLoader::kBootMagic, boot_info_->info_addr);
  final_.reset();
  return {};
}

uint32_t Machine::io_read(uint16_t port, unsigned size) {
  return io_.read(port, size);
}

void Machine::io_write(uint16_t port, unsigned size, uint32_t value) {
  io_.write(port, size, value);
}

void Machine::set_isa_irq(unsigned irq, bool level) {
  pic_.set_irq(irq, level);
  if (config_.local_apic) ioapic_.set_irq(IoApic::pin_of_isa_irq(irq), level);
}

bool Machine::nmi_route(unsigned irq) const {
  // An unmasked I/O APIC entry in NMI mode, to a local APIC that accepts messages.
  const unsigned pin = IoApic::pin_of_isa_irq(irq);
  return config_.local_apic && apic_.globally_enabled() && ioapic_.can_deliver(pin) &&
         ioapic_.delivery_mode(pin) == IoApic::kNmi;
}

bool Machine::irq_can_wake(unsigned irq) const {
  return (pic_.can_deliver(irq) && apic_.passes_pic()) ||
         (config_.local_apic && ioapic_.can_deliver(IoApic::pin_of_isa_irq(irq)));
}

uint32_t Machine::mmio_read(uint32_t paddr, unsigned size) {
  if (config_.local_apic && IoApic::decodes(paddr)) {
    const uint32_t value = ioapic_.read(paddr & (IoApic::kPageSize - 1), size);
    io_.notify_mmio({paddr, static_cast<uint8_t>(size), value, IoDirection::kRead});
    return value;
  }
  if (config_.local_apic && apic_.decodes(paddr)) {
    // Registers are 32 bits wide on 16-byte boundaries; a narrower read sees its bytes.
    apic_.advance_to(cpu_.cycles());
    const uint32_t offset = paddr & 0xFFF;
    uint32_t value = apic_.read(offset & ~3u) >> (8 * (offset & 3));
    if (size < 4) value &= (1u << (8 * size)) - 1;
    io_.notify_mmio({paddr, static_cast<uint8_t>(size), value, IoDirection::kRead});
    return value;
  }
  return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

void Machine::mmio_write(uint32_t paddr, unsigned size, uint32_t value) {
  if (config_.local_apic && IoApic::decodes(paddr)) {
    io_.notify_mmio({paddr, static_cast<uint8_t>(size), value, IoDirection::kWrite});
    ioapic_.write(paddr & (IoApic::kPageSize - 1), size, value);
    return;
  }
  if (config_.local_apic && apic_.decodes(paddr)) {
    // The SDM asks for aligned 32-bit stores; others are dropped.
    io_.notify_mmio({paddr, static_cast<uint8_t>(size), value, IoDirection::kWrite});
    if (size != 4 || (paddr & 3) != 0) return;
    apic_.advance_to(cpu_.cycles());
    apic_.write(paddr & 0xFFF, value);
    stop_slice();  // the timer may have been (re)armed: the slice must end at its edge
  }
}

cpu::Bus::MsrResult Machine::msr_read(uint32_t index, uint64_t& value) {
  if (!config_.local_apic || index != cpu::msr::IA32_APIC_BASE) return MsrResult::kUnhandled;
  value = apic_.base_msr();
  return MsrResult::kOk;
}

cpu::Bus::MsrResult Machine::msr_write(uint32_t index, uint64_t value) {
  if (!config_.local_apic || index != cpu::msr::IA32_APIC_BASE) return MsrResult::kUnhandled;
  return apic_.write_base_msr(value) ? MsrResult::kOk : MsrResult::kFault;
}

void Machine::sync_devices() {
  pit_.advance_to(cpu_.cycles());
  apic_.advance_to(cpu_.cycles());
  uart_.poll_input();
  keys_.pump(cpu_.cycles(), i8042_);
  take_live_keys();
}

void Machine::take_live_keys() {
  if (config_.live_keys == nullptr) return;
  live_taken_.clear();
  if (config_.live_keys->take(live_taken_)) {
    for (const KeyAction& a : live_taken_) i8042_.key(a.key, a.release);
  }
}

uint64_t Machine::next_device_event() const {
  return std::min(
      {pit_.next_event_cycle(), apic_.next_event_cycle(), keys_.next_event_cycle(i8042_)});
}

std::optional<StopReason> Machine::on_halted(std::string& message) {
  // With IF clear only an NMI wakes the processor (SDM Vol. 3A, HLT): one pending (and not
  // blocked), or an ISA line routed to an I/O APIC entry in NMI mode.
  const bool if_clear = !(cpu_.state().eflags & cpu::flags::IF);
  if (if_clear && cpu_.nmi_pending() && !cpu_.nmi_blocked()) return std::nullopt;
  const auto can_wake = [&](unsigned irq) {
    return if_clear ? !cpu_.nmi_blocked() && nmi_route(irq) : irq_can_wake(irq);
  };
  if (if_clear && !can_wake(0) && !can_wake(I8042Controller::kIrq) &&
      !can_wake(Uart16550::kCom1Irq)) {
    message = "halted with interrupts disabled at EIP " + hex32(cpu_.guest_eip());
    return StopReason::kHaltedInterruptsDisabled;
  }
  if (!if_clear && intr_pending()) return std::nullopt;  // taken on the next run
  // A timer can wake the processor: skip the idle time to its next edge (the PIT's, if the
  // PIC would pass IRQ 0 on; the local APIC timer's).
  // (Either through the 8259A pair or through an unmasked I/O APIC pin.)
  const uint64_t pit_next = can_wake(0) ? pit_.next_event_cycle() : Pit8254::kNever;
  // A scripted key, if IRQ 1 would pass (a polling guest does not halt for it).
  const uint64_t key_next =
      (i8042_.command_byte() & I8042Controller::kCtrKbdInterrupt) && can_wake(I8042Controller::kIrq)
          ? keys_.next_event_cycle(i8042_)
          : KeyFeeder::kNever;
  // The local APIC timer's entry has no NMI mode (SDM Vol. 3A, 10.5.1).
  const uint64_t apic_next = if_clear ? LocalApic::kNever : apic_.next_event_cycle();
  const uint64_t next = std::min({pit_next, apic_next, key_next});
  if (next != Pit8254::kNever) {
    // The idle watchdog. A guest that ran more than a timer tick's worth of code since
    // its last halt is working, not waiting; one that only wakes to halt again while no
    // input can ever arrive is stuck, and after the limit it is stopped.
    constexpr uint64_t kWorkingInstructions = 100'000;
    const uint64_t retired = cpu_.instructions_retired();
    if (retired - instructions_at_last_halt_ > kWorkingInstructions || !input_.exhausted() ||
        key_next != KeyFeeder::kNever) {
      idle_cycles_ = 0;
    }
    instructions_at_last_halt_ = retired;
    idle_cycles_ += next - cpu_.cycles();
    const uint64_t limit = uint64_t{config_.idle_limit_seconds} * config_.cpu_mhz * 1'000'000;
    if (limit != 0 && idle_cycles_ > limit) {
      message = "the guest has idled for " + std::to_string(config_.idle_limit_seconds) +
                " s of modeled time waiting for input that cannot come (no serial input left);"
                " stopped by the idle watchdog";
      return StopReason::kHaltedNothingToWake;
    }
    // Interactive input (a live console, stdin): an idle guest waits for the user on the
    // host, for the modeled time to the timer edge but at most kInputWaitMs, instead of
    // racing through modeled time; a byte that arrives ends the wait and is delivered now.
    if (input_.interactive() && !input_.exhausted()) {
      const uint64_t ms = (next - cpu_.cycles()) / (std::max<uint64_t>(config_.cpu_mhz, 1) * 1000);
      if (input_.wait(static_cast<int>(std::min<uint64_t>(ms, kInputWaitMs)))) {
        uart_.poll_input();
        if (intr_pending() || cpu_.nmi_pending()) return std::nullopt;
      }
    }
    cpu_.advance_idle(next - cpu_.cycles());
    sync_devices();
    return std::nullopt;
  }
  // Only the user can wake it: wait on the host (interactive runs are not deterministic),
  // for a byte on the serial line or a key typed live (the GUI's Screen tab) on IRQ 1.
  const bool serial_can_wake = input_.interactive() && !input_.exhausted() &&
                               uart_.rx_interrupt_enabled() && can_wake(Uart16550::kCom1Irq);
  const bool keys_can_wake = config_.live_keys != nullptr &&
                             (i8042_.command_byte() & I8042Controller::kCtrKbdInterrupt) &&
                             can_wake(I8042Controller::kIrq);
  if (serial_can_wake || keys_can_wake) {
    // A pause request ends the wait too (run_until pauses at its next look).
    while (!front_end_stop_.load(std::memory_order_relaxed) &&
           !(pausable_ && pause_requested_.load(std::memory_order_relaxed))) {
      if (keys_can_wake && config_.live_keys->pending()) break;
      if (serial_can_wake) {
        if (input_.exhausted() || input_.wait(kInputWaitMs)) break;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(kInputWaitMs / 5));
      }
    }
    uart_.poll_input();
    take_live_keys();
    return std::nullopt;
  }
  if (if_clear) {
    message = "halted with interrupts disabled at EIP " + hex32(cpu_.guest_eip());
    return StopReason::kHaltedInterruptsDisabled;
  }
  message = "halted with nothing to wake it at EIP " + hex32(cpu_.guest_eip()) +
            " (interrupts enabled, but no timer armed or unmasked and no input pending)";
  return StopReason::kHaltedNothingToWake;
}

RunResult Machine::finish(StopReason reason, std::string message, double wall_seconds) {
  RunResult r;
  r.reason = reason;
  r.message = std::move(message);
  r.instructions = cpu_.instructions_retired();
  r.budget_units = cpu_.budget_units();
  r.cycles = cpu_.cycles();
  r.wall_seconds = wall_seconds;
  if (reason == StopReason::kExitPort) r.exit_value = exit_port_.value();
  // A front-end stop or an exhausted budget can be resumed; every other stop is final.
  if (reason != StopReason::kStopRequested && reason != StopReason::kBudgetExhausted) final_ = r;
  return r;
}

RunResult Machine::run() {
  return *run_loop(UINT64_MAX, false, kPauseGranularity);
}

std::optional<RunResult> Machine::run_until(uint64_t until_instructions, uint64_t granularity) {
  return run_loop(until_instructions, true, granularity == 0 ? 1 : granularity);
}

std::optional<RunResult> Machine::run_loop(uint64_t until_instructions, bool pausable,
                                           uint64_t granularity) {
  if (final_) return *final_;
  pausable_ = pausable;
  const auto start = std::chrono::steady_clock::now();
  const auto wall = [start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (;;) {
    if (!in_slice_) {
      if (device_stop_) return finish(*device_stop_, device_stop_message_, wall());
      if (front_end_stop_.exchange(false, std::memory_order_relaxed)) {
        return finish(StopReason::kStopRequested, "stopped by the front end", wall());
      }
      uint64_t slice = kMaxSlice;
      if (config_.max_instructions != 0) {
        // The budget counts instructions, REP iterations and delivered exceptions and
        // interrupts (Cpu::budget_units), so that it bounds modeled work: a guest whose
        // every instruction faults, or one long REP, still exhausts it.
        const uint64_t done = cpu_.budget_units();
        if (done >= config_.max_instructions) {
          // Say what used it when it was not only instructions (a storm, a long REP).
          const uint64_t other = done - cpu_.instructions_retired();
          std::string message =
              "instruction budget of " + std::to_string(config_.max_instructions) + " exhausted";
          if (other != 0) {
            message += " (" + std::to_string(other) +
                       " of it REP iterations and delivered exceptions and interrupts)";
          }
          return finish(StopReason::kBudgetExhausted, std::move(message), wall());
        }
        slice = std::min(slice, config_.max_instructions - done);
      }
      // Every instruction costs at least one cycle, so this many instructions cannot run
      // past the next timer edge by more than the last one's extra cycles.
      const uint64_t next = next_device_event();
      const uint64_t now = cpu_.cycles();
      if (next != Pit8254::kNever) slice = std::min(slice, next > now ? next - now : 1);
      // A halted processor left run() having looked at INTR; make it look again.
      if (cpu_.state().halted) cpu_.request_event_check();
      slice_end_instructions_ = cpu_.instructions_retired() + slice;
      slice_end_units_ = cpu_.budget_units() + slice;
      in_slice_ = true;
    }

    // The slice, in one call or (pausable) in chunks: the processor's run loop split at an
    // instruction boundary with the same unit bound does what one call would.
    cpu::RunEnd stop;
    for (;;) {
      const uint64_t retired = cpu_.instructions_retired();
      uint64_t chunk = slice_end_instructions_ - retired;
      if (pausable) {
        if (retired >= until_instructions || cpu_.cycles() >= pause_at_cycles_ ||
            pause_requested_.exchange(false, std::memory_order_relaxed)) {
          return std::nullopt;  // paused: the slice goes on at the next call
        }
        chunk = std::min({chunk, granularity, until_instructions - retired});
      }
      const uint64_t units = cpu_.budget_units();
      stop = cpu_.run(chunk, slice_end_units_ > units ? slice_end_units_ - units : 0);
      if (stop != cpu::RunEnd::kBudget) break;
      if (cpu_.instructions_retired() >= slice_end_instructions_ ||
          cpu_.budget_units() >= slice_end_units_) {
        break;
      }
    }
    in_slice_ = false;
    sync_devices();
    if (slice_listener_) slice_listener_();
    switch (stop) {
      case cpu::RunEnd::kBudget:
      case cpu::RunEnd::kRequested: break;  // device and front-end stops: loop top
      case cpu::RunEnd::kHalted: {
        std::string message;
        if (auto reason = on_halted(message)) return finish(*reason, std::move(message), wall());
        break;
      }
      case cpu::RunEnd::kTripleFault:
        return finish(StopReason::kTripleFault,
                      cpu_.stop_message().empty() ? "triple fault" : cpu_.stop_message(), wall());
      case cpu::RunEnd::kUnsupported:
        return finish(StopReason::kUnsupported, cpu_.stop_message(), wall());
    }
  }
}

}  // namespace vmlab::machine
