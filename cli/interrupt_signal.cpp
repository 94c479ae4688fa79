#include "cli/interrupt_signal.h"

#include <atomic>
#include <csignal>

namespace vmlab::cli {

namespace {

// Only lock-free atomics may be touched from a signal handler (C++20 [support.signal]).
std::atomic<machine::Machine*> g_machine{nullptr};
std::atomic<int> g_signal{0};
std::atomic<void (*)() noexcept> g_last_words{nullptr};
static_assert(std::atomic<machine::Machine*>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
  if (g_signal.exchange(sig, std::memory_order_relaxed) != 0) {
    // A second signal: the process ends the default way, after the last words (the
    // terminal's mode restored, cli/terminal_console.h).
    if (auto* last = g_last_words.load(std::memory_order_relaxed)) last();
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, nullptr);
    raise(sig);
    return;
  }
  if (machine::Machine* m = g_machine.load(std::memory_order_relaxed)) m->request_stop();
}

struct sigaction g_old_int;
struct sigaction g_old_term;

}  // namespace

InterruptStop::InterruptStop(machine::Machine& machine) {
  g_signal.store(0, std::memory_order_relaxed);
  g_machine.store(&machine, std::memory_order_relaxed);
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptStop::~InterruptStop() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_machine.store(nullptr, std::memory_order_relaxed);
  g_last_words.store(nullptr, std::memory_order_relaxed);
}

void InterruptStop::set_last_words(void (*last_words)() noexcept) {
  g_last_words.store(last_words, std::memory_order_relaxed);
}

int InterruptStop::signal_received() const {
  return g_signal.load(std::memory_order_relaxed);
}

}  // namespace vmlab::cli
