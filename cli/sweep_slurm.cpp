#include "cli/sweep_slurm.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/exit_status.h"

namespace vmlab::cli {

namespace {

namespace fs = std::filesystem;

// A word for bash, in single quotes.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The program's full path when it is on PATH, else empty.
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

// Runs argv, returns its exit status (-1: it could not run) and its stdout in `output`.
int run_capture(const std::vector<std::string>& argv, std::string& output) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

std::string header(const SlurmPlan& plan, const std::string& name) {
  std::string s = "#!/bin/bash\n";
  s += "#SBATCH --job-name=" + name + "\n";
  if (!plan.partition.empty()) s += "#SBATCH --partition=" + plan.partition + "\n";
  if (!plan.account.empty()) s += "#SBATCH --account=" + plan.account + "\n";
  if (!plan.time.empty()) s += "#SBATCH --time=" + plan.time + "\n";
  if (!plan.mem.empty()) s += "#SBATCH --mem=" + plan.mem + "\n";
  return s;
}

// The job id in `sbatch --parsable`'s answer ("ID" or "ID;CLUSTER").
std::string job_id(const std::string& answer) {
  std::string id;
  for (char c : answer) {
    if (c < '0' || c > '9') break;
    id += c;
  }
  return id;
}

}  // namespace

int slurm_submit(const SlurmPlan& plan) {
  const fs::path dir = plan.out / "slurm";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(kNoInput, "cannot create the folder " + dir.string());
  const size_t tasks = (plan.cells + plan.chunk - 1) / plan.chunk;
  const std::string vmlab = quoted(plan.vmlab.string());
  const std::string out = quoted(plan.out.string());
  const std::string kernel = quoted(plan.kernel);

  std::string array = header(plan, "vmlab-sweep");
  array += "#SBATCH --array=0-" + std::to_string(tasks - 1) + "\n";
  array += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=" + std::to_string(plan.jobs) + "\n";
  array += "#SBATCH --output=" + (dir / "task-%A_%a.out").string() + "\n";
  array += "# Written by `vmlab sweep --slurm`: " + std::to_string(plan.cells) + " cells, " +
           std::to_string(plan.chunk) +
           " per array task. Each task measures its cells into\n"
           "# their folders under the sweep's folder; collect.sbatch combines them.\n";
  array += "set -eu\n";
  array += "first=$((SLURM_ARRAY_TASK_ID * " + std::to_string(plan.chunk) + "))\n";
  array += "last=$((first + " + std::to_string(plan.chunk - 1) + "))\n";
  array += "if [ \"$last\" -ge " + std::to_string(plan.cells) +
           " ]; then last=" + std::to_string(plan.cells - 1) + "; fi\n";
  array += "exec " + vmlab + " sweep --cells \"$first-$last\" -j " + std::to_string(plan.jobs) +
           " -q --kernel " + kernel + " --out " + out + " " +
           quoted((plan.out / "grid.json").string()) + "\n";

  std::string collect = header(plan, "vmlab-sweep-collect");
  collect += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
  collect += "#SBATCH --output=" + (dir / "collect-%j.out").string() + "\n";
  collect +=
      "# Written by `vmlab sweep --slurm`: combines the cells into results.csv and\n"
      "# results.json, submitted with --dependency=afterok on the array job.\n";
  collect += "exec " + vmlab + " sweep --collect --out " + out + "\n";

  const fs::path array_file = dir / "sweep.sbatch";
  const fs::path collect_file = dir / "collect.sbatch";
  if (!write_text(array_file, array) || !write_text(collect_file, collect)) {
    return fail(kNoInput, "cannot write the scripts under " + dir.string());
  }
  if (plan.dry_run) {
    std::cout << "vmlab sweep: wrote " << array_file.string() << " (" << tasks
              << " array tasks) and " << collect_file.string() << "; nothing submitted\n";
    return 0;
  }
  if (on_path("sbatch").empty()) {
    return fail(kUnavailable,
                "sbatch is not on PATH: --slurm submits to a Slurm cluster from a machine with "
                "its client commands (Debian: slurm-client; scripts/slurm-localhost.sh starts "
                "a one-node cluster here). The scripts are written in " +
                    dir.string() + "; --dry-run writes them without submitting");
  }
  std::string answer;
  int st = run_capture({"sbatch", "--parsable", array_file.string()}, answer);
  const std::string array_id = job_id(answer);
  if (st != 0 || array_id.empty()) {
    return fail(kUnavailable, "sbatch refused " + array_file.string() + " (status " +
                                  std::to_string(st) + "); its message is above");
  }
  answer.clear();
  st = run_capture(
      {"sbatch", "--parsable", "--dependency=afterok:" + array_id, collect_file.string()}, answer);
  const std::string collect_id = job_id(answer);
  if (st != 0 || collect_id.empty()) {
    return fail(kUnavailable, "sbatch refused " + collect_file.string() + " (status " +
                                  std::to_string(st) + "); the array job " + array_id +
                                  " runs; collect with vmlab sweep --collect --out " +
                                  plan.out.string());
  }
  write_text(dir / "jobs.txt", "array " + array_id + "\ncollect " + collect_id + "\n");
  std::cout << "vmlab sweep: array job " << array_id << " (" << tasks << " tasks, " << plan.chunk
            << " cells each), collect job " << collect_id << " after it; results in "
            << (plan.out / "results.csv").string() << "\n";
  return 0;
}

}  // namespace vmlab::cli
