// MachineConfig: everything that defines a machine before it is built.
//
// Two runs with equal configurations, the same kernel and the same (preloaded) input
// are identical: same console bytes, instruction count and modeled cycles.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/machine/block_image.h"
#include "engine/machine/console_input.h"
#include "engine/machine/console_output.h"
#include "engine/machine/key_script.h"
#include "engine/machine/live_keys.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

struct MachineConfig {
  static constexpr uint32_t kMinCpuMhz = 1;
  static constexpr uint32_t kMaxCpuMhz = 100'000;

  uint32_t memory_mib = 128;
  // Of memory_mib, the frames a virtualization monitor keeps for itself above the guest's
  // RAM (Mode::reserve_mib, at most PhysicalMemory::kMaxMonitorMib); the guest's part,
  // memory_mib - monitor_reserve_mib, is what PhysicalMemory::validate_size bounds, so
  // the largest guest size is the same in every mode.
  uint32_t monitor_reserve_mib = 0;
  // The modeled processor frequency: converts cycles to PIT ticks and RTC seconds.
  uint32_t cpu_mhz = 1000;
  // Instructions Machine::run may retire in total; 0 = no limit.
  uint64_t max_instructions = 0;
  // A guest halted in a wait that no input can end any more (no serial input, or the
  // preloaded input used up) is stopped after this many modeled seconds of idling, so a
  // batch run never hangs; 0 = wait forever (QEMU's behaviour).
  uint32_t idle_limit_seconds = 60;
  // Where console bytes go besides the capture buffer (ConsoleOutput::stdout_sink(),
  // ConsoleOutput::file_sink(path)); empty = capture only.
  ConsoleOutput::Sink console_sink;
  // What the UART receives (ConsoleInput::from_string/from_file/from_stdin); default idle.
  ConsoleInput input;
  // Keys typed on the PS/2 keyboard (--keys; key_script.h, key_feeder.h); none by default.
  std::vector<KeyAction> keys;
  // Keys typed while the guest runs (the GUI's Screen tab; live_keys.h): interactive, not
  // deterministic. nullptr: none.
  std::shared_ptr<LiveKeys> live_keys;
  // The kernel command line and the boot modules, passed through Multiboot.
  std::string cmdline;
  std::vector<MultibootModule> modules;
  // Whether the processor has a local APIC (engine/machine/local_apic.h) and the machine
  // an I/O APIC (io_apic.h) and QEMU's fw_cfg interface (engine/machine/fw_cfg.h). The
  // virtualization modes turn the APIC off: their monitors do not virtualize it
  // (docs/architecture.md).
  bool local_apic = true;
  // The ATA disks on the primary channel (--disk; engine/machine/ata_controller.h): at most
  // one per index, 0 (master) or 1 (slave). None: the channel's ports float as unassigned.
  std::vector<DiskSpec> disks;

  Result<void> validate() const;
};

}  // namespace vmlab::machine
