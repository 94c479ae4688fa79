#include "cli/cmd_snapshot.h"

#include <cstdio>
#include <iostream>

#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/snapshot_session.h"
#include "engine/snapshot/snapshot_chain.h"
#include "engine/snapshot/vm_capture.h"

namespace vmlab::cli {
namespace {

constexpr const char* kSnapshotDescription =
    R"(Snapshot files are written by vmlab run --snapshot-at, --snapshot-at-insn,
--snapshot-on-exit and --snapshot-every, and read by vmlab run --restore (docs/snapshots.md).

  info FILE         the file's header (format and vmlab version, fingerprint), where the
                    run was (instructions, modeled cycles, guest EIP), its sections, and for
                    an incremental snapshot its chain of parents
  flatten FILE OUT  write the state FILE holds (with its parents, if incremental) as one
                    full snapshot OUT)";

constexpr const char* kSnapshotExitStatus =
    R"(exit status: 0 done, 64 bad command line, 66 a file could not be read or written,
86-88 FILE refused (another format version, a parent that does not match, corrupt))";

std::string tag_name(uint32_t t) {
  return {char(t), char(t >> 8), char(t >> 16), char(t >> 24)};
}

}  // namespace

int cmd_snapshot(const std::vector<std::string>& options) {
  std::vector<std::string> args;  // info FILE, flatten FILE OUT
  CommandLine cl("snapshot", "vmlab snapshot info FILE\n       vmlab snapshot flatten FILE OUT",
                 kSnapshotDescription, kSnapshotExitStatus);
  cl.positionals(args);
  if (const auto status = cl.parse_or_status(options)) return *status;
  if (args.empty()) return fail(kUsage, "vmlab snapshot needs info or flatten (see --help)");
  const std::string& what = args[0];
  if (what == "info" && args.size() == 2) {
    auto loaded = snapshot::load_chain(args[1]);
    if (!loaded) return fail(snapshot_exit_code(loaded.error()), loaded.error().message);
    const auto& f = loaded.value().file;
    auto pos = snapshot::position_of(f, args[1]);
    if (!pos) return fail(snapshot_exit_code(pos.error()), pos.error().message);
    std::printf("file: %s\nformat: %u\nvmlab: %s\n", args[1].c_str(), f.format_version,
                f.vmlab_version.c_str());
    std::printf("kind: %s\n", f.is_diff ? "incremental" : "full");
    if (f.is_diff) std::printf("parent: %s\n", f.parent.c_str());
    if (const auto d = snapshot::diff_info(f)) {
      std::printf("tracking: %s\npages_logged: %llu\ntracking_faults: %llu\n", d->tracking.c_str(),
                  static_cast<unsigned long long>(d->pages_logged),
                  static_cast<unsigned long long>(d->tracking_faults));
    }
    std::printf("chain: %zu file(s)\n", loaded.value().chain_length);
    std::printf("instructions: %llu\ncycles: %llu\nguest_eip: 0x%08X\n",
                static_cast<unsigned long long>(pos.value().instructions),
                static_cast<unsigned long long>(pos.value().cycles), pos.value().guest_eip);
    for (const auto& [key, value] : f.fingerprint) {
      std::printf("fingerprint.%s: %s\n", key.c_str(), value.c_str());
    }
    for (const auto& s : f.sections) {
      std::printf("section %s: %zu bytes", tag_name(s.tag).c_str(), s.bytes.size());
      if (s.tag == snapshot::kMemory) {
        std::printf(", %llu pages", static_cast<unsigned long long>(snapshot::memory_pages(s)));
      }
      std::printf("\n");
    }
    return 0;
  }
  if (what == "flatten" && args.size() == 3) {
    auto loaded = snapshot::load_chain(args[1]);
    if (!loaded) return fail(snapshot_exit_code(loaded.error()), loaded.error().message);
    const auto bytes = snapshot::encode(snapshot::flatten(loaded.value()));
    if (auto w = snapshot::write_file(args[2], bytes); !w) {
      return fail(kNoInput, w.error().message);
    }
    return 0;
  }
  return fail(kUsage, "usage: vmlab snapshot info FILE | flatten FILE OUT (see --help)");
}

}  // namespace vmlab::cli
