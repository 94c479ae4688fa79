#include "engine/machine/uart16550.h"

#include <utility>

namespace vmlab::machine {

Uart16550::Uart16550(ConsoleOutput& output, ConsoleInput* input, std::function<void(bool)> irq)
    : output_(output), input_(input), irq_(std::move(irq)) {
  poll_input();
}

size_t Uart16550::rx_trigger_level() const {
  static constexpr size_t kLevels[4] = {1, 4, 8, 14};
  return fifo_enabled_ ? kLevels[fcr_trigger_ & 3] : 1;
}

uint8_t Uart16550::interrupt_id() const {
  // Priorities of the datasheet's table IV: line status, received data (or character
  // timeout with the FIFO below its trigger level), THR empty, modem status.
  if ((ier_ & kIerLineStatus) && line_errors_ != 0) return kIirLineStatus;
  if ((ier_ & kIerRxData) && !rx_.empty()) {
    // With no time modeled for the character timeout, data below the trigger level is
    // reported as the timeout at once; a driver handles both the same way.
    return rx_.size() >= rx_trigger_level() ? kIirRxData : kIirCharTimeout;
  }
  if ((ier_ & kIerThrEmpty) && thr_empty_pending_) return kIirThrEmpty;
  if ((ier_ & kIerModemStatus) && msr_deltas_ != 0) return kIirModemStatus;
  return kIirNone;
}

void Uart16550::update_irq() {
  // Not gated by MCR.OUT2: see the header.
  const bool level = interrupt_id() != kIirNone;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

void Uart16550::receive(uint8_t byte) {
  if (rx_.size() >= rx_capacity()) {
    line_errors_ |= kLsrOverrun;
    return;
  }
  rx_.push_back(byte);
}

void Uart16550::poll_input() {
  if (input_ != nullptr && !(mcr_ & kMcrLoop)) {
    while (rx_.size() < rx_capacity()) {
      const auto byte = input_->next();
      if (!byte) break;
      rx_.push_back(*byte);
    }
  }
  update_irq();
}

void Uart16550::clear_receiver() {
  if (input_ != nullptr && !(mcr_ & kMcrLoop)) input_->unread(rx_.size());
  rx_.clear();
}

void Uart16550::transmit(uint8_t byte) {
  if (mcr_ & kMcrLoop) {
    receive(byte);  // loopback: the transmitter feeds the receiver, nothing leaves
  } else {
    output_.put(static_cast<char>(byte));
  }
  // The byte is gone at once: the THR-empty condition drops with the write and comes
  // back, which the 8259A sees as a new edge on IRQ 4.
  thr_empty_pending_ = false;
  update_irq();
  thr_empty_pending_ = true;
}

uint8_t Uart16550::read_lsr() {
  uint8_t v = kLsrThrEmpty | kLsrTxEmpty | line_errors_;
  if (!rx_.empty()) v |= kLsrDataReady;
  if (line_errors_ != 0 && fifo_enabled_) v |= kLsrFifoError;
  line_errors_ = 0;  // reading LSR clears OE, PE, FE and BI
  return v;
}

uint8_t Uart16550::read_msr() {
  uint8_t v;
  if (mcr_ & kMcrLoop) {
    // Loopback wires RTS to CTS, DTR to DSR, OUT1 to RI and OUT2 to DCD.
    v = static_cast<uint8_t>(((mcr_ & kMcrRts) ? kMsrCts : 0) | ((mcr_ & kMcrDtr) ? kMsrDsr : 0) |
                             ((mcr_ & kMcrOut1) ? kMsrRi : 0) | ((mcr_ & kMcrOut2) ? kMsrDcd : 0));
  } else {
    v = kMsrCts | kMsrDsr | kMsrDcd;
  }
  v |= msr_deltas_;
  msr_deltas_ = 0;
  return v;
}

uint32_t Uart16550::io_read(uint16_t offset, unsigned) {
  uint8_t v = 0;
  switch (offset) {
    case kRbrThr:
      if (lcr_ & kLcrDlab) {
        v = dll_;
      } else if (!rx_.empty()) {
        v = rx_.front();
        rx_.pop_front();
        poll_input();
      }
      break;
    case kIer: v = (lcr_ & kLcrDlab) ? dlm_ : ier_; break;
    case kIirFcr: {
      const uint8_t id = interrupt_id();
      // Reading IIR while it reports THR empty clears that condition.
      if (id == kIirThrEmpty) thr_empty_pending_ = false;
      v = static_cast<uint8_t>(id | (fifo_enabled_ ? kIirFifosOn : 0));
      break;
    }
    case kLcr: v = lcr_; break;
    case kMcr: v = mcr_; break;
    case kLsr: v = read_lsr(); break;
    case kMsr: v = read_msr(); break;
    case kScr: v = scr_; break;
    default: break;
  }
  update_irq();
  return v;
}

void Uart16550::io_write(uint16_t offset, unsigned, uint32_t value) {
  const auto v = static_cast<uint8_t>(value);
  switch (offset) {
    case kRbrThr:
      if (lcr_ & kLcrDlab) {
        dll_ = v;
      } else {
        transmit(v);
      }
      break;
    case kIer:
      if (lcr_ & kLcrDlab) {
        dlm_ = v;
      } else {
        // Enabling the THR-empty interrupt while THR is empty raises it at once.
        if ((v & kIerThrEmpty) && !(ier_ & kIerThrEmpty)) thr_empty_pending_ = true;
        ier_ = v & 0x0F;
      }
      break;
    case kIirFcr: {
      const bool enable = (v & kFcrEnable) != 0;
      if (enable != fifo_enabled_ || (v & kFcrClearRx)) clear_receiver();
      fifo_enabled_ = enable;
      fcr_trigger_ = v >> 6;
      poll_input();
      break;
    }
    case kLcr: lcr_ = v; break;
    case kMcr:
      mcr_ = v & 0x1F;
      poll_input();
      break;
    case kScr: scr_ = v; break;
    default: break;  // LSR and MSR are read-only
  }
  update_irq();
}

}  // namespace vmlab::machine
