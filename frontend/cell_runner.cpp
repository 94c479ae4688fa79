#include "frontend/cell_runner.h"

#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <type_traits>

#include "frontend/workloads.h"

namespace vmlab::frontend {

namespace {

class Writer {
 public:
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    out_ += s;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  template <typename T>
  bool pod(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_.size() - pos_ < sizeof v) return false;
    std::memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!pod(n) || in_.size() - pos_ < n) return false;
    s.assign(in_, pos_, n);
    pos_ += n;
    return true;
  }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  const std::string& in_;
  size_t pos_ = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double rusage_seconds(const rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// A key field without the file's separators.
std::string field(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

// The cache keeps at most this many cells (a sweep's grid can be large; the file must not
// grow without bound).
constexpr size_t kMaxRemembered = 20000;

}  // namespace

std::string default_cell_times_file() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/vmlab/cell-times.tsv";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') return std::string(home) + "/.cache/vmlab/cell-times.tsv";
  return {};
}

std::string CellTimes::key(const Cell& cell, const CellRunnerConfig& config) {
  std::string k = cell.variant ? std::string(cell.variant->name) : std::string("?");
  k.append(" ").append(cell.workload);
  k.append(" iters=").append(std::to_string(cell.iters));
  k.append(" profile=").append(cell.profile);
  k.append(" memory=").append(std::to_string(config.memory_mib));
  k.append(" mhz=").append(std::to_string(config.cpu_mhz));
  k.append(" image=").append(std::filesystem::path(config.kernel).filename().string());
  if (!cell.guest_args.empty()) k.append(" args=").append(cell.guest_args);
  return field(std::move(k));
}

void CellTimes::load(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) continue;
    char* end = nullptr;
    const double v = std::strtod(line.c_str(), &end);
    if (end != line.c_str() + tab || !(v >= 0) || v > 1e6) continue;
    seconds_[line.substr(tab + 1)] = v;
  }
}

bool CellTimes::save(const std::string& path) const {
  if (path.empty()) return false;
  CellTimes merged;
  merged.load(path);  // what other runs wrote meanwhile
  for (const auto& [k, v] : seconds_) merged.seconds_[k] = v;
  // Over the bound, the entries of this run stay and the file's others go first.
  for (auto it = merged.seconds_.begin();
       merged.seconds_.size() > kMaxRemembered && it != merged.seconds_.end();) {
    it = seconds_.count(it->first) ? std::next(it) : merged.seconds_.erase(it);
  }
  std::ostringstream text;
  for (const auto& [k, v] : merged.seconds_) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f\t", v);
    text << buf << k << "\n";
  }
  std::error_code ec;
  const std::filesystem::path file(path);
  std::filesystem::create_directories(file.parent_path(), ec);
  const std::filesystem::path tmp =
      file.parent_path() / (file.filename().string() + "." + std::to_string(::getpid()) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text.str();
    if (!out.flush()) {
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

const double* CellTimes::find(const std::string& key) const {
  const auto it = seconds_.find(key);
  return it == seconds_.end() ? nullptr : &it->second;
}

double estimated_seconds(const Cell& cell, const CellRunnerConfig& config, const CellTimes& times) {
  if (const double* known = times.find(CellTimes::key(cell, config))) return *known;
  const Workload* w = find_workload(cell.workload);
  return w != nullptr && w->needs_disk ? 0.5 : 0.05;
}

std::vector<size_t> longest_first(const std::vector<Cell>& cells, const CellRunnerConfig& config,
                                  const CellTimes& times) {
  std::vector<double> cost(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) cost[i] = estimated_seconds(cells[i], config, times);
  std::vector<size_t> order(cells.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return cost[a] > cost[b]; });
  return order;
}

std::string serialize(const Measurement& m) {
  Writer w;
  w.pod(m.mode);
  w.str(m.label);
  w.str(m.workload);
  w.pod(m.iters);
  w.pod(m.ok);
  w.str(m.error);
  w.pod(m.failed_run.reason);
  w.pod(m.failed_run.exit_value.has_value());
  w.pod(m.failed_run.exit_value.value_or(0));
  w.str(m.failed_run.message);
  w.pod(m.failed_run.instructions);
  w.pod(m.failed_run.budget_units);
  w.pod(m.failed_run.cycles);
  w.pod(m.cycles_per_op);
  w.str(m.guest_cycles_per_iter);
  w.pod(m.modeled_cycles_per_op);
  w.pod(m.instructions_per_op);
  w.pod(m.events_per_op);
  w.pod(m.event_cycles_per_op);
  w.pod(m.tlb_misses_per_op);
  w.pod(m.walk_references_per_op);
  w.pod(m.skipped);
  w.pod(m.bytes_per_op);
  w.pod(m.requests_per_op);
  w.pod(m.create_cycles_per_op);
  w.pod(m.delete_cycles_per_op);
  w.pod(m.blk_notifications_per_op);
  return w.take();
}

bool deserialize(const std::string& bytes, Measurement& m) {
  Reader r(bytes);
  bool has_exit = false;
  uint32_t exit_value = 0;
  const bool ok =
      r.pod(m.mode) && r.str(m.label) && r.str(m.workload) && r.pod(m.iters) && r.pod(m.ok) &&
      r.str(m.error) && r.pod(m.failed_run.reason) && r.pod(has_exit) && r.pod(exit_value) &&
      r.str(m.failed_run.message) && r.pod(m.failed_run.instructions) &&
      r.pod(m.failed_run.budget_units) && r.pod(m.failed_run.cycles) && r.pod(m.cycles_per_op) &&
      r.str(m.guest_cycles_per_iter) && r.pod(m.modeled_cycles_per_op) &&
      r.pod(m.instructions_per_op) && r.pod(m.events_per_op) && r.pod(m.event_cycles_per_op) &&
      r.pod(m.tlb_misses_per_op) && r.pod(m.walk_references_per_op) && r.pod(m.skipped) &&
      r.pod(m.bytes_per_op) && r.pod(m.requests_per_op) && r.pod(m.create_cycles_per_op) &&
      r.pod(m.delete_cycles_per_op) && r.pod(m.blk_notifications_per_op) && r.at_end();
  if (ok && has_exit) m.failed_run.exit_value = exit_value;
  return ok;
}

std::string progress_line(size_t done, size_t total, double seconds) {
  char buf[128];
  if (done == 0 || done >= total) {
    std::snprintf(buf, sizeof buf, "[%zu/%zu] %.1f s", done, total, seconds);
  } else {
    const double eta = seconds / static_cast<double>(done) * static_cast<double>(total - done);
    std::snprintf(buf, sizeof buf, "[%zu/%zu] %.1f s, ETA %.0f s", done, total, seconds, eta);
  }
  return buf;
}

void CellRunner::add_profile(const std::string& key, vmm::CostProfile profile) {
  for (auto& [k, p] : profiles_) {
    if (k == key) {
      p = std::move(profile);
      return;
    }
  }
  profiles_.emplace_back(key, std::move(profile));
}

unsigned CellRunner::default_jobs() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

Measurement CellRunner::measure(const Cell& cell) const {
  const vmm::CostProfile* profile = nullptr;
  for (const auto& [k, p] : profiles_) {
    if (k == cell.profile) profile = &p;
  }
  if (profile == nullptr || cell.variant == nullptr) {
    Measurement m;
    m.workload = cell.workload;
    m.iters = cell.iters;
    m.error = "internal: a cell names no known profile or variant";
    return m;
  }
  const CompareRunner runner(config_.kernel, *profile, config_.memory_mib, config_.cpu_mhz,
                             cell.guest_args, disk_image_);
  unsigned step = 0;
  return runner.measure(cell.variant->mode, cell.variant->options, cell.variant->name,
                        cell.workload, cell.iters, {}, step, 2);
}

std::vector<Measurement> CellRunner::run(const std::vector<Cell>& cells,
                                         const CellProgress& progress,
                                         const CellResult& on_result) const {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Measurement> results(cells.size());
  const unsigned jobs = config_.jobs ? config_.jobs : default_jobs();
  CellTimes times;
  if (!config_.times_file.empty()) times.load(config_.times_file);
  CellTimes measured;  // this run's times, merged into the file at the end
  // Measures cell i in this process.
  auto measure_here = [&](size_t i) {
    const double cpu0 = thread_cpu_seconds();
    results[i] = measure(cells[i]);
    measured.set(CellTimes::key(cells[i], config_), thread_cpu_seconds() - cpu0);
  };
  auto remember = [&] {
    if (!config_.times_file.empty() && measured.size() != 0) measured.save(config_.times_file);
  };
  if (jobs <= 1 || cells.size() <= 1) {
    for (size_t i = 0; i < cells.size(); ++i) {
      measure_here(i);
      if (on_result) on_result(i, results[i]);
      if (progress) progress(i + 1, cells.size(), seconds_since(t0));
    }
    remember();
    return results;
  }
  // Longest first: with the long cells started early, the workers finish together.
  const std::vector<size_t> order = longest_first(cells, config_, times);

  struct Worker {
    pid_t pid;
    int fd;
    size_t cell;
    std::string bytes;
  };
  std::vector<Worker> running;
  size_t next = 0, done = 0;
  std::fflush(nullptr);  // nothing buffered is written twice by a child
  auto fail_cell = [&](size_t i, const std::string& why) {
    results[i].label = cells[i].variant ? cells[i].variant->name : "";
    results[i].workload = cells[i].workload;
    results[i].iters = cells[i].iters;
    results[i].ok = false;
    results[i].error = why;
  };
  while (next < cells.size() || !running.empty()) {
    while (next < cells.size() && running.size() < jobs) {
      const size_t cell = order[next];
      int fds[2];
      if (::pipe(fds) != 0) {
        fail_cell(cell, std::string("cannot make a pipe: ") + std::strerror(errno));
        ++next;
        ++done;
        continue;
      }
      const pid_t pid = ::fork();
      if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        // No process to spare: measure it here instead.
        measure_here(cell);
        if (on_result) on_result(cell, results[cell]);
        ++next;
        ++done;
        if (progress) progress(done, cells.size(), seconds_since(t0));
        continue;
      }
      if (pid == 0) {
        ::close(fds[0]);
        for (const Worker& w : running) ::close(w.fd);
        const bool sent = write_all(fds[1], serialize(measure(cells[cell])));
        ::_exit(sent ? 0 : 1);
      }
      ::close(fds[1]);
      running.push_back({pid, fds[0], cell, {}});
      ++next;
    }
    std::vector<pollfd> polls;
    for (const Worker& w : running) polls.push_back({w.fd, POLLIN, 0});
    if (::poll(polls.data(), polls.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t k = running.size(); k-- > 0;) {
      if (polls[k].revents == 0) continue;
      Worker& w = running[k];
      char buf[65536];
      const ssize_t n = ::read(w.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        w.bytes.append(buf, static_cast<size_t>(n));
        continue;
      }
      // End of file: the worker is done.
      ::close(w.fd);
      int status = 0;
      rusage usage{};
      while (::wait4(w.pid, &status, 0, &usage) < 0 && errno == EINTR) {
      }
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
          !deserialize(w.bytes, results[w.cell])) {
        fail_cell(w.cell, WIFSIGNALED(status) ? "the worker process ended by signal " +
                                                    std::to_string(WTERMSIG(status))
                                              : std::string("the worker process sent no result"));
      } else {
        measured.set(CellTimes::key(cells[w.cell], config_), rusage_seconds(usage));
      }
      if (on_result) on_result(w.cell, results[w.cell]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
      ++done;
      if (progress) progress(done, cells.size(), seconds_since(t0));
    }
  }
  remember();
  return results;
}

}  // namespace vmlab::frontend
