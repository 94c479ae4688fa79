#include "cli/migrate_session.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/exit_codes.h"
#include "cli/snapshot_session.h"
#include "cli/version.h"
#include "engine/migration/precopy.h"
#include "engine/snapshot/snapshot_runner.h"
#include "engine/snapshot/state_load.h"

namespace vmlab::cli {
namespace {

constexpr int kConnectTimeoutMs = 30000;

struct Incoming {
  std::unique_ptr<migration::Connection> connection;
  std::unique_ptr<migration::Receiver> receiver;
};
Incoming& incoming() {
  static Incoming in;
  return in;
}

void say(const RunOptions& o, const std::string& text) {
  if (!o.quiet) std::cerr << "vmlab: " << text << "\n";
}

// The fingerprint without the disks' contents: a migration's disks are shared storage
// (the same image files, as the guest left them), not copies as at boot.
snapshot::Fingerprint without_disks(const snapshot::Fingerprint& f) {
  snapshot::Fingerprint out;
  for (const auto& kv : f) {
    if (!kv.first.starts_with("disk")) out.push_back(kv);
  }
  return out;
}

machine::RunResult stopped_result(vmm::Vm& vm) {
  if (vm.state() != vmm::VmState::kStopped) vm.resume();
  return *vm.last_stop();
}

machine::Result<machine::RunResult> run_source(vmm::Vm& vm, const RunOptions& o,
                                               const std::vector<std::string>& args,
                                               const std::string& input,
                                               const std::string& input_sha256,
                                               MigrationOutcome& outcome) {
  const MigrateOptions& m = o.migrate;
  if (!snapshot::can_load_state(vm)) {
    return machine::Error{"mode " + vm.mode_impl().describe() +
                              " cannot be migrated yet: its monitor's state cannot be loaded "
                              "into a new machine (docs/migration.md)",
                          ENOTSUP};
  }
  if (m.mode_tracking && !vm.mode_impl().write_tracker()) {
    return machine::Error{
        "mode " + vm.mode_impl().describe() +
            " has no write tracking of its own: --migrate-tracking mode is for the modes with a "
            "monitor (trap, bt, pv; docs/migration.md)",
        ENOTSUP};
  }
  auto id = run_identity(vm, o, input_sha256);
  if (!id) return id.error();
  const std::string where = m.host + ":" + std::to_string(m.port);
  if (!snapshot::run_to_cycles(vm, m.at_cycles)) {
    say(o,
        "the guest stopped before cycle " + std::to_string(m.at_cycles) + ": nothing was migrated");
    return *vm.last_stop();
  }
  auto c = migration::Connection::connect(m.host, m.port, kConnectTimeoutMs);
  if (!c) {
    say(o, "migration failed: " + c.error().message + "; the run goes on here");
    return stopped_result(vm);
  }
  migration::Hello h;
  h.vmlab_version = kVersion;
  h.fingerprint = id.value().fingerprint;
  h.arguments = machine_arguments(args);
  h.input.assign(input.begin(), input.end());
  h.memory_bytes = vm.machine().memory().size_bytes();
  migration::PrecopyOptions p;
  p.precopy = m.precopy;
  p.max_rounds = m.max_rounds;
  p.threshold_pages = m.threshold_pages;
  p.pages_per_mcycle = m.pages_per_mcycle;
  p.mode_tracking = m.mode_tracking;
  const auto s = migration::migrate_out(vm, *c.value(), h, p, snapshot::capture_state);
  outcome.stats_json = migration::stats_json(s, p, 2);
  if (!s.completed) {
    say(o, "migration failed: " + s.failure + "; the run goes on here");
    return stopped_result(vm);
  }
  outcome.migrated_away = true;
  machine::RunResult r;
  r.reason = machine::StopReason::kStopRequested;
  r.message = "migrated to " + where + " at cycle " + std::to_string(s.migrated_at_cycle) +
              " after " + std::to_string(s.rounds.size()) + " rounds; downtime " +
              std::to_string(s.downtime_cycles) + " cycles (" + std::to_string(s.total_pages) +
              " pages, " + std::to_string(s.total_bytes) + " bytes)";
  r.instructions = vm.machine().cpu().instructions_retired();
  r.cycles = vm.machine().cpu().cycles();
  return r;
}

machine::Error discarded(const migration::Receiver& rx, const std::string& why) {
  return machine::Error{why + "; the destination discarded what it received (" +
                            std::to_string(rx.pages_received()) + " pages in " +
                            std::to_string(rx.rounds().size()) + " rounds)",
                        ECONNABORTED};
}

machine::Result<machine::RunResult> run_destination(vmm::Vm& vm, const RunOptions& o,
                                                    const std::string& input_sha256,
                                                    std::atomic<bool>& console_muted,
                                                    MigrationOutcome& outcome) {
  Incoming& in = incoming();
  migration::Connection& c = *in.connection;
  migration::Receiver& rx = *in.receiver;
  auto refuse = [&](const std::string& why) {
    (void)c.send(migration::FrameType::kRefuse, migration::encode_refuse(why));
    return machine::Error{"migration refused: " + why, EPROTO};
  };
  const migration::Hello& h = rx.hello();
  if (h.vmlab_version != kVersion) {
    return refuse("the source is vmlab " + h.vmlab_version + ", this is vmlab " + kVersion);
  }
  auto id = run_identity(vm, o, input_sha256);
  if (!id) return refuse(id.error().message);
  if (const std::string diff = snapshot::fingerprint_mismatch(
          without_disks(h.fingerprint), without_disks(id.value().fingerprint));
      !diff.empty()) {
    return refuse("another configuration: " + diff);
  }
  if (!snapshot::can_load_state(vm)) {
    return refuse("mode " + vm.mode_impl().describe() + " cannot load a machine's state yet");
  }
  if (h.memory_bytes != vm.machine().memory().size_bytes()) {
    return refuse("machine memory of " + std::to_string(h.memory_bytes) + " bytes, here " +
                  std::to_string(vm.machine().memory().size_bytes()));
  }
  if (auto a = c.send(migration::FrameType::kAck, {}); !a) return discarded(rx, a.error().message);
  while (!rx.complete()) {
    auto f = c.receive();
    if (!f) return discarded(rx, f.error().message);
    if (auto t = rx.take(f.value()); !t) {
      (void)c.send(migration::FrameType::kRefuse, migration::encode_refuse(t.error().message));
      return discarded(rx, t.error().message);
    }
  }
  console_muted.store(true);
  auto loaded = snapshot::load_state(vm, rx.state(), rx.memory(), "the migrated machine");
  console_muted.store(false);
  if (!loaded) {
    (void)c.send(migration::FrameType::kRefuse, migration::encode_refuse(loaded.error().message));
    return discarded(rx, "the migrated state cannot be loaded: " + loaded.error().message);
  }
  if (auto a = c.send(migration::FrameType::kAck, {}); !a) return discarded(rx, a.error().message);
  auto commit = c.receive();
  if (!commit || commit.value().type != migration::FrameType::kCommit) {
    return discarded(rx, commit
                             ? std::string("the source sent ") +
                                   migration::frame_name(commit.value().type) + " instead of COMMIT"
                             : commit.error().message);
  }
  c.close();
  std::string rounds;
  for (const auto& r : rx.rounds()) {
    rounds += std::string(rounds.empty() ? "" : ", ") + "{\"round\": " + std::to_string(r.round) +
              ", \"pages\": " + std::to_string(r.pages) + "}";
  }
  outcome.stats_json =
      "{\n    \"role\": \"destination\",\n    \"rounds\": [" + rounds +
      "],\n    \"pages_received\": " + std::to_string(rx.pages_received()) +
      ",\n    \"bytes_received\": " + std::to_string(rx.bytes_received()) +
      ",\n    \"resumed_at_cycle\": " + std::to_string(loaded.value().cycles) +
      ",\n    \"resumed_at_instructions\": " + std::to_string(loaded.value().instructions) +
      "\n  }";
  say(o, "migration received: " + std::to_string(rx.pages_received()) + " pages in " +
             std::to_string(rx.rounds().size()) + " rounds, " +
             std::to_string(rx.bytes_received()) + " bytes; the guest resumes at cycle " +
             std::to_string(loaded.value().cycles));
  return stopped_result(vm);
}

}  // namespace

void hand_over_incoming(std::unique_ptr<migration::Connection> connection,
                        std::unique_ptr<migration::Receiver> receiver) {
  incoming().connection = std::move(connection);
  incoming().receiver = std::move(receiver);
}

bool incoming_migration() {
  return incoming().connection != nullptr;
}

machine::Result<machine::RunResult> run_with_migration(vmm::Vm& vm, const RunOptions& o,
                                                       const std::vector<std::string>& args,
                                                       const std::string& input,
                                                       const std::string& input_sha256,
                                                       std::atomic<bool>& console_muted,
                                                       MigrationOutcome& outcome) {
  outcome.active = true;
  const auto started = std::chrono::steady_clock::now();
  auto r = incoming_migration() ? run_destination(vm, o, input_sha256, console_muted, outcome)
                                : run_source(vm, o, args, input, input_sha256, outcome);
  if (r) {
    r.value().wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  if (!outcome.stats_json.empty() && outcome.stats_json.find("\"role\"") == std::string::npos) {
    outcome.stats_json = "{\n    \"role\": \"source\",\n" + outcome.stats_json.substr(2);
  }
  return r;
}

int migrate_exit_code(const machine::Error& e) {
  if (e.code == ENOTSUP) return kNotImplemented;
  return kMigrationFailed;
}

machine::Result<void> add_migration_stats(const std::string& out_dir, const std::string& json) {
  const std::string path = out_dir + "/stats.json";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto end = s.rfind('}');
  if (!in || end == std::string::npos) {
    return machine::Error{"cannot read " + path + " to add the migration's figures", EIO};
  }
  s = s.substr(0, end);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  s += ",\n  \"migration\": " + json + "\n}\n";
  std::ofstream out(path, std::ios::trunc);
  out << s;
  if (!out) return machine::Error{"cannot write " + path, EIO};
  return {};
}

}  // namespace vmlab::cli
