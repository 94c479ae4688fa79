#include "cli/cmd_migrate.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/cmd_run.h"
#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/migrate_session.h"
#include "cli/options.h"
#include "engine/machine/physical_memory.h"
#include "engine/migration/connection.h"
#include "engine/migration/receiver.h"

namespace vmlab::cli {
namespace {

constexpr const char* kListenDescription =
    R"(Waits on 127.0.0.1:PORT for one live migration from `vmlab run ... --migrate-to
HOST:PORT` (docs/migration.md). The source sends its configuration (its `vmlab run`
arguments, the guest's input and a fingerprint of the kernel, mode, profile and memory);
this process builds the same machine from it, receives the pages round by round and the
state, loads them, and runs the guest on to its end as `vmlab run` would: the guest's
console on stdout, the summary on stderr, the guest's exit status as its own. PORT 0
picks a free port; the port is printed as "migrate: listening on 127.0.0.1:N".

A connection that drops, or a transfer that is malformed, refused or incomplete, leaves
nothing running: what was received is discarded, and the exit status is 90.
)";

// The received input as a file the run reads as --input (removed when it returns).
struct InputFile {
  std::string path;
  ~InputFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

int cmd_migrate_listen(const std::vector<std::string>& args) {
  std::optional<uint64_t> port;
  std::string out_dir, console;
  int wait_ms = -1;
  bool quiet = false;
  std::vector<std::string> ports;
  CommandLine cl("migrate-listen", "vmlab migrate-listen PORT [options]", kListenDescription);
  cl.path("--out", out_dir, "DIR", "a directory",
          "config.json and stats.json (with the migration's figures) in DIR");
  cl.path("--console", console, "FILE", "a file", "the guest console to FILE instead of stdout");
  static const CountOption kTimeoutOption{"--timeout", 1, 86400, "a number of seconds", "60", ""};
  cl.count("--timeout", kTimeoutOption, "SECONDS",
           "give up (90) when no source connects within SECONDS (default: wait)",
           [&wait_ms](uint64_t n) { wait_ms = static_cast<int>(n * 1000); });
  cl.flag("-q,--quiet", quiet, "no summary line on stderr");
  cl.positionals(ports);
  if (const auto status = cl.parse_or_status(args)) return *status;
  if (ports.size() > 1) {
    return fail(kUsage, "unexpected argument '" + ports[1] + "' (see vmlab migrate-listen --help)");
  }
  if (!ports.empty()) {
    port = parse_count(ports[0]);
    if (!port || *port > 65535) return fail(kUsage, "PORT is 0 to 65535, not '" + ports[0] + "'");
  }
  if (!port) return fail(kUsage, "no PORT given (usage: vmlab migrate-listen PORT)");
  auto listener = migration::Listener::listen(static_cast<uint16_t>(*port));
  if (!listener) return fail(kMigrationFailed, listener.error().message);
  std::cerr << "migrate: listening on 127.0.0.1:" << listener.value()->port() << std::endl;
  auto c = listener.value()->accept(wait_ms, 300000);
  if (!c) return fail(kMigrationFailed, c.error().message);
  // The largest machine a HELLO may name: the largest guest and monitor reserve.
  auto rx = std::make_unique<migration::Receiver>(
      uint64_t{machine::PhysicalMemory::kMaxMib + machine::PhysicalMemory::kMaxMonitorMib} << 20);
  auto hello = c.value()->receive();
  if (!hello) return fail(kMigrationFailed, "no HELLO from the source: " + hello.error().message);
  if (auto t = rx->take(hello.value()); !t) {
    (void)c.value()->send(migration::FrameType::kRefuse,
                          migration::encode_refuse(t.error().message));
    return fail(kMigrationFailed, t.error().message);
  }
  InputFile input;
  char path[] = "/tmp/vmlab-migrate-input-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return fail(kNoInput, "cannot create a file for the migrated console input");
  input.path = path;
  const auto& bytes = rx->hello().input;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return fail(kNoInput, "cannot write the migrated console input to " + input.path);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  std::vector<std::string> run_args = {"--input", input.path};
  if (!out_dir.empty()) run_args.insert(run_args.end(), {"--out", out_dir});
  if (!console.empty()) run_args.insert(run_args.end(), {"--console", console});
  if (quiet) run_args.push_back("-q");
  for (const std::string& a : rx->hello().arguments) {
    // What belongs to this process (its files, its debugger) is not the source's to say.
    const std::string name = a.substr(0, a.find('='));
    if (name.starts_with("--migrate-") || name.starts_with("--snapshot") ||
        name.starts_with("--trace") || name.starts_with("--gdb") || name == "--restore" ||
        name == "--out" || name == "--console" || name == "--input" || name == "-s" ||
        name == "-S") {
      const std::string why = "the source's arguments name " + a + ", which it must not send";
      (void)c.value()->send(migration::FrameType::kRefuse, migration::encode_refuse(why));
      return fail(kMigrationFailed, why);
    }
    run_args.push_back(a);
  }
  hand_over_incoming(std::move(c.value()), std::move(rx));
  return cmd_run(run_args);
}

}  // namespace vmlab::cli
