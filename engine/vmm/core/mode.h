// Mode: the one interface every virtualization strategy implements (DESIGN.md, "modes/*").
//
// A mode decides how the guest is booted and what the monitor does when the processor
// hands it an event: the native mode does nothing (the guest runs alone on the hardware),
// trap-and-emulate, binary translation and paravirtualization each attach their monitor
// in boot(). Modes live in modes/<name>/ and are created by modes/registry.h; engine/vmm
// knows only this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/cpu/state_codec.h"
#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/inspection.h"
#include "engine/vmm/core/write_tracker.h"

namespace vmlab::vmm {

class Vm;
class P2m;

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
  // mode, and the monitors that virtualize the APIC (trap, bt: engine/vmm/kit/guest_apic.h);
  // without it the processor has none (CPUID.1:EDX.APIC = 0, nothing at 0xFEE00000),
  // like a processor before the P54C: the paravirtual guest, whose timer is an event
  // channel (docs/pv-abi.md).
  virtual bool offers_local_apic() const { return false; }
  // Loads the guest image and prepares the processor to enter it: called once, by
  // Vm::load_kernel_image, after the machine exists. The mode attaches its monitor here.
  virtual machine::Result<void> boot(Vm& vm, std::span<const uint8_t> image,
                                     const std::string& name) = 0;
  // Called by Vm::run when the guest stops: the monitor may add to the stop message what
  // it knows of the cause. By default (sensitive_stop_note.cpp) a guest that stopped making
  // progress or failed after sensitive instructions ran without a trap gets the note that
  // names them (the Popek-Goldberg hole); the classic trap monitor adds what closes it.
  virtual void explain_stop(const Vm& vm, machine::RunResult& result) const;

  // --- Inspection (inspection.h; front ends use it through Vm). The defaults fit native
  // mode: the guest's CPU is the processor, guest-physical is machine, the hardware walks
  // the guest's own tables, and there is no translation cache.
  // The virtual CPU the guest believes in (see GuestCpuView). Defined in vm_inspection.cpp.
  virtual GuestCpuView guest_cpu(const Vm& vm) const;
  // The P2M, when guest-physical is not machine (nullptr: the identity over RAM).
  virtual const P2m* guest_p2m() const { return nullptr; }
  virtual RealPaging real_paging() const { return RealPaging::kGuestTables; }
  // The translation cache's fragments (bt), oldest first.
  virtual std::vector<TranslationRow> translations(const Vm& /*vm*/) const { return {}; }
  // The translation of a guest-linear address, translated now (through the guest's current
  // page tables) if it was not yet: bt only; nothing when it cannot be translated.
  virtual std::optional<TranslationDetail> translation(Vm& /*vm*/, uint32_t /*guest_linear*/) {
    return std::nullopt;
  }

  // --- Write tracking (write_tracker.h; docs/migration.md, "Write tracking") -------------
  // The monitor's own tracking of the guest's writes, once the guest booted; nullptr (the
  // default, native) when the mode has none and live migration uses the engine's dirty log.
  virtual WriteTracker* write_tracker() { return nullptr; }

  // --- Saved state (engine/snapshot/state_load.h; docs/snapshots.md) ---------------------
  // Whether save_monitor and load_monitor carry the whole of this monitor's state that is
  // not in machine memory (its maps, caches, counters, pending work), so that a snapshot can
  // be loaded straight into a new machine and go on with the same counts and modeled
  // cycles. False (the default): the mode cannot, and a restore re-executes the guest from
  // boot instead.
  virtual bool can_save_monitor() const { return false; }
  virtual void save_monitor(const Vm& /*vm*/, cpu::ByteWriter& /*w*/) const {}
  // Into a Vm of the same configuration that booted and has run nothing, after the
  // processor, the devices and machine memory were loaded. Every value read is validated
  // (the bytes come from a file); an error leaves the Vm unusable.
  virtual machine::Result<void> load_monitor(Vm& /*vm*/, cpu::ByteReader& /*r*/) {
    return machine::Error{"this mode cannot load its monitor's state", ENOTSUP};
  }
};

}  // namespace vmlab::vmm
