// Uart16550: a National Semiconductor NS16550A UART, the PC's COM1.
//
// Datasheet: NS16550A "Universal Asynchronous Receiver/Transmitter with FIFOs"
// (National Semiconductor, June 1995), table II. At 0x3F8-0x3FF, IRQ 4. Offsets:
//   0  RBR (read) / THR (write); DLL when LCR.DLAB = 1
//   1  IER; DLM when LCR.DLAB = 1
//   2  IIR (read) / FCR (write)
//   3  LCR    4  MCR    5  LSR    6  MSR    7  SCR
//
// Transmission takes no modeled time: a byte written to THR is on the console at once and
// the transmitter is empty again, so LSR.THRE and TEMT always read 1 and every THR write
// re-raises the THR-empty interrupt (when enabled). Received bytes come from a
// ConsoleInput and are moved into the receiver (the 16-byte FIFO, or the one-byte RBR
// with FIFOs off) whenever there is room. A real receiver loses its contents when the
// FIFOs are switched or cleared through FCR; here bytes that came from the ConsoleInput
// and were not read yet go back to it, so a kernel that resets its FIFOs at boot does
// not lose the first bytes of scripted input.
//
// The non-obvious bit: on a real PC the UART's INTR pin reaches the 8259A through a
// buffer enabled by MCR.OUT2, so a driver must set OUT2 to get interrupts. QEMU does not
// model that gate and drives IRQ 4 whatever OUT2 says; kernels developed on QEMU often
// never set OUT2. We follow QEMU, so that those kernels run here unchanged.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/console_input.h"
#include "engine/machine/console_output.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class Uart16550 : public IoDevice {
 public:
  static constexpr uint16_t kCom1Base = 0x3F8;
  static constexpr unsigned kCom1Irq = 4;
  static constexpr size_t kFifoSize = 16;

  // Register offsets.
  static constexpr uint16_t kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5,
                            kMsr = 6, kScr = 7;
  // IER bits.
  static constexpr uint8_t kIerRxData = 0x01, kIerThrEmpty = 0x02, kIerLineStatus = 0x04,
                           kIerModemStatus = 0x08;
  // IIR values (bit 0 clear: an interrupt is pending), by priority.
  static constexpr uint8_t kIirNone = 0x01, kIirLineStatus = 0x06, kIirRxData = 0x04,
                           kIirCharTimeout = 0x0C, kIirThrEmpty = 0x02, kIirModemStatus = 0x00,
                           kIirFifosOn = 0xC0;
  // FCR bits.
  static constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04;
  // LCR, MCR bits.
  static constexpr uint8_t kLcrDlab = 0x80;
  static constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08,
                           kMcrLoop = 0x10;
  // LSR bits.
  static constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrThrEmpty = 0x20,
                           kLsrTxEmpty = 0x40, kLsrFifoError = 0x80;
  // MSR bits: a terminal is attached (CTS, DSR and DCD asserted) unless in loopback.
  static constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;

  // `input` may be null (an idle line). `irq` gets the level of the interrupt output.
  Uart16550(ConsoleOutput& output, ConsoleInput* input, std::function<void(bool)> irq);

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // Moves available input into the receiver; the machine calls it between slices.
  void poll_input();
  bool irq_level() const { return irq_level_; }
  // True when an enabled receive interrupt would fire if a byte arrived.
  bool rx_interrupt_enabled() const { return (ier_ & kIerRxData) != 0; }
  uint16_t divisor() const { return static_cast<uint16_t>(dlm_ << 8 | dll_); }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  size_t rx_capacity() const { return fifo_enabled_ ? kFifoSize : 1; }
  size_t rx_trigger_level() const;
  uint8_t interrupt_id() const;
  uint8_t read_lsr();
  uint8_t read_msr();
  void transmit(uint8_t byte);
  void receive(uint8_t byte);
  void update_irq();
  void clear_receiver();

  ConsoleOutput& output_;
  ConsoleInput* input_;
  std::function<void(bool)> irq_;
  std::deque<uint8_t> rx_;
  uint8_t ier_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t scr_ = 0;
  uint8_t dll_ = 0x0C;  // 9600 baud from the 1.8432 MHz crystal until the guest sets it
  uint8_t dlm_ = 0;
  uint8_t fcr_trigger_ = 0;  // FCR bits 7-6
  uint8_t line_errors_ = 0;  // LSR bits 1-4 since the last LSR read
  uint8_t msr_deltas_ = 0;   // MSR bits 0-3 since the last MSR read
  bool fifo_enabled_ = false;
  bool thr_empty_pending_ = false;  // the THR-empty interrupt condition (IIR 0x02)
  bool irq_level_ = false;
};

}  // namespace vmlab::machine
