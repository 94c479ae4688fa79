#include "engine/machine/live_input.h"

#include <chrono>

namespace vmlab::machine {

void LiveInput::push(std::string_view bytes) {
  if (bytes.empty()) return;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return;
    queued_.append(bytes);
  }
  ready_.notify_all();
}

void LiveInput::close() {
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool LiveInput::take(std::string& into) {
  const std::lock_guard lock(mutex_);
  if (queued_.empty()) return false;
  into.append(queued_);
  queued_.clear();
  return true;
}

bool LiveInput::wait(int timeout_ms) {
  std::unique_lock lock(mutex_);
  if (timeout_ms > 0) {
    ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [this] { return !queued_.empty() || closed_; });
  }
  return !queued_.empty();
}

bool LiveInput::exhausted() const {
  const std::lock_guard lock(mutex_);
  return closed_ && queued_.empty();
}

size_t LiveInput::pending() const {
  const std::lock_guard lock(mutex_);
  return queued_.size();
}

}  // namespace vmlab::machine
