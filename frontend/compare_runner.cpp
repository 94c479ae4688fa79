#include "frontend/compare_runner.h"

#include <bitset>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "engine/vmm/core/trace_writer.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/trace/guest_report.h"
#include "frontend/scratch_disk.h"
#include "frontend/workloads.h"
#include "modes/registry.h"

namespace vmlab::frontend {

namespace {

// Counts the front end's notifications on the PV block ring (ring_notify, ring 3, not to
// the front end): the counters count events by kind only, and the batching factor divides
// by these alone. Given only ring_notify events (the recorder's trace filter).
class BlockNotifications : public vmm::TraceWriter {
 public:
  explicit BlockNotifications(uint64_t& count) : count_(count) {}
  void write(const vmm::Event& e) override {
    if (e.kind == vmm::EventKind::ring_notify && e.payload[0] == kBlockPort && e.payload[2] == 0) {
      ++count_;
    }
  }
  machine::Result<void> finish() override { return {}; }

 private:
  static constexpr uint32_t kBlockPort = 3;  // docs/pv-abi.md, the block ring's port
  uint64_t& count_;
};

struct Boot {
  machine::RunResult result;
  vmm::EventCounters counters;
  uint64_t blk_notifications = 0;
  uint64_t tlb_misses = 0;
  uint64_t walk_references = 0;
  vmm::GuestReport guest;
  std::optional<std::string> skip_reason;  // the guest's `skip workload=...` line
};

// The reason of the guest's `skip workload=W reason="..."` line, if it printed one.
std::optional<std::string> skip_reason_of(std::string_view console, const std::string& workload) {
  const std::string prefix = "skip workload=" + workload + " ";
  for (size_t at = 0; at < console.size();) {
    size_t end = console.find('\n', at);
    if (end == std::string_view::npos) end = console.size();
    const std::string_view line = console.substr(at, end - at);
    if (line.substr(0, prefix.size()) == prefix) {
      const vmm::GuestRecord r = vmm::parse_fields(line.substr(5));
      const std::string* reason = r.get("reason");
      return reason ? *reason : std::string("skipped by the guest");
    }
    at = end + 1;
  }
  return std::nullopt;
}

machine::Result<Boot> boot_once(const std::string& kernel, vmm::ModeId mode,
                                const vmm::ModeOptions& options, const vmm::CostProfile& profile,
                                uint32_t memory_mib, uint32_t cpu_mhz, const std::string& workload,
                                uint64_t iters, const std::string& guest_args,
                                const std::string& disk_image) {
  auto mode_impl = modes::make(mode, options);
  if (!mode_impl) return mode_impl.error();
  vmm::VmConfig config;
  config.mode = std::move(mode_impl.value());
  config.profile = profile;
  config.machine.memory_mib = memory_mib;
  config.machine.cpu_mhz = cpu_mhz;
  // The guest sees the kernel by its file name only (not the path to it, which QEMU would
  // pass): the figures must not depend on where vmlab was built.
  config.machine.cmdline = std::filesystem::path(kernel).filename().string() + " run=" + workload +
                           " iters=" + std::to_string(iters) +
                           (guest_args.empty() ? "" : " " + guest_args);
  // A disk workload gets a fresh scratch image of its own for each boot: both boots of a
  // cell start from the same empty file system, and parallel cells share nothing.
  std::unique_ptr<ScratchDisk> disk;
  if (const Workload* w = find_workload(workload); w != nullptr && w->needs_disk) {
    auto made = disk_image.empty() ? ScratchDisk::create() : ScratchDisk::copy_of(disk_image);
    if (!made) return made.error();
    disk = std::move(made.value());
    config.machine.disks.push_back({disk->path(), 0, false});
  }
  auto vm = vmm::Vm::create(std::move(config));
  if (!vm) return vm.error();
  if (auto loaded = vm.value()->load_kernel(kernel); !loaded) return loaded.error();
  Boot b;
  if (mode == vmm::ModeId::pv && disk) {
    std::bitset<vmm::kNumEventKinds> only;
    only.set(vmm::index_of(vmm::EventKind::ring_notify));
    vm.value()->recorder().set_trace_filter(only);
    vm.value()->recorder().add_writer(std::make_unique<BlockNotifications>(b.blk_notifications));
  }
  b.result = vm.value()->run();
  if (auto finished = vm.value()->recorder().finish(); !finished) return finished.error();
  b.counters = vm.value()->recorder().counters();
  b.tlb_misses = vm.value()->machine().cpu().tlb_misses();
  b.walk_references = vm.value()->machine().cpu().walk_references();
  b.guest = vmm::GuestReport::parse(vm.value()->machine().console_output());
  b.skip_reason = skip_reason_of(vm.value()->machine().console_output(), workload);
  return b;
}

// Empty when the boot ran the workload to a clean end; otherwise what went wrong.
std::string check_boot(const Boot& b, const std::string& workload) {
  if (b.result.reason != machine::StopReason::kExitPort) return b.result.message;
  if (!b.guest.errors.empty()) {
    std::string why = "the guest reported an error";
    if (const std::string* reason = b.guest.errors.front().get("reason")) {
      why.append(": ").append(*reason);
    }
    return why;
  }
  if (!b.guest.done_status || *b.guest.done_status != 0) {
    return "the guest ended with status " + std::to_string(b.guest.done_status.value_or(
                                                static_cast<int>(b.result.exit_value.value_or(0))));
  }
  if (b.guest.result_of(workload) == nullptr) return "the guest printed no result line";
  return {};
}

}  // namespace

Measurement CompareRunner::measure(vmm::ModeId mode, const vmm::ModeOptions& options,
                                   const std::string& label, const std::string& workload,
                                   uint64_t iters, const Progress& progress, unsigned& step,
                                   unsigned steps) const {
  Measurement m;
  m.mode = mode;
  m.label = label;
  m.workload = workload;
  m.iters = iters;
  Boot boots[2];
  for (int k = 0; k < 2; ++k) {
    const uint64_t n = iters * static_cast<uint64_t>(k + 1);
    ++step;
    const std::string what =
        std::string(label).append(" ").append(workload).append(" iters=").append(std::to_string(n));
    if (progress) {
      progress(std::string("[")
                   .append(std::to_string(step))
                   .append("/")
                   .append(std::to_string(steps))
                   .append("] ")
                   .append(what));
    }
    auto b = boot_once(kernel_, mode, options, profile_, memory_mib_, cpu_mhz_, workload, n,
                       guest_args_, disk_image_);
    if (!b) {
      m.error = b.error().message;
      return m;
    }
    if (b.value().skip_reason && b.value().guest.done_status == 0) {
      m.skipped = true;
      m.error = *b.value().skip_reason;
      return m;
    }
    if (std::string why = check_boot(b.value(), workload); !why.empty()) {
      m.error = what + ": " + why;
      m.failed_run = b.value().result;
      if (m.failed_run.reason == machine::StopReason::kExitPort && m.failed_run.exit_value == 0u) {
        m.failed_run.exit_value = 1;  // a failed workload is a failure even with status 0
      }
      return m;
    }
    boots[k] = std::move(b.value());
  }
  const vmm::GuestRecord& r = *boots[1].guest.result_of(workload);
  const std::string* cycles = r.get("cycles");
  const std::string* per = r.get("cycles_per_iter");
  const double n2 = static_cast<double>(2 * iters);
  m.cycles_per_op = cycles ? std::strtod(cycles->c_str(), nullptr) / n2 : 0;
  m.guest_cycles_per_iter = per ? *per : "";
  const double n = static_cast<double>(iters);
  m.modeled_cycles_per_op =
      (static_cast<double>(boots[1].result.cycles) - static_cast<double>(boots[0].result.cycles)) /
      n;
  m.instructions_per_op = (static_cast<double>(boots[1].result.instructions) -
                           static_cast<double>(boots[0].result.instructions)) /
                          n;
  for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) {
    m.events_per_op[i] = (static_cast<double>(boots[1].counters.count[i]) -
                          static_cast<double>(boots[0].counters.count[i])) /
                         n;
    m.event_cycles_per_op[i] = (static_cast<double>(boots[1].counters.cycles[i]) -
                                static_cast<double>(boots[0].counters.cycles[i])) /
                               n;
  }
  m.tlb_misses_per_op =
      (static_cast<double>(boots[1].tlb_misses) - static_cast<double>(boots[0].tlb_misses)) / n;
  m.walk_references_per_op = (static_cast<double>(boots[1].walk_references) -
                              static_cast<double>(boots[0].walk_references)) /
                             n;
  auto field = [&](const char* key) {
    const std::string* v = r.get(key);
    return v ? std::strtod(v->c_str(), nullptr) : 0.0;
  };
  m.bytes_per_op = field("bytes_per_iter");
  m.requests_per_op = field("requests_per_iter");
  m.create_cycles_per_op = field("create_cycles") / n2;
  m.delete_cycles_per_op = field("delete_cycles") / n2;
  m.blk_notifications_per_op = (static_cast<double>(boots[1].blk_notifications) -
                                static_cast<double>(boots[0].blk_notifications)) /
                               n;
  m.ok = true;
  return m;
}

}  // namespace vmlab::frontend
