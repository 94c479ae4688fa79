#include "engine/snapshot/state_load.h"

#include <cerrno>
#include <cstring>

#include "engine/snapshot/byte_io.h"

namespace vmlab::snapshot {
namespace {

constexpr uint8_t kVmStateVersion = 1;

const Section* find(const std::vector<Section>& sections, uint32_t t) {
  for (const Section& s : sections) {
    if (s.tag == t) return &s;
  }
  return nullptr;
}

std::string tag_name(uint32_t t) {
  const char name[5] = {char(t), char(t >> 8), char(t >> 16), char(t >> 24), 0};
  return name;
}

}  // namespace

bool can_load_state(const vmm::Vm& vm) {
  return vm.mode_impl().can_save_monitor();
}

std::vector<Section> capture_state(vmm::Vm& vm) {
  std::vector<Section> out = capture_sections(vm);
  {
    ByteWriter w;
    vm.machine().cpu().save_internal(w);
    out.push_back({kCpuInternal, w.take()});
  }
  // A stopped machine's run is over: nothing goes on from it, so it carries no MACH (a
  // restore of it re-executes, and ends at the same stop).
  if (!vm.machine().stopped()) {
    ByteWriter w;
    vm.machine().save_state(w);
    out.push_back({kMachineState, w.take()});
  }
  {
    ByteWriter w;
    w.u8(kVmStateVersion);
    vm.recorder().save(w);
    vm.observer().save(w);
    out.push_back({kVmState, w.take()});
  }
  if (can_load_state(vm)) {
    ByteWriter w;
    vm.mode_impl().save_monitor(vm, w);
    out.push_back({kMonitor, w.take()});
  }
  return out;
}

bool has_loadable_state(const std::vector<Section>& sections) {
  for (uint32_t t : {kPosition, kCpuInternal, kMachineState, kVmState, kMonitor}) {
    if (find(sections, t) == nullptr) return false;
  }
  return true;
}

machine::Result<Position> load_state(vmm::Vm& vm, const std::vector<Section>& sections,
                                     std::span<const uint8_t> memory, const std::string& name) {
  auto corrupt = [&](const std::string& what) {
    return machine::Error{name + ": corrupt snapshot: " + what, kErrCorrupt};
  };
  if (!can_load_state(vm)) {
    return machine::Error{name + ": " + vm.mode_impl().describe() +
                              " cannot load a monitor's state (its state is rebuilt by "
                              "re-executing the guest)",
                          ENOTSUP};
  }
  if (vm.machine().cpu().instructions_retired() != 0 || vm.machine().stopped()) {
    return machine::Error{name + ": a state is loaded into a machine that has not run", EINVAL};
  }
  for (uint32_t t : {kPosition, kCpuInternal, kMachineState, kVmState, kMonitor}) {
    if (find(sections, t) == nullptr) {
      return corrupt("no " + tag_name(t) + " section" +
                     (t == kMachineState ? " (the machine had stopped)" : ""));
    }
  }
  SnapshotFile positions;
  positions.sections = sections;
  auto pos = position_of(positions, name);
  if (!pos) return pos.error();

  // Machine memory: the guest's RAM and the mode's reserve, as one image of the same size.
  auto ram = vm.machine().memory().span();
  if (memory.size() != ram.size()) {
    return machine::Error{name + ": the saved machine memory has " + std::to_string(memory.size()) +
                              " bytes, this machine " + std::to_string(ram.size()),
                          kErrMismatch};
  }
  std::memcpy(ram.data(), memory.data(), ram.size());

  {
    ByteReader r(find(sections, kCpuInternal)->bytes);
    if (!vm.machine().cpu().load_internal(r) || !r.done()) return corrupt("bad CPUX section");
  }
  {
    ByteReader r(find(sections, kMachineState)->bytes);
    if (!vm.machine().load_state(r) || !r.done()) return corrupt("bad MACH section");
  }
  {
    ByteReader r(find(sections, kVmState)->bytes);
    if (r.u8() != kVmStateVersion) return corrupt("bad VMST section version");
    vm.recorder().load(r);
    vm.observer().load(r);
    if (!r.done()) return corrupt("bad VMST section");
  }
  {
    ByteReader r(find(sections, kMonitor)->bytes);
    auto loaded = vm.mode_impl().load_monitor(vm, r);
    if (!loaded) return corrupt("bad MON section: " + loaded.error().message);
    if (!r.done()) return corrupt("bad MON section");
  }
  // What the loaded machine shows must be what was saved: the processor's registers, the
  // devices' accessors, the counters, the console (a loader and its saver that disagree,
  // or sections that contradict each other, are caught here).
  for (const Section& now : capture_sections(vm)) {
    const Section* then = find(sections, now.tag);
    if (then == nullptr || then->bytes != now.bytes) {
      return machine::Error{
          name + ": the loaded machine differs from the snapshot in section " + tag_name(now.tag),
          kErrDiverged};
    }
  }
  return pos.value();
}

}  // namespace vmlab::snapshot
