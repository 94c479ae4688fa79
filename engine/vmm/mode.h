// Mode: the one interface every virtualization strategy implements (DESIGN.md, "modes/*").
//
// A mode decides how the guest is booted and what the monitor does when the processor
// hands it an event: the native mode does nothing (the guest runs alone on the hardware),
// trap-and-emulate, binary translation and paravirtualization each attach their monitor
// in boot(). Modes live in modes/<name>/ and are created by modes/registry.h; engine/vmm
// knows only this interface.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/vmm/event.h"

namespace vmlab::vmm {

class Vm;

// Options that select a variant of a mode (`--cpu`, `--npt`).
struct ModeOptions {
  enum class Cpu : uint8_t { kDefault, kClassic, kVt };
  Cpu cpu = Cpu::kDefault;
  bool nested_paging = false;
};

class Mode {
 public:
  virtual ~Mode() = default;
  virtual ModeId id() const = 0;
  // One line for people and for config.json, e.g. "trap (VT CPU, nested paging)".
  virtual std::string describe() const = 0;
  // Machine memory the monitor needs besides the guest's RAM, in MiB: shadow page tables,
  // monitor data, a translation cache. It lies below the guest's frames (see P2m).
  virtual uint32_t reserve_mib() const { return 0; }
  // Whether the guest gets the local APIC and fw_cfg (MachineConfig::local_apic). Native
  // mode, and the monitors that virtualize the APIC (trap, bt: engine/vmm/guest_apic.h);
  // without it the processor has none (CPUID.1:EDX.APIC = 0, nothing at 0xFEE00000),
  // like a processor before the P54C: the paravirtual guest, whose timer is an event
  // channel (docs/pv-abi.md).
  virtual bool offers_local_apic() const { return false; }
  // Loads the guest image and prepares the processor to enter it: called once, by
  // Vm::load_kernel_image, after the machine exists. The mode attaches its monitor here.
  virtual machine::Result<void> boot(Vm& vm, std::span<const uint8_t> image,
                                     const std::string& name) = 0;
  // Called by Vm::run when the guest stops: the monitor may add to the stop message what
  // it knows of the cause (a classic CPU names its Popek-Goldberg hole). Nothing by default.
  virtual void explain_stop(const Vm& /*vm*/, machine::RunResult& /*result*/) const {}
};

}  // namespace vmlab::vmm
