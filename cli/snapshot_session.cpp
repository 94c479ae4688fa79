#include "cli/snapshot_session.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/version.h"
#include "engine/snapshot/snapshot_runner.h"
#include "engine/vmm/trace/sha256.h"

namespace vmlab::cli {
namespace {

std::string profile_digest(const vmm::CostProfile& p) {
  std::string text;
  for (const auto& f : p.figures()) text += f.key + "=" + std::to_string(f.cycles) + "\n";
  return vmm::Sha256::hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

}  // namespace

// What a restore must find the same (docs/snapshots.md, "Fingerprint").
machine::Result<snapshot::Identity> run_identity(const vmm::Vm& vm, const RunOptions& o,
                                                 const std::string& input_sha256) {
  snapshot::Identity id;
  id.vmlab_version = kVersion;
  auto& f = id.fingerprint;
  f.emplace_back("mode", vm.mode_impl().describe());
  f.emplace_back("profile", vm.profile().name());
  f.emplace_back("profile_sha256", profile_digest(vm.profile()));
  auto kernel = vmm::Sha256::hex_of_file(o.kernel);
  if (!kernel) return kernel.error();
  f.emplace_back("kernel_sha256", kernel.value());
  f.emplace_back("memory_mib", std::to_string(o.memory_mib));
  f.emplace_back("cpu_mhz", std::to_string(o.cpu_mhz));
  f.emplace_back("cmdline", vm.machine().config().cmdline);
  for (size_t i = 0; i < o.modules.size(); ++i) {
    auto sha = vmm::Sha256::hex_of_file(o.modules[i].path);
    if (!sha) return sha.error();
    f.emplace_back("module" + std::to_string(i), o.modules[i].cmdline + " sha256=" + sha.value());
  }
  for (const machine::DiskSpec& d : o.disks) {
    auto sha = vmm::Sha256::hex_of_file(d.path);
    if (!sha) return sha.error();
    f.emplace_back("disk" + std::to_string(d.index),
                   std::string(d.readonly ? "readonly " : "") + "sha256=" + sha.value());
  }
  f.emplace_back("input_sha256", input_sha256);
  return id;
}

DebuggerMachines::DebuggerMachines(vmm::Vm& first, MakeVm make_vm, const RunOptions& opts,
                                   const std::string& input_sha256,
                                   std::atomic<bool>& console_muted)
    : first_(first), make_vm_(std::move(make_vm)), opts_(opts), console_muted_(console_muted) {
  auto id = run_identity(first, opts, input_sha256);
  if (id) {
    identity_ = std::move(id.value());
  } else {
    identity_error_ = id.error().message;
  }
}

debug::DebugTarget::SaveVm DebuggerMachines::save_vm() {
  return [this](const std::string& file) -> std::string {
    if (!identity_) return "error: monitor savevm: " + identity_error_ + "\n";
    vmm::Vm& vm = current();
    auto w = snapshot::save(vm, *identity_, file);
    if (!w) return "error: monitor savevm: " + w.error().message + "\n";
    const cpu::Cpu& cpu = vm.machine().cpu();
    return "saved " + file + " (" + std::to_string(w.value()) + " bytes) at instruction " +
           std::to_string(cpu.instructions_retired()) + ", cycle " + std::to_string(cpu.cycles()) +
           "\n";
  };
}

debug::DebugTarget::LoadVm DebuggerMachines::load_vm() {
  return [this](const std::string& file) -> debug::DebugTarget::LoadedVm {
    auto error = [](const std::string& why) {
      return debug::DebugTarget::LoadedVm{nullptr, "error: monitor loadvm: " + why + "\n"};
    };
    if (!identity_) return error(identity_error_);
    if (opts_.trace) {
      return error("not with --trace (the trace file is the first machine's; docs/gdb.md)");
    }
    auto made = make_vm_();
    if (!made) return error(made.error().message);
    vmm::Vm& vm = *made.value();
    // The checks of --restore: format, version, checksum, the configuration's fingerprint.
    auto loaded = snapshot::load_for(*identity_, file, snapshot::can_load_state(vm));
    if (!loaded) return error(loaded.error().message);
    std::string why_not;
    const bool by_load = snapshot::can_load(vm, loaded.value(), &why_not);
    if (!by_load) {
      if (const std::string m = snapshot::disks_at_boot(*identity_, loaded.value()); !m.empty()) {
        return error(file + ": the snapshot was taken with another configuration: " + m);
      }
    }
    console_muted_.store(true);  // a re-executed part's console was printed already
    auto restored = by_load ? snapshot::load(vm, loaded.value(), file)
                            : snapshot::restore(vm, loaded.value(), file);
    console_muted_.store(false);
    if (!restored) return error(restored.error().message);
    const cpu::Cpu& cpu = vm.machine().cpu();
    std::string line =
        "loaded " + file + " at instruction " + std::to_string(cpu.instructions_retired()) +
        ", cycle " + std::to_string(cpu.cycles()) +
        (by_load ? " (state loaded)" : " (by re-executing the guest: " + why_not + ")") +
        "; gdb's cached registers are stale: maintenance flush register-cache\n";
    previous_ = std::move(current_);  // the one before it: the debugger let go of it
    current_ = std::move(made.value());
    return {current_.get(), line};
  };
}

namespace {

void say(const RunOptions& o, const std::string& text) {
  if (!o.quiet) std::cerr << "vmlab: " << text << "\n";
}

std::string where(const vmm::Vm& vm) {
  return std::to_string(vm.machine().cpu().instructions_retired()) + " instructions, " +
         std::to_string(vm.machine().cpu().cycles()) + " modeled cycles";
}

}  // namespace

int snapshot_exit_code(const machine::Error& e) {
  switch (e.code) {
    case snapshot::kErrVersion: return kSnapshotVersion;
    case snapshot::kErrMismatch: return kSnapshotMismatch;
    case snapshot::kErrNotSnapshot:
    case snapshot::kErrCorrupt: return kSnapshotCorrupt;
    case snapshot::kErrDiverged: return kSnapshotDiverged;
    case ENOTSUP: return kNotImplemented;
    default: return kNoInput;
  }
}

machine::Result<machine::RunResult> run_with_snapshots(vmm::Vm& vm, const RunOptions& o,
                                                       const std::string& input_sha256,
                                                       std::atomic<bool>& console_muted) {
  const auto& s = o.snapshots;
  const auto started = std::chrono::steady_clock::now();
  if (s.mode_tracking && !vm.mode_impl().write_tracker()) {
    return machine::Error{
        "mode " + vm.mode_impl().describe() +
            " has no write tracking of its own: --snapshot-tracking mode is for the modes with a "
            "monitor (trap, bt, pv; docs/snapshots.md)",
        ENOTSUP};
  }
  auto id = run_identity(vm, o, input_sha256);
  if (!id) return id.error();
  if (!s.restore.empty()) {
    // A mode that can load the state takes the disks as they were at the snapshot (or, for
    // a re-execution, as they were at boot); every other key must agree.
    auto loaded = snapshot::load_for(id.value(), s.restore, snapshot::can_load_state(vm));
    if (!loaded) return loaded.error();
    std::string why_not;
    const bool by_load = !s.reexecute && snapshot::can_load(vm, loaded.value(), &why_not);
    if (s.reexecute) why_not = "asked for";
    if (!by_load) {
      if (const std::string m = snapshot::disks_at_boot(id.value(), loaded.value()); !m.empty()) {
        return machine::Error{s.restore +
                                  ": the snapshot was taken with another configuration: " + m +
                                  " (a restore by re-execution needs the disks as the run "
                                  "found them at boot, a load as they were at the snapshot)",
                              snapshot::kErrMismatch};
      }
    }
    console_muted.store(true);
    auto restored = by_load ? snapshot::load(vm, loaded.value(), s.restore)
                            : snapshot::restore(vm, loaded.value(), s.restore);
    console_muted.store(false);
    if (!restored) {
      // Ctrl-C, or a --max-instructions budget, ended the re-execution: that is the run's
      // stop (exit 130 or 72), not a refusal of the snapshot.
      if (const auto& stop = vm.last_stop();
          stop && (stop->reason == machine::StopReason::kStopRequested ||
                   stop->reason == machine::StopReason::kBudgetExhausted)) {
        say(o, "the run stopped while restoring " + s.restore);
        return *stop;
      }
      return restored.error();
    }
    say(o, "restored " + s.restore + " at " + where(vm) +
               (by_load ? " (state loaded)" : " (by re-executing the guest: " + why_not + ")"));
  }
  std::optional<snapshot::IncrementalSeries> series;
  if (s.every_cycles != 0) {
    std::error_code ec;
    std::filesystem::create_directories(s.every_dir, ec);
    if (ec) return machine::Error{"cannot create the snapshot folder " + s.every_dir, EIO};
    series.emplace(s.every_dir, id.value(), s.mode_tracking);
  }
  uint64_t next_every = 0;
  if (series) next_every = (vm.machine().cpu().cycles() / s.every_cycles + 1) * s.every_cycles;
  std::vector<bool> taken(s.points.size(), false);
  snapshot::CycleStepper stepper;
  const cpu::Cpu& cpu = vm.machine().cpu();
  while (vm.state() != vmm::VmState::kStopped) {
    // Take every point reached; otherwise step towards the nearest without passing any.
    uint64_t step = UINT64_MAX;
    bool pending = false;
    for (size_t i = 0; i < s.points.size(); ++i) {
      if (taken[i]) continue;
      const auto& p = s.points[i];
      const uint64_t now = p.by_instructions ? cpu.instructions_retired() : cpu.cycles();
      if (now >= p.at) {
        auto w = snapshot::save(vm, id.value(), p.file);
        if (!w) return w.error();
        say(o, "snapshot " + p.file + " at " + where(vm) + " (" + std::to_string(w.value()) +
                   " bytes)");
        taken[i] = true;
        continue;
      }
      pending = true;
      const uint64_t gap = p.at - now;
      step = std::min(step, p.by_instructions ? gap : stepper.step(now, p.at));
    }
    if (series) {
      if (cpu.cycles() >= next_every) {
        auto t = series->take(vm);
        if (!t) return t.error();
        say(o, "snapshot " + t.value().path + (t.value().base ? " (base)" : " (incremental)") +
                   " at " + where(vm) + ": " + std::to_string(t.value().pages) + " pages, " +
                   std::to_string(t.value().bytes) + " bytes" +
                   (t.value().base ? "" : " (" + t.value().tracking + ")"));
        next_every = (cpu.cycles() / s.every_cycles + 1) * s.every_cycles;
        if (series->count() >= 10000) {
          say(o, "--snapshot-every: 10000 snapshots taken, no more");
          series.reset();
        }
        continue;
      }
      pending = true;
      step = std::min(step, stepper.step(cpu.cycles(), next_every));
    }
    if (!pending) break;
    snapshot::run_step(vm, step, stepper);
  }
  if (vm.state() != vmm::VmState::kStopped) vm.resume();
  machine::RunResult r = *vm.last_stop();
  // The whole run's wall time, not only that of its last part.
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!s.on_exit.empty()) {
    auto w = snapshot::save(vm, id.value(), s.on_exit);
    if (!w) return w.error();
    say(o, "snapshot " + s.on_exit + " at " + where(vm) + " (" + std::to_string(w.value()) +
               " bytes)");
  }
  return r;
}

}  // namespace vmlab::cli
