#include "gui/live_run.h"

#include <QCoreApplication>
#include <QFile>
#include <bitset>
#include <chrono>

#include "gui/resources.h"
#include "modes/binary-translation/bt_run_record.h"
#include "modes/registry.h"

namespace vmlab::gui {

QString variant_label(ModeVariant v) {
  switch (v) {
    case ModeVariant::native: return QCoreApplication::translate("LiveRun", "native");
    case ModeVariant::trap_vt:
      return QCoreApplication::translate("LiveRun", "trap VT (shadow paging)");
    case ModeVariant::trap_npt:
      return QCoreApplication::translate("LiveRun", "trap VT + NPT (nested paging)");
    case ModeVariant::trap_classic:
      return QCoreApplication::translate("LiveRun", "trap classic (ring compression)");
    case ModeVariant::bt: return QCoreApplication::translate("LiveRun", "bt (binary translation)");
    case ModeVariant::pv: return QCoreApplication::translate("LiveRun", "pv (paravirtualization)");
  }
  return {};
}

LiveRun::~LiveRun() {
  if (vm_ == nullptr) return;
  input_->close();         // ends a wait for input at once
  subscription_->close();  // and a wait for room in the event queue
  vm_->request_stop();
  vm_->request_pause();
  {
    const std::lock_guard lock(mutex_);
    commands_.clear();
    commands_.emplace_back(Command::quit, 0);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LiveRun::start(const LiveRunOptions& o, QString& error) {
  if (vm_ != nullptr) {
    error = QCoreApplication::translate("LiveRun", "a run is already started");
    return false;
  }
  vmm::ModeOptions mode_options;
  vmm::ModeId mode = vmm::ModeId::native;
  switch (o.mode) {
    case ModeVariant::native: break;
    case ModeVariant::trap_vt: mode = vmm::ModeId::trap; break;
    case ModeVariant::trap_npt:
      mode = vmm::ModeId::trap;
      mode_options.nested_paging = true;
      break;
    case ModeVariant::trap_classic:
      mode = vmm::ModeId::trap;
      mode_options.cpu = vmm::ModeOptions::Cpu::kClassic;
      break;
    case ModeVariant::bt: mode = vmm::ModeId::bt; break;
    case ModeVariant::pv: mode = vmm::ModeId::pv; break;
  }
  auto mode_impl = modes::make(mode, mode_options);
  if (!mode_impl) {
    error = QString::fromStdString(mode_impl.error().message);
    return false;
  }
  const QString profile_path =
      o.profile.contains(QLatin1Char('/'))
          ? o.profile
          : profiles_dir() + QLatin1Char('/') + o.profile + QStringLiteral(".profile");
  auto profile = vmm::CostProfile::load_file(QFile::encodeName(profile_path).toStdString());
  if (!profile) {
    error = QString::fromStdString(profile.error().message);
    return false;
  }
  vmm::VmConfig config;
  config.mode = std::move(mode_impl.value());
  config.profile = std::move(profile.value());
  machine::MachineConfig& mc = config.machine;
  mc.memory_mib = o.memory_mib;
  mc.cpu_mhz = o.cpu_mhz;
  mc.max_instructions = o.max_instructions;
  const std::string kernel = QFile::encodeName(o.kernel).toStdString();
  // As the CLI: the kernel sees its image path first.
  mc.cmdline = kernel;
  if (!o.append.isEmpty()) {
    mc.cmdline.push_back(' ');
    mc.cmdline.append(o.append.toStdString());
  }
  mc.console_sink = [this](char c) {
    const std::lock_guard lock(mutex_);
    console_.push_back(c);
  };
  // Always a live line, so that the console pane can type into the running guest; the
  // boot text is queued first and reaches the guest as preloaded input would. A live line
  // never runs dry, so the idle watchdog does not stop a shell waiting for the user.
  input_ = std::make_shared<machine::LiveInput>();
  input_->push(o.input.toStdString());
  mc.input = machine::ConsoleInput::from_live(input_);
  keys_ = std::make_shared<machine::LiveKeys>();
  mc.live_keys = keys_;
  auto created = vmm::Vm::create(std::move(config));
  if (!created) {
    error = QString::fromStdString(created.error().message);
    return false;
  }
  auto vm = std::move(created.value());
  if (auto loaded = vm->load_kernel(kernel); !loaded) {
    error = QString::fromStdString(loaded.error().message);
    return false;
  }
  initial_ = vm->recorder().counters();
  // bt: the fragments the cache drops on the way are kept for the event table, as a run
  // directory's translations.jsonl keeps them (nothing under the other modes).
  modes::bt::start_run_record(*vm);
  // Every event from here on, as a trace holds them: lossless, so a guest faster than the
  // GUI waits for it rather than lose events (the counts must equal stats.json's).
  subscription_ = vm->subscribe(kQueueEvents);
  subscription_->set_delivery(vmm::EventSubscription::Delivery::kLossless);
  vm_ = std::move(vm);
  status_ = LiveStatus{};
  thread_ = std::thread([this] { worker(); });
  return true;
}

void LiveRun::send(Command command, uint64_t count) {
  if (vm_ == nullptr) return;
  {
    const std::lock_guard lock(mutex_);
    commands_.emplace_back(command, count);
    busy_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
}

void LiveRun::resume() {
  send(Command::resume);
}

void LiveRun::step(uint64_t instructions) {
  send(Command::step, instructions);
}

void LiveRun::run_for(uint64_t instructions) {
  send(Command::run_for, instructions);
}

void LiveRun::run_to_next(vmm::EventKind kind) {
  send(Command::until, vmm::index_of(kind));
}

void LiveRun::pause() {
  if (vm_ != nullptr) vm_->request_pause();
}

void LiveRun::send_input(std::string_view bytes) {
  if (input_ != nullptr) input_->push(bytes);
}

void LiveRun::send_key(uint16_t key, bool release) {
  if (keys_ != nullptr && key < machine::key_table().size()) keys_->push(key, release);
}

void LiveRun::stop() {
  if (vm_ == nullptr) return;
  vm_->request_stop();
  // A paused run stops at its next slice: run it into the stop.
  if (!busy() && vm_->state() != vmm::VmState::kStopped) send(Command::resume);
}

void LiveRun::worker() {
  for (;;) {
    std::pair<Command, uint64_t> c;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !commands_.empty(); });
      c = commands_.front();
      commands_.pop_front();
    }
    if (c.first == Command::quit) return;
    if (vm_->state() != vmm::VmState::kStopped) {
      if (c.first == Command::resume) {
        resume_publishing_screen();
      } else if (c.first == Command::until) {
        std::bitset<vmm::kNumEventKinds> kinds;
        kinds.set(c.second);
        vm_->run_until_event(kinds);
      } else if (c.first == Command::step) {
        for (uint64_t i = 0; i < c.second && vm_->step() == vmm::VmState::kPaused; ++i) {
          ++guest_steps_;
        }
      } else {
        vm_->run_for(c.second);
      }
    }
    publish_status();
  }
}

// On the worker, between commands: the Vm is not running, so reading it is safe.
void LiveRun::publish_status() {
  LiveStatus s;
  s.state = vm_->state();
  s.guest_eip = vm_->guest_eip();
  s.instructions = vm_->machine().cpu().instructions_retired();
  s.guest_steps = guest_steps_;
  s.cycles = vm_->machine().cpu().cycles();
  if (s.state == vmm::VmState::kStopped && vm_->last_stop()) {
    const machine::RunResult& r = *vm_->last_stop();
    s.instructions = r.instructions;
    s.cycles = r.cycles;
    s.stop = QString::fromStdString(r.message);
  }
  s.inspection = std::make_shared<const InspectionSnapshot>(take_snapshot(*vm_));
  s.screen = std::make_shared<const TextScreen>(take_text_screen(*vm_));
  if (vm_->mode() == vmm::ModeId::bt) {
    const vmm::EventCounters& c = vm_->recorder().counters();
    uint64_t changes = 0;
    for (const vmm::EventKind k : {vmm::EventKind::bt_translate, vmm::EventKind::bt_flush,
                                   vmm::EventKind::bt_invalidate, vmm::EventKind::bt_adapt}) {
      changes += c.count[vmm::index_of(k)];
    }
    if (changes != translations_at_) {
      translations_at_ = changes;
      auto t = BtTranslations::parse(QByteArray::fromStdString(modes::bt::run_record(*vm_)),
                                     QStringLiteral("live"));
      if (t) {
        auto shared = std::make_shared<BtTranslations>(std::move(t.value()));
        shared->set_live(true);
        translations_ = std::move(shared);
      }
    }
    s.translations = translations_;
  }
  const std::lock_guard lock(mutex_);
  status_ = s;
  if (commands_.empty()) busy_.store(false, std::memory_order_release);
}

void LiveRun::resume_publishing_screen() {
  using Clock = std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::milliseconds(40);
  auto last = Clock::now();
  for (;;) {
    const uint64_t before = vm_->machine().cpu().instructions_retired();
    if (vm_->run_for(kScreenChunk) != vmm::VmState::kPaused) return;
    // Fewer instructions than asked: a pause request took effect (the user's Pause).
    if (vm_->machine().cpu().instructions_retired() - before < kScreenChunk) return;
    if (Clock::now() - last >= kInterval) {
      publish_screen();
      last = Clock::now();
    }
  }
}

// On the worker, between two chunks of a resume: only the screen changes in the mailbox.
void LiveRun::publish_screen() {
  auto screen = std::make_shared<const TextScreen>(take_text_screen(*vm_));
  const std::lock_guard lock(mutex_);
  if (status_.screen == nullptr || !(*status_.screen == *screen))
    status_.screen = std::move(screen);
}

LiveStatus LiveRun::take(std::vector<vmm::Event>& events, std::string& console) {
  LiveStatus status;
  {
    const std::lock_guard lock(mutex_);
    console.swap(console_);
    console_.clear();
    status = status_;
  }
  // After the status: every event of the command that status reports is in the queue.
  events.clear();
  if (subscription_ != nullptr) subscription_->drain(events);
  return status;
}

}  // namespace vmlab::gui
