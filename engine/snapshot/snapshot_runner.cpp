#include "engine/snapshot/snapshot_runner.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/cpu/dirty_log.h"
#include "engine/snapshot/byte_io.h"
#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/p2m.h"

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

namespace {

Fingerprint only_disks(const Fingerprint& f, bool disks) {
  Fingerprint out;
  for (const auto& kv : f) {
    if ((kv.first.rfind("disk", 0) == 0) == disks) out.push_back(kv);
  }
  return out;
}

}  // namespace

std::string disks_at_boot(const Identity& id, const LoadedSnapshot& loaded) {
  return fingerprint_mismatch(only_disks(loaded.file.fingerprint, true),
                              only_disks(id.fingerprint, true));
}

machine::Result<LoadedSnapshot> load_for(const Identity& id, const std::string& path,
                                         bool disks_later) {
  auto loaded = load_chain(path);
  if (!loaded) return loaded.error();
  const SnapshotFile& f = loaded.value().file;
  if (f.vmlab_version != id.vmlab_version) {
    return machine::Error{path + ": written by vmlab " + f.vmlab_version + ", this is vmlab " +
                              id.vmlab_version +
                              " (a restore re-executes the guest, so the versions must agree)",
                          kErrVersion};
  }
  const std::string m = disks_later ? fingerprint_mismatch(only_disks(f.fingerprint, false),
                                                           only_disks(id.fingerprint, false))
                                    : fingerprint_mismatch(f.fingerprint, id.fingerprint);
  if (!m.empty()) {
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

bool can_load(vmm::Vm& vm, const LoadedSnapshot& loaded, std::string* why_not) {
  std::string why;
  if (!can_load_state(vm)) {
    why = vm.mode_impl().describe() + " cannot save its monitor's state";
  } else if (loaded.file.find(kMachineState) == nullptr) {
    why = "the snapshot was taken after the machine stopped";
  } else if (!has_loadable_state(loaded.file.sections)) {
    why = "the snapshot does not carry the whole machine state";
  } else if (const std::string d = disk_difference(vm, loaded.file.sections); !d.empty()) {
    // A load needs the disks as they were at the snapshot; these are not (the image as the
    // run found it at boot, say, after the guest wrote it): only re-execution can use them.
    why = "the disks are not as they were at the snapshot (" + d + ")";
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
  // The stepper's steps shrink towards the target while instructions cost what they did;
  // the machine's own cycle bound pauses a step that a halted processor's idle skip
  // carries past it (the guest waiting for a timer or a key), at the first boundary after.
  struct Bound {
    machine::Machine& m;
    ~Bound() { m.set_pause_at_cycles(UINT64_MAX); }
  } bound{vm.machine()};
  vm.machine().set_pause_at_cycles(cycles);
  CycleStepper stepper;
  for (;;) {
    if (vm.state() == vmm::VmState::kStopped) return false;
    const uint64_t now = vm.machine().cpu().cycles();
    if (now >= cycles) return true;
    run_step(vm, stepper.step(now, cycles), stepper);
  }
}

namespace {
constexpr uint8_t kDiffInfoVersion = 1;
}  // namespace

Section diff_section(const DiffInfo& d) {
  ByteWriter w;
  w.u8(kDiffInfoVersion);
  w.string(d.tracking);
  w.u64(d.pages_logged);
  w.u64(d.tracking_faults);
  return {kDiffInfo, w.take()};
}

std::optional<DiffInfo> diff_info(const SnapshotFile& f) {
  const Section* s = f.find(kDiffInfo);
  if (s == nullptr) return std::nullopt;
  ByteReader r(s->bytes);
  DiffInfo d;
  if (r.u8() != kDiffInfoVersion) return std::nullopt;
  d.tracking = r.string(256);
  d.pages_logged = r.u64();
  d.tracking_faults = r.u64();
  if (r.failed() || !r.done()) return std::nullopt;
  return d;
}

IncrementalSeries::~IncrementalSeries() {
  if (tracker_) tracker_->stop_tracking();
}

size_t IncrementalSeries::monitor_frames(const vmm::Vm& vm) {
  const vmm::P2m* p2m = vm.mode_impl().guest_p2m();
  return p2m ? p2m->reserved_frames() : 0;
}

namespace {

bool all_zero(std::span<const uint8_t> memory, size_t page) {
  const uint8_t* p = memory.data() + page * kPageBytes;
  for (size_t i = 0; i < kPageBytes; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

std::vector<uint32_t> IncrementalSeries::written_pages(vmm::Vm& vm, uint64_t& logged) {
  const auto log = vm.machine().cpu().dirty_log();
  const auto memory = vm.machine().memory().span();
  const size_t frames = memory.size() / kPageBytes;
  const size_t first_guest = std::min(monitor_frames(vm), frames);
  std::vector<uint8_t> set(frames, 0);
  if (tracker_) {
    // As pre-copy's rounds (engine/migration/precopy.cpp): the guest frames the mode
    // logged, and the physical writes of the devices and the monitor (they mark the log as
    // they write). Peeked: the tracking protects them again once the file is written.
    tracker_->peek_dirty(set);
    for (size_t p = first_guest; p < frames && p < log.size(); ++p) {
      if (log[p] & cpu::kDirtyByPhysical) set[p] = 1;
    }
  } else {
    for (size_t p = first_guest; p < frames && p < log.size(); ++p) set[p] = log[p] != 0;
  }
  for (size_t p = 0; p < first_guest; ++p) set[p] = 0;
  logged = 0;
  for (size_t p = first_guest; p < frames; ++p) logged += set[p];
  // The monitor's own frames (its reserve below the guest's: shadow tables, the translation
  // cache, its data) are the monitor's memory, which no tracking of the guest's writes
  // covers and which a monitor may write without reporting it: compared with their copy.
  for (size_t p = 0; p < first_guest; ++p) {
    const size_t at = p * kPageBytes;
    if (std::memcmp(memory.data() + at, monitor_copy_.data() + at, kPageBytes) != 0) set[p] = 1;
  }
  std::vector<uint32_t> pages;
  for (size_t p = 0; p < frames; ++p) {
    if (!set[p]) continue;
    // A page written but all zeros, as it was at the snapshot before, is not a change.
    const bool zero = all_zero(memory, p);
    const bool was_zero = zero_[p] != 0;
    zero_[p] = zero;
    if (zero && was_zero) continue;
    pages.push_back(static_cast<uint32_t>(p));
  }
  return pages;
}

void IncrementalSeries::rearm(vmm::Vm& vm) {
  const auto memory = vm.machine().memory().span();
  const size_t first_guest = std::min(monitor_frames(vm), memory.size() / kPageBytes);
  monitor_copy_.assign(memory.begin(),
                       memory.begin() + static_cast<ptrdiff_t>(first_guest * kPageBytes));
  // What protecting the frames again writes (shadow or nested entries, pv's dirty bits) is
  // a change since this snapshot: the log, cleared first, and the copy, taken first, see it.
  vm.machine().cpu().clear_dirty_log();
  if (tracker_) {
    std::vector<uint8_t> ignored(memory.size() / kPageBytes, 0);
    tracker_->take_dirty(ignored);
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
    if (mode_tracking_ && !vm.mode_impl().write_tracker()) {
      return machine::Error{
          "mode " + vm.mode_impl().describe() + " has no write tracking of its own", ENOTSUP};
    }
    f.sections.push_back(memory_section(memory));
    zero_.assign(memory.size() / kPageBytes, 0);
    for (size_t p = 0; p < zero_.size(); ++p) zero_[p] = all_zero(memory, p);
  } else {
    f.is_diff = true;
    f.parent = previous_name_;
    f.parent_digest = previous_digest_;
    DiffInfo d;
    d.tracking = tracker_ ? tracker_->mechanism() : "engine dirty log";
    const std::vector<uint32_t> pages = written_pages(vm, d.pages_logged);
    if (tracker_) {
      d.tracking_faults = tracker_->tracking_faults() - faults_before_;
      faults_before_ = tracker_->tracking_faults();
    }
    t.tracking = d.tracking;
    f.sections.push_back(diff_section(d));
    f.sections.push_back(memory_section_of(memory, pages));
  }
  t.pages = memory_pages(f.sections.back());
  t.path = dir_ + "/" + name;
  auto w = write_snapshot(t.path, f);
  if (!w) return w.error();
  t.bytes = w.value().bytes;
  previous_name_ = name;
  previous_digest_ = w.value().digest;
  ++count_;
  rearm(vm);
  if (t.base && mode_tracking_) {
    // Starting protects the frames: its writes come after the copy and the log's clearing,
    // so the next diff holds them.
    tracker_ = vm.mode_impl().write_tracker();
    tracker_->start_tracking();
    faults_before_ = tracker_->tracking_faults();
  }
  return t;
}

}  // namespace vmlab::snapshot
