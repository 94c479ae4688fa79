#include "cli/snapshot_options.h"

#include "cli/command_line.h"
#include "cli/options.h"

namespace vmlab::cli {
namespace {

const CountOption kSnapshotCyclesOption{"--snapshot-at",         0,    UINT64_MAX,
                                        "a modeled cycle count", "5M", ""};
const CountOption kSnapshotInsnOption{"--snapshot-at-insn",   0,    UINT64_MAX,
                                      "an instruction count", "2M", ""};
const CountOption kSnapshotEveryOption{"--snapshot-every",      1,    UINT64_MAX,
                                       "a modeled cycle count", "1M", ""};

}  // namespace

void declare_snapshot_options(CommandLine& cl, SnapshotOptions& o) {
  // CYCLES FILE, N FILE, CYCLES DIR: the count through its CountOption, then the path.
  const auto point = [&o](const CountOption& option, const char* what, bool every) {
    return [&o, &option, what, every](const std::vector<std::string>& v) {
      std::string error;
      const auto n = parse_count_option(option, v[0], error);
      if (!n) return error;
      if (v[1].empty()) return std::string(option.name) + " needs " + what + " after its count";
      if (!every) {
        o.points.push_back({&option == &kSnapshotInsnOption, *n, v[1]});
      } else if (o.every_cycles != 0) {
        return std::string("--snapshot-every may be given once");
      } else {
        o.every_cycles = *n;
        o.every_dir = v[1];
      }
      return std::string();
    };
  };
  cl.tuple("--snapshot-at", 2, "CYCLES FILE", "save the machine once CYCLES modeled cycles passed",
           point(kSnapshotCyclesOption, "a file", false));
  cl.tuple("--snapshot-at-insn", 2, "N FILE", "save it after N instructions (both repeatable)",
           point(kSnapshotInsnOption, "a file", false));
  cl.path("--snapshot-on-exit", o.on_exit, "FILE", "a file", "save it when the machine stops");
  cl.tuple("--snapshot-every", 2, "CYCLES DIR",
           "a base snapshot, then incremental ones (changed pages\nonly), each CYCLES modeled "
           "cycles: DIR/snap-NNNN.vmsnap",
           point(kSnapshotEveryOption, "a directory", true));
  cl.each("--snapshot-tracking", "engine|mode",
          "how --snapshot-every finds the pages written since the\nlast snapshot: the engine's "
          "dirty log (default), or the\nmode's own write tracking (trap, bt; its faults slow "
          "the\nguest as a monitor's do)",
          [&o](const std::string& v) {
            o.tracking_given = true;
            if (v != "engine" && v != "mode")
              return "--snapshot-tracking takes engine or mode, not '" + v + "'";
            o.mode_tracking = v == "mode";
            return std::string();
          });
  cl.path("--restore", o.restore, "FILE", "a file",
          "start from a snapshot (full or incremental) taken with the\nsame kernel, options, "
          "disks and input; the run goes on from\nthere with the same output, counts and cycles; "
          "the state\nis loaded into the machine, or, in a mode that cannot load\nits monitor's "
          "state, rebuilt by re-executing the guest");
  cl.flag("--restore-reexecute", o.reexecute,
          "restore by re-executing the guest from boot and checking\nevery byte of the file, "
          "even where it could be loaded");
}

}  // namespace vmlab::cli
