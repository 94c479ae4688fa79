// LiveRun: one guest running on a worker thread, driven from the GUI thread.
//
// Threading (docs/architecture.md, "Threading"; engine/vmm/core/vm.h, "Control"): the worker
// thread owns the Vm from start() on and is the only one that calls resume/step/run_for;
// the GUI thread only calls Vm::request_pause() and Vm::request_stop() (safe from any
// thread) and takes what the worker left in a mutex-guarded mailbox: the events recorded
// since the last look, the console bytes, and the state after each command. It looks about
// 25 times a second (take()), never once per event, and never blocks on the guest. The
// events come through the engine's EventSubscription (engine/vmm/core/event_subscription.h) in
// its lossless delivery: the worker, not the GUI, waits when the queue is full. Console
// input typed while the guest runs goes into a machine::LiveInput queue (send_input(), safe
// from the GUI thread), which the machine drains on the worker at slice ends.
#pragma once

#include <QObject>
#include <QString>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/machine/live_input.h"
#include "engine/machine/live_keys.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/event_counters.h"
#include "engine/vmm/core/event_subscription.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/core/vm_state.h"
#include "gui/bt_translations.h"
#include "gui/inspection_snapshot.h"
#include "gui/text_screen.h"

namespace vmlab::gui {

// The six ways to run the guest, as the GUI lists them (the CLI's --mode/--cpu/--npt).
enum class ModeVariant { native, trap_vt, trap_npt, trap_classic, bt, pv };
QString variant_label(ModeVariant v);
inline constexpr ModeVariant kAllVariants[] = {ModeVariant::native,   ModeVariant::trap_vt,
                                               ModeVariant::trap_npt, ModeVariant::trap_classic,
                                               ModeVariant::bt,       ModeVariant::pv};

struct LiveRunOptions {
  QString kernel;
  QString append;  // the kernel command line after the image path ("run=syscall iters=100")
  ModeVariant mode = ModeVariant::native;
  QString profile = QStringLiteral("native-1c");
  QString input;  // bytes for the guest's COM1, queued before boot (more: send_input)
  uint64_t max_instructions = 0;
  uint32_t memory_mib = 128;
  uint32_t cpu_mhz = 1000;
};

// What the worker reports after each command.
struct LiveStatus {
  vmm::VmState state = vmm::VmState::kReady;
  uint32_t guest_eip = 0;
  // Instructions retired on the processor (cpu::Cpu::instructions_retired, stats.json's
  // "instructions"): under bt those of the translated code, under the trap modes without the
  // instructions the monitor emulates.
  uint64_t instructions = 0;
  // Guest instructions run by step() since the start (one Vm::step each); the Vm keeps no
  // count of guest instructions for resume and run_for.
  uint64_t guest_steps = 0;
  uint64_t cycles = 0;
  QString stop;  // reason: message, once stopped
  // The code and memory views' data, taken after each command (nullptr before the first).
  std::shared_ptr<const InspectionSnapshot> inspection;
  // The CGA text screen (the Screen view), taken after each command and, while the guest
  // runs, at most every 40 ms (nullptr before the first).
  std::shared_ptr<const TextScreen> screen;
  // bt: the translation cache's fragments (with those it dropped since the start), made by
  // the same code as an opened run's translations.jsonl (modes/binary-translation/
  // bt_run_record.h) and read by the same reader, so the event table shows an event's
  // translated code alike for both. Taken again only after bt events changed the cache.
  std::shared_ptr<const BtTranslations> translations;
};

class LiveRun {
 public:
  LiveRun() = default;
  ~LiveRun();
  LiveRun(const LiveRun&) = delete;
  LiveRun& operator=(const LiveRun&) = delete;

  // Builds the Vm and loads the kernel (on the calling thread), then hands it to a new
  // worker thread, which waits for the first command. Fails with a message.
  bool start(const LiveRunOptions& options, QString& error);

  void resume();
  // Runs `instructions` guest instructions, one Vm::step each (an instruction the monitor
  // emulates is one, as under native).
  void step(uint64_t instructions = 1);
  // Runs until `instructions` more instructions retire on the processor (Vm::run_for).
  void run_for(uint64_t instructions);
  // Resume until an event of `kind` is recorded, then pause right after it
  // (Vm::run_until_event).
  void run_to_next(vmm::EventKind kind);
  void pause();
  void stop();
  // Queues bytes for the guest's COM1 (keys typed into the console). Any thread; they
  // reach the guest when it runs (a paused run gets them when resumed).
  void send_input(std::string_view bytes);
  // A PC key pressed or released (the Screen tab), for the guest's PS/2 keyboard. Safe from
  // the GUI thread; the machine takes it at its next slice end (live_keys.h).
  void send_key(uint16_t key, bool release);

  // Moves out what arrived since the last call. Returns the latest status. One thread
  // only (the GUI's): it is the event queue's consumer.
  LiveStatus take(std::vector<vmm::Event>& events, std::string& console);
  bool started() const { return vm_ != nullptr; }
  // The counters when tracing began (events the monitor recorded while loading the kernel,
  // which no trace holds): a live run's counts are these plus its events, as stats.json's.
  const vmm::EventCounters& initial_counters() const { return initial_; }
  // True while a command runs on the worker.
  bool busy() const { return busy_.load(std::memory_order_acquire); }

 private:
  enum class Command { resume, step, run_for, until, quit };
  // The live event queue: 2^18 events (about 12 MiB), what the guest may record between
  // two of the GUI's looks (25 a second) before the worker waits for the next one.
  static constexpr size_t kQueueEvents = size_t{1} << 18;
  void worker();
  void send(Command command, uint64_t count = 0);
  void publish_status();
  // resume(): run_for in chunks of kScreenChunk instructions, publishing the text screen
  // between them at most every kScreenInterval (a pause between chunks is a pause like
  // run_for's: the run stays the same run, its figures unchanged).
  void resume_publishing_screen();
  void publish_screen();
  static constexpr uint64_t kScreenChunk = 1'000'000;

  std::unique_ptr<vmm::Vm> vm_;
  std::shared_ptr<machine::LiveInput> input_;
  std::shared_ptr<machine::LiveKeys> keys_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<Command, uint64_t>> commands_;
  std::atomic<bool> busy_{false};
  uint64_t guest_steps_ = 0;  // the worker's (LiveStatus::guest_steps)
  // The worker's: the bt translations last taken, and the count of cache-changing bt
  // events (translate, flush, invalidate, adapt) when they were.
  std::shared_ptr<const BtTranslations> translations_;
  uint64_t translations_at_ = UINT64_MAX;
  // The events (the GUI thread is its one consumer, in take()).
  std::shared_ptr<vmm::EventSubscription> subscription_;
  // Mailbox, guarded by mutex_.
  std::string console_;
  LiveStatus status_;
  vmm::EventCounters initial_;
};

}  // namespace vmlab::gui
