#include "engine/snapshot/snapshot_runner.h"

#include <algorithm>
#include <cstdio>

namespace vmlab::snapshot {

machine::Result<uint64_t> save(vmm::Vm& vm, const Identity& id, const std::string& path) {
  SnapshotFile f;
  f.vmlab_version = id.vmlab_version;
  f.fingerprint = id.fingerprint;
  f.sections = capture_state(vm);
  f.sections.push_back(memory_section(vm.machine().memory().span()));
  auto w = write_snapshot(path, f);
  if (!w) return w.error();
  return w.value().bytes;
}

machine::Result<LoadedSnapshot> load_for(const Identity& id, const std::string& path) {
  auto loaded = load_chain(path);
  if (!loaded) return loaded.error();
  const SnapshotFile& f = loaded.value().file;
  if (f.vmlab_version != id.vmlab_version) {
    return machine::Error{path + ": written by vmlab " + f.vmlab_version + ", this is vmlab " +
                              id.vmlab_version +
                              " (a restore re-executes the guest, so the versions must agree)",
                          kErrVersion};
  }
  if (const std::string m = fingerprint_mismatch(f.fingerprint, id.fingerprint); !m.empty()) {
    return machine::Error{path + ": the snapshot was taken with another configuration: " + m,
                          kErrMismatch};
  }
  return loaded;
}

machine::Result<Position> restore(vmm::Vm& vm, const LoadedSnapshot& loaded,
                                  const std::string& name) {
  auto pos = position_of(loaded.file, name);
  if (!pos) return pos.error();
  const Position p = pos.value();
  if (vm.machine().cpu().instructions_retired() != 0) {
    return machine::Error{name + ": a snapshot is restored into a machine that has not run",
                          EINVAL};
  }
  if (!run_to_instructions(vm, p.instructions)) {
    return machine::Error{name + ": the machine stopped before the snapshot's instruction " +
                              std::to_string(p.instructions) + " (" +
                              (vm.last_stop() ? vm.last_stop()->message : "") + ")",
                          kErrDiverged};
  }
  if (const std::string d = first_difference(vm, loaded.file, loaded.memory); !d.empty()) {
    return machine::Error{name + ": the restored machine differs from the snapshot in " + d,
                          kErrDiverged};
  }
  return p;
}

bool can_load(const vmm::Vm& vm, const LoadedSnapshot& loaded, std::string* why_not) {
  std::string why;
  if (!can_load_state(vm)) {
    why = vm.mode_impl().describe() + " cannot save its monitor's state";
  } else if (loaded.file.find(kMachineState) == nullptr) {
    why = "the snapshot was taken after the machine stopped";
  } else if (!has_loadable_state(loaded.file.sections)) {
    why = "the snapshot does not carry the whole machine state";
  }
  if (why_not) *why_not = why;
  return why.empty();
}

machine::Result<Position> load(vmm::Vm& vm, const LoadedSnapshot& loaded, const std::string& name) {
  return load_state(vm, loaded.file.sections, loaded.memory, name);
}

bool run_to_instructions(vmm::Vm& vm, uint64_t instructions) {
  const uint64_t now = vm.machine().cpu().instructions_retired();
  if (instructions <= now) return vm.state() != vmm::VmState::kStopped;
  return vm.run_for(instructions - now) == vmm::VmState::kPaused &&
         vm.machine().cpu().instructions_retired() == instructions;
}

uint64_t CycleStepper::step(uint64_t now_cycles, uint64_t target) const {
  if (now_cycles >= target || cycles_per_insn_ == 0) return 1;
  const uint64_t n = std::min((target - now_cycles) / 2 / cycles_per_insn_, 2 * last_step_);
  return n == 0 ? 1 : n;
}

void CycleStepper::observe(uint64_t instructions, uint64_t cycles) {
  if (instructions == 0) return;
  last_step_ = instructions;
  const uint64_t ratio = (cycles + instructions - 1) / instructions;
  if (ratio > cycles_per_insn_) cycles_per_insn_ = ratio;
}

void run_step(vmm::Vm& vm, uint64_t instructions, CycleStepper& stepper) {
  const cpu::Cpu& cpu = vm.machine().cpu();
  const uint64_t i0 = cpu.instructions_retired(), c0 = cpu.cycles();
  vm.run_for(instructions == 0 ? 1 : instructions);
  stepper.observe(cpu.instructions_retired() - i0, cpu.cycles() - c0);
}

bool run_to_cycles(vmm::Vm& vm, uint64_t cycles) {
  CycleStepper stepper;
  for (;;) {
    if (vm.state() == vmm::VmState::kStopped) return false;
    const uint64_t now = vm.machine().cpu().cycles();
    if (now >= cycles) return true;
    run_step(vm, stepper.step(now, cycles), stepper);
  }
}

machine::Result<IncrementalSeries::Taken> IncrementalSeries::take(vmm::Vm& vm) {
  char name[32];
  std::snprintf(name, sizeof name, "snap-%04u.vmsnap", count_);
  SnapshotFile f;
  f.vmlab_version = id_.vmlab_version;
  f.fingerprint = id_.fingerprint;
  f.sections = capture_state(vm);
  const auto memory = vm.machine().memory().span();
  Taken t;
  t.base = count_ == 0;
  if (t.base) {
    f.sections.push_back(memory_section(memory));
  } else {
    f.is_diff = true;
    f.parent = previous_name_;
    f.parent_digest = previous_digest_;
    f.sections.push_back(memory_section(memory, previous_));
  }
  t.pages = memory_pages(f.sections.back());
  t.path = dir_ + "/" + name;
  auto w = write_snapshot(t.path, f);
  if (!w) return w.error();
  t.bytes = w.value().bytes;
  previous_.assign(memory.begin(), memory.end());
  previous_name_ = name;
  previous_digest_ = w.value().digest;
  ++count_;
  return t;
}

}  // namespace vmlab::snapshot
