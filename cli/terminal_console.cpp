#include "cli/terminal_console.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace vmlab::cli {

namespace {

// The most a stream may have queued for the guest before the reader stops reading: a pipe
// that delivers faster than the guest reads waits in the pipe, not in host memory.
constexpr size_t kMaxQueued = 64 << 10;
// How often the reader flushes stdout, so that output without a newline (a prompt, the
// echo of a typed key) reaches the terminal while the guest waits (the console sink
// flushes at newlines only, engine/machine/console_output.cpp).
constexpr int kFlushMs = 20;
constexpr char kCtrlA = 0x01;

// The terminal state, global because the signal handlers restore it. Written before the
// handlers are installed and while none can run; read by them through the atomic flags.
struct termios g_saved;
struct termios g_raw_mode;
std::atomic<bool> g_raw{false};     // the terminal is in raw mode now
std::atomic<bool> g_active{false};  // a console owns the terminal (raw again after fg)
static_assert(std::atomic<bool>::is_always_lock_free);

// Async-signal-safe: tcsetattr, sigaction, raise and the lock-free atomics only.
void restore_now() noexcept {
  if (g_raw.exchange(false)) ::tcsetattr(STDIN_FILENO, TCSADRAIN, &g_saved);
}

void raw_now() noexcept {
  if (g_active.load() && !g_raw.exchange(true)) ::tcsetattr(STDIN_FILENO, TCSADRAIN, &g_raw_mode);
}

struct sigaction g_old_quit;
struct sigaction g_old_tstp;
struct sigaction g_old_cont;

extern "C" void on_terminal_signal(int sig);

void install(int sig, struct sigaction* old) {
  struct sigaction sa = {};
  sa.sa_handler = on_terminal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(sig, &sa, old);
}

// Ctrl-\ (SIGQUIT) ends the process the default way, and Ctrl-Z (SIGTSTP) stops it: the
// terminal is restored first. SIGCONT (fg) puts it back into raw mode.
extern "C" void on_terminal_signal(int sig) {
  const int saved_errno = errno;
  if (sig == SIGCONT) {
    raw_now();
    install(SIGTSTP, nullptr);
  } else {
    restore_now();
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    ::raise(sig);  // pending until this handler returns, then the default action
  }
  errno = saved_errno;
}

// Raw mode as QEMU's stdio character device sets it (chardev/char-stdio.c,
// qemu_chr_set_echo_stdio with signal=on, its default): no input translation, no flow
// control, no echo, no line editing; output post-processing (newline to CR LF) and the
// signal keys stay on.
struct termios raw_from(const struct termios& t) {
  struct termios r = t;
  r.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  r.c_oflag |= OPOST;
  r.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
  r.c_cflag &= ~(CSIZE | PARENB);
  r.c_cflag |= CS8;
  r.c_cc[VMIN] = 1;
  r.c_cc[VTIME] = 0;
  return r;
}

void write_all(int fd, const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(fd, text, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

StdinKind classify_stdin() {
  struct stat st;
  if (::fstat(STDIN_FILENO, &st) != 0) return StdinKind::kClosed;
  if (::isatty(STDIN_FILENO)) return StdinKind::kTerminal;
  if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return StdinKind::kFile;
  return StdinKind::kStream;
}

machine::Result<std::string> read_stdin_whole(uint64_t max_bytes) {
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return machine::Error{
          std::string("stdin: cannot read the console input: ") + std::strerror(err), EIO};
    }
    if (n == 0) return bytes;
    if (bytes.size() + static_cast<size_t>(n) > max_bytes) {
      return machine::Error{
          "stdin: the console input is larger than " + std::to_string(max_bytes >> 20) + " MiB",
          EFBIG};
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
}

const char* TerminalConsole::escape_help() {
  return "vmlab console keys (after Ctrl-A, as QEMU's):\n"
         "  Ctrl-A x        quit: end the run, with its summary and --out files\n"
         "  Ctrl-A h        this help\n"
         "  Ctrl-A Ctrl-A   send Ctrl-A to the guest\n"
         "  Ctrl-C          interrupt the run (SIGINT): summary and files, status 130\n";
}

TerminalConsole::TerminalConsole(StdinKind kind, machine::Machine& machine,
                                 std::shared_ptr<machine::LiveInput> input)
    : kind_(kind), machine_(machine), input_(std::move(input)) {}

machine::Result<std::unique_ptr<TerminalConsole>> TerminalConsole::start(
    StdinKind kind, machine::Machine& machine, std::shared_ptr<machine::LiveInput> input) {
  std::unique_ptr<TerminalConsole> c(new TerminalConsole(kind, machine, std::move(input)));
  if (::pipe2(c->wake_, O_CLOEXEC) != 0) {
    const int err = errno;
    return machine::Error{std::string("cannot start the console: ") + std::strerror(err), EIO};
  }
  if (kind == StdinKind::kTerminal) {
    if (::tcgetattr(STDIN_FILENO, &g_saved) != 0) {
      const int err = errno;
      return machine::Error{
          std::string("stdin: cannot read the terminal's mode: ") + std::strerror(err), EIO};
    }
    g_raw_mode = raw_from(g_saved);
    g_active.store(true);
    install(SIGQUIT, &g_old_quit);
    install(SIGTSTP, &g_old_tstp);
    install(SIGCONT, &g_old_cont);
    raw_now();
  }
  c->reader_ = std::thread([p = c.get()] { p->read_loop(); });
  return c;
}

TerminalConsole::~TerminalConsole() {
  finish();
}

void TerminalConsole::finish() {
  if (finished_) return;
  finished_ = true;
  if (reader_.joinable()) {
    write_all(wake_[1], "x");
    reader_.join();
  }
  for (int& fd : wake_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  std::fflush(stdout);
  if (kind_ == StdinKind::kTerminal) {
    g_active.store(false);
    restore_now();
    ::sigaction(SIGQUIT, &g_old_quit, nullptr);
    ::sigaction(SIGTSTP, &g_old_tstp, nullptr);
    ::sigaction(SIGCONT, &g_old_cont, nullptr);
  }
}

void TerminalConsole::restore_from_signal() noexcept {
  restore_now();
}

void TerminalConsole::typed(char c, std::string& out) {
  if (!escape_) {
    if (c == kCtrlA) {
      escape_ = true;
    } else {
      out.push_back(c);
    }
    return;
  }
  escape_ = false;
  switch (c) {
    case kCtrlA: out.push_back(kCtrlA); break;
    case 'x':
    case 'X':
      quit_.store(true, std::memory_order_relaxed);
      machine_.request_stop();
      break;
    case 'h':
    case 'H':
    case '?': write_all(STDERR_FILENO, escape_help()); break;
    default: break;  // as QEMU: an unknown key after Ctrl-A is dropped
  }
}

void TerminalConsole::read_loop() {
  std::string out;
  char buf[256];
  bool open = true;  // stdin may still deliver bytes
  while (!quit_.load(std::memory_order_relaxed)) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    // A stream that outruns the guest waits in its pipe (polling the wake pipe only);
    // after end of file the loop goes on flushing stdout until finish().
    const bool reading = open && input_->pending() < kMaxQueued;
    const int ready = ::poll(fds, reading ? 2 : 1, kFlushMs);
    std::fflush(stdout);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents != 0) break;  // finish()
    if (!reading || fds[1].revents == 0) continue;
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {  // end of file (or a terminal hung up): no more input will come
      input_->close();
      open = false;
      continue;
    }
    out.clear();
    if (kind_ == StdinKind::kTerminal) {
      for (ssize_t i = 0; i < n; ++i) typed(buf[i], out);
    } else {
      out.assign(buf, static_cast<size_t>(n));
    }
    input_->push(out);
  }
}

}  // namespace vmlab::cli
