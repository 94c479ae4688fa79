#include "engine/migration/precopy.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "engine/cpu/dirty_log.h"
#include "engine/snapshot/snapshot_runner.h"
#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/p2m.h"

namespace vmlab::migration {
namespace {

bool page_equal(std::span<const uint8_t> a, std::span<const uint8_t> b, uint32_t page) {
  const size_t at = size_t{page} * kPageBytes;
  return std::memcmp(a.data() + at, b.data() + at, kPageBytes) == 0;
}

bool page_zero(std::span<const uint8_t> m, uint32_t page) {
  const uint8_t* p = m.data() + size_t{page} * kPageBytes;
  for (uint32_t i = 0; i < kPageBytes; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

class Source {
 public:
  Source(vmm::Vm& vm, Connection& c, const PrecopyOptions& o)
      : vm_(vm), c_(c), o_(o), memory_(vm.machine().memory().span()) {
    sent_.assign(memory_.size(), 0);
  }

  // Sends `pages` of memory as round `round`, remembering what the destination holds.
  machine::Result<void> send_pages(uint32_t round, const std::vector<uint32_t>& pages) {
    for (size_t at = 0; at < pages.size(); at += kMaxPagesPerFrame) {
      const size_t n = std::min<size_t>(kMaxPagesPerFrame, pages.size() - at);
      std::span<const uint32_t> part(pages.data() + at, n);
      if (auto r = c_.send(FrameType::kPages, encode_pages(round, part, memory_)); !r) return r;
      for (uint32_t p : part) {
        std::memcpy(sent_.data() + size_t{p} * kPageBytes, memory_.data() + size_t{p} * kPageBytes,
                    kPageBytes);
      }
    }
    return {};
  }

  std::vector<uint32_t> dirty_pages() const {
    std::vector<uint32_t> out;
    const auto log = vm_.machine().cpu().dirty_log();
    const size_t frames = std::min<size_t>(log.size(), memory_.size() / kPageBytes);
    for (size_t p = 0; p < frames; ++p) {
      if (log[p]) out.push_back(static_cast<uint32_t>(p));
    }
    return out;
  }

  // The round's dirty set by the mode's tracking: the guest frames it logged, plus the
  // writes the monitor and the devices made themselves, which they mark as they write
  // (the engine log's physical writes; Xen's monitor and back ends mark theirs alike), and
  // the monitor's own frames (its reserve, below the guest's). `missed` counts the guest
  // frames an instruction stored to (the engine log) that the tracking did not log.
  std::vector<uint32_t> tracked_pages(vmm::WriteTracker& t, uint64_t& missed) const {
    std::vector<uint8_t> set(frames(), 0);
    t.take_dirty(set);
    const auto log = vm_.machine().cpu().dirty_log();
    const vmm::P2m* p2m = vm_.mode_impl().guest_p2m();
    const uint64_t first_guest = p2m ? p2m->reserved_frames() : 0;
    const size_t n = std::min<size_t>(log.size(), set.size());
    std::vector<uint32_t> out;
    missed = 0;
    for (size_t p = 0; p < n; ++p) {
      if (log[p] & cpu::kDirtyByPhysical) set[p] = 1;
      if (p < first_guest && log[p]) set[p] = 1;
      if ((log[p] & cpu::kDirtyByStore) && !set[p]) ++missed;
    }
    for (size_t p = 0; p < set.size(); ++p) {
      if (set[p]) out.push_back(static_cast<uint32_t>(p));
    }
    return out;
  }

  uint32_t frames() const { return static_cast<uint32_t>(memory_.size() / kPageBytes); }
  std::span<const uint8_t> memory() const { return memory_; }
  std::span<const uint8_t> sent() const { return sent_; }

 private:
  vmm::Vm& vm_;
  Connection& c_;
  const PrecopyOptions& o_;
  std::span<uint8_t> memory_;
  std::vector<uint8_t> sent_;  // what the destination holds
};

machine::Result<void> expect_ack(Connection& c, const char* after) {
  auto f = c.receive();
  if (!f) return f.error();
  if (f.value().type == FrameType::kRefuse) {
    auto m = decode_refuse(f.value().payload);
    return machine::Error{"the destination refused the migration: " +
                              (m ? m.value() : std::string("(unreadable reason)")),
                          EPROTO};
  }
  if (f.value().type != FrameType::kAck) {
    return machine::Error{
        std::string("the destination answered ") + after + " with " + frame_name(f.value().type),
        EPROTO};
  }
  return {};
}

}  // namespace

uint64_t transfer_cycles(uint64_t pages, uint64_t pages_per_mcycle) {
  if (pages == 0) return 0;
  return (pages * 1000000 + pages_per_mcycle - 1) / pages_per_mcycle;
}

MigrationStats migrate_out(vmm::Vm& vm, Connection& c, const Hello& hello, const PrecopyOptions& o,
                           const CaptureState& capture) {
  MigrationStats s;
  cpu::Cpu& cpu = vm.machine().cpu();
  s.started_at_cycle = cpu.cycles();
  auto fail = [&](const machine::Error& e) {
    s.failure = e.message;
    s.total_bytes = c.bytes_sent();
    return s;
  };
  if (auto r = c.send(FrameType::kHello, encode_hello(hello)); !r) return fail(r.error());
  if (auto r = expect_ack(c, "HELLO"); !r) return fail(r.error());
  vmm::WriteTracker* tracker = nullptr;
  s.tracking = "engine dirty log";
  if (o.mode_tracking && o.precopy) {
    tracker = vm.mode_impl().write_tracker();
    if (!tracker) {
      return fail(machine::Error{"mode " + std::string(vmm::mode_name(vm.mode())) + " (" +
                                     vm.mode_impl().describe() +
                                     ") has no write tracking of its own",
                                 ENOTSUP});
    }
    s.tracking = tracker->mechanism();
  }
  // Tracking stops however the rounds end: a migration that fails leaves the source to run
  // on, as the destination would, with no frame protected anew.
  struct StopTracking {
    vmm::WriteTracker* t;
    ~StopTracking() {
      if (t) t->stop_tracking();
    }
  } stop_tracking{nullptr};
  Source src(vm, c, o);
  std::vector<uint32_t> pending;  // what the next round (or stop-and-copy) sends
  for (uint32_t p = 0; p < src.frames(); ++p) {
    if (!page_zero(src.memory(), p)) pending.push_back(p);
  }
  s.stop_reason = "precopy off";
  if (o.precopy) {
    for (uint32_t round = 0;; ++round) {
      RoundStats rs;
      rs.round = round;
      rs.start_cycle = cpu.cycles();
      cpu.clear_dirty_log();
      if (tracker && round == 0) {
        tracker->start_tracking();
        stop_tracking.t = tracker;
      }
      const uint64_t faults_before = tracker ? tracker->tracking_faults() : 0;
      const uint64_t cycles_before = tracker ? tracker->tracking_cycles() : 0;
      if (auto r = src.send_pages(round, pending); !r) return fail(r.error());
      rs.pages_sent = pending.size();
      rs.cycles = transfer_cycles(pending.size(), o.pages_per_mcycle);
      // The guest runs while the round's pages are on the wire.
      if (!snapshot::run_to_cycles(vm, rs.start_cycle + rs.cycles)) {
        s.rounds.push_back(rs);
        return fail(machine::Error{"the guest stopped during pre-copy round " +
                                       std::to_string(round) + ", before the migration",
                                   0});
      }
      if (tracker) {
        pending = src.tracked_pages(*tracker, rs.pages_missed_by_tracking);
        rs.tracking_faults = tracker->tracking_faults() - faults_before;
        rs.tracking_cycles = tracker->tracking_cycles() - cycles_before;
      } else {
        pending = src.dirty_pages();
      }
      rs.pages_dirtied = pending.size();
      s.rounds.push_back(rs);
      s.total_pages += rs.pages_sent;
      if (pending.size() <= o.threshold_pages) {
        s.stop_reason = "threshold";
        break;
      }
      if (round > 0 && pending.size() >= s.rounds[round - 1].pages_dirtied) {
        s.stop_reason = "no shrink";
        break;
      }
      if (round + 1 >= o.max_rounds) {
        s.stop_reason = "max rounds";
        break;
      }
    }
  }
  // Stop-and-copy: the guest stays paused from here. The last round's dirty pages, and any
  // page whose contents differ from the destination's copy that the log did not mark.
  if (stop_tracking.t) {
    // Stopping may give frames their write permission back in the monitor's own tables
    // (nested paging): those writes are the monitor's, marked in the engine log as it makes
    // them, and go with the pages of stop-and-copy.
    stop_tracking.t->stop_tracking();
    stop_tracking.t = nullptr;
    std::vector<uint8_t> queued(src.frames(), 0);
    for (uint32_t p : pending) queued[p] = 1;
    const auto log = cpu.dirty_log();
    for (uint32_t p = 0; p < src.frames() && p < log.size(); ++p) {
      if ((log[p] & cpu::kDirtyByPhysical) && !queued[p]) pending.push_back(p);
    }
  }
  s.migrated_at_cycle = cpu.cycles();
  s.migrated_at_instructions = cpu.instructions_retired();
  std::vector<uint8_t> in_pending(src.frames(), 0);
  for (uint32_t p : pending) in_pending[p] = 1;
  for (uint32_t p = 0; p < src.frames(); ++p) {
    if (in_pending[p] || page_equal(src.memory(), src.sent(), p)) continue;
    pending.push_back(p);
    if (o.precopy) ++s.pages_missed_by_log;
  }
  std::sort(pending.begin(), pending.end());
  const uint32_t last_round = static_cast<uint32_t>(s.rounds.size());
  if (auto r = src.send_pages(last_round, pending); !r) return fail(r.error());
  s.stop_copy_pages = pending.size();
  s.total_pages += pending.size();
  const auto state = encode_state(capture(vm));
  s.state_bytes = state.size();
  if (auto r = c.send(FrameType::kState, state); !r) return fail(r.error());
  if (auto r = c.send(FrameType::kDone, encode_done(last_round + 1)); !r) return fail(r.error());
  if (auto r = expect_ack(c, "DONE"); !r) return fail(r.error());
  // Committed: from here the destination is the machine (Clark et al., stage 4).
  if (auto r = c.send(FrameType::kCommit, {}); !r) return fail(r.error());
  s.downtime_cycles = transfer_cycles(
      s.stop_copy_pages + (s.state_bytes + kPageBytes - 1) / kPageBytes, o.pages_per_mcycle);
  s.total_bytes = c.bytes_sent();
  s.completed = true;
  return s;
}

std::string stats_json(const MigrationStats& s, const PrecopyOptions& o, int indent) {
  const std::string in(indent, ' '), in2(indent + 2, ' '), in3(indent + 4, ' ');
  std::string j = "{\n";
  auto num = [&](const std::string& k, uint64_t v, bool comma = true) {
    j += in2 + "\"" + k + "\": " + std::to_string(v) + (comma ? ",\n" : "\n");
  };
  auto str = [&](const std::string& k, const std::string& v) {
    std::string e;
    for (char ch : v) {
      if (ch == '"' || ch == '\\') e += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20) e += ch;
    }
    j += in2 + "\"" + k + "\": \"" + e + "\",\n";
  };
  j += in2 + "\"completed\": " + (s.completed ? "true" : "false") + ",\n";
  if (!s.completed) str("failure", s.failure);
  j += in2 + "\"precopy\": " + (o.precopy ? "true" : "false") + ",\n";
  num("max_rounds", o.max_rounds);
  num("threshold_pages", o.threshold_pages);
  num("pages_per_mcycle", o.pages_per_mcycle);
  num("started_at_cycle", s.started_at_cycle);
  num("migrated_at_cycle", s.migrated_at_cycle);
  num("migrated_at_instructions", s.migrated_at_instructions);
  str("tracking", s.tracking);
  str("stop_reason", s.stop_reason);
  j += in2 + "\"rounds\": [";
  for (size_t i = 0; i < s.rounds.size(); ++i) {
    const RoundStats& r = s.rounds[i];
    j += (i ? ",\n" : "\n") + in3 + "{\"round\": " + std::to_string(r.round) +
         ", \"start_cycle\": " + std::to_string(r.start_cycle) +
         ", \"pages_sent\": " + std::to_string(r.pages_sent) +
         ", \"pages_dirtied\": " + std::to_string(r.pages_dirtied) +
         ", \"cycles\": " + std::to_string(r.cycles);
    if (o.mode_tracking) {
      j += ", \"tracking_faults\": " + std::to_string(r.tracking_faults) +
           ", \"tracking_cycles\": " + std::to_string(r.tracking_cycles) +
           ", \"pages_missed_by_tracking\": " + std::to_string(r.pages_missed_by_tracking);
    }
    j += "}";
  }
  j += s.rounds.empty() ? "],\n" : "\n" + in2 + "],\n";
  num("stop_copy_pages", s.stop_copy_pages);
  num("pages_missed_by_log", s.pages_missed_by_log);
  num("state_bytes", s.state_bytes);
  num("total_pages", s.total_pages);
  num("total_bytes", s.total_bytes);
  num("downtime_cycles", s.downtime_cycles, false);
  j += in + "}";
  return j;
}

}  // namespace vmlab::migration
