// save() and load() of every device of the PC (docs/snapshots.md, "Loading a snapshot"):
// each register, latch and FIFO, so that a machine loaded from a snapshot goes on exactly
// as the saved one would have. Each load() reads with cpu::ByteReader, checks every value
// against its range (a snapshot file is hostile input) and fails the reader on one that
// is out of it; the caller checks the reader once at the end and then discards the machine.
#include <algorithm>

#include "engine/machine/ata_bus_master.h"
#include "engine/machine/ata_controller.h"
#include "engine/machine/block_image.h"
#include "engine/machine/cga_text.h"
#include "engine/machine/cmos_rtc.h"
#include "engine/machine/console_input.h"
#include "engine/machine/console_output.h"
#include "engine/machine/debug_exit_port.h"
#include "engine/machine/fw_cfg.h"
#include "engine/machine/i8042_controller.h"
#include "engine/machine/local_apic.h"
#include "engine/machine/pci_host_bridge.h"
#include "engine/machine/pic8259.h"
#include "engine/machine/pic_pair.h"
#include "engine/machine/piix3_isa_bridge.h"
#include "engine/machine/pit8254.h"
#include "engine/machine/post_code_port.h"
#include "engine/machine/system_control_port_b.h"
#include "engine/machine/uart16550.h"

namespace vmlab::machine {

// --- Pic8259 ---------------------------------------------------------------------------
void Pic8259::save(cpu::ByteWriter& w) const {
  for (uint8_t v : {irr_, isr_, imr_, lines_, cascade_, icw2_, icw3_, lowest_, init_step_}) w.u8(v);
  for (bool b : {icw2_seen_, need_icw3_, need_icw4_, level_triggered_, auto_eoi_,
                 rotate_on_auto_eoi_, special_fully_nested_, special_mask_, read_isr_, poll_}) {
    w.boolean(b);
  }
}

void Pic8259::load(cpu::ByteReader& r) {
  irr_ = r.u8();
  isr_ = r.u8();
  imr_ = r.u8();
  lines_ = r.u8();
  cascade_ = r.u8();
  icw2_ = r.u8();
  icw3_ = r.u8();
  lowest_ = r.u8_below(8);
  init_step_ = r.u8_below(5);
  if (init_step_ == 1) r.fail();  // 0: operational; 2, 3, 4: the ICW expected next
  icw2_seen_ = r.boolean();
  need_icw3_ = r.boolean();
  need_icw4_ = r.boolean();
  level_triggered_ = r.boolean();
  auto_eoi_ = r.boolean();
  rotate_on_auto_eoi_ = r.boolean();
  special_fully_nested_ = r.boolean();
  special_mask_ = r.boolean();
  read_isr_ = r.boolean();
  poll_ = r.boolean();
}

void PicPair::save(cpu::ByteWriter& w) const {
  master_.save(w);
  slave_.save(w);
  w.u64(spurious_);
}

void PicPair::load(cpu::ByteReader& r) {
  master_.load(r);
  slave_.load(r);
  spurious_ = r.u64();
}

// --- Pit8254 ---------------------------------------------------------------------------
void Pit8254::save(cpu::ByteWriter& w) const {
  for (const Channel& c : ch_) {
    w.u8(c.mode);
    w.u8(c.access);
    w.boolean(c.bcd);
    w.u16(c.count_register);
    w.u32(c.reload);
    w.boolean(c.armed);
    w.boolean(c.null_count);
    w.boolean(c.gate);
    w.boolean(c.triggered);
    w.boolean(c.frozen);
    w.u64(static_cast<uint64_t>(c.frozen_k));
    w.u64(c.base_tick);
    w.boolean(c.write_msb_next);
    w.boolean(c.read_msb_next);
    w.u8(c.latched_bytes);
    w.u16(c.latch_value);
    w.boolean(c.status_latched);
    w.u8(c.status);
  }
  w.u64(synced_tick_);
  w.boolean(irq_line_);
  w.u64(irq0_edges_);
}

void Pit8254::load(cpu::ByteReader& r) {
  for (Channel& c : ch_) {
    c.mode = r.u8_below(6);
    c.access = r.u8_below(4);
    if (c.access == 0) r.fail();  // RW 0 is the latch command, never a channel's mode
    c.bcd = r.boolean();
    c.count_register = r.u16();
    c.reload = r.u32_at_most(0x10000);
    if (c.reload == 0) r.fail();
    c.armed = r.boolean();
    c.null_count = r.boolean();
    c.gate = r.boolean();
    c.triggered = r.boolean();
    c.frozen = r.boolean();
    c.frozen_k = static_cast<int64_t>(r.u64());
    if (c.frozen_k < -1 || c.frozen_k > 0x20000) r.fail();
    c.base_tick = r.u64();
    c.write_msb_next = r.boolean();
    c.read_msb_next = r.boolean();
    c.latched_bytes = r.u8_below(3);
    c.latch_value = r.u16();
    c.status_latched = r.boolean();
    c.status = r.u8();
  }
  synced_tick_ = r.u64();
  irq_line_ = r.boolean();
  irq0_edges_ = r.u64();
}

void SystemControlPortB::save(cpu::ByteWriter& w) const {
  w.u8(control_);
}
void SystemControlPortB::load(cpu::ByteReader& r) {
  control_ = r.u8();
}

// --- Uart16550 -------------------------------------------------------------------------
void Uart16550::save(cpu::ByteWriter& w) const {
  w.u8(static_cast<uint8_t>(rx_.size()));
  for (uint8_t b : rx_) w.u8(b);
  for (uint8_t v : {ier_, lcr_, mcr_, scr_, dll_, dlm_, fcr_trigger_, line_errors_, msr_deltas_}) {
    w.u8(v);
  }
  w.boolean(fifo_enabled_);
  w.boolean(thr_empty_pending_);
  w.boolean(irq_level_);
}

void Uart16550::load(cpu::ByteReader& r) {
  const uint8_t n = r.u8_below(kFifoSize + 1);
  rx_.clear();
  for (uint8_t i = 0; i < n; ++i) rx_.push_back(r.u8());
  ier_ = r.u8();
  lcr_ = r.u8();
  mcr_ = r.u8();
  scr_ = r.u8();
  dll_ = r.u8();
  dlm_ = r.u8();
  fcr_trigger_ = r.u8_below(4);
  line_errors_ = r.u8();
  msr_deltas_ = r.u8();
  fifo_enabled_ = r.boolean();
  thr_empty_pending_ = r.boolean();
  irq_level_ = r.boolean();
  if (rx_.size() > rx_capacity()) r.fail();
}

// --- small ports -----------------------------------------------------------------------
void DebugExitPort::save(cpu::ByteWriter& w) const {
  w.boolean(value_.has_value());
  w.u32(value_.value_or(0));
}
void DebugExitPort::load(cpu::ByteReader& r) {
  const bool has = r.boolean();
  const uint32_t v = r.u32();
  value_.reset();
  if (has) value_ = v;
}

void PostCodePort::save(cpu::ByteWriter& w) const {
  w.u8(last_code_);
  w.u64(writes_);
}
void PostCodePort::load(cpu::ByteReader& r) {
  last_code_ = r.u8();
  writes_ = r.u64();
}

void I8042Controller::save(cpu::ByteWriter& w) const {
  keyboard_.save(w);
  mouse_.save(w);
  w.u8(ctr_);
  w.u8(out_);
  w.boolean(obf_);
  w.boolean(out_from_keyboard_);
  w.boolean(reply_.has_value());
  w.u8(reply_.value_or(0));
  w.boolean(f0_seen_);
  w.u8(static_cast<uint8_t>(pending_));
  w.boolean(last_was_command_);
  w.boolean(system_flag_);
  w.u8(output_port_);
  w.boolean(irq_level_);
  w.boolean(out_aux_);
  w.boolean(reply_aux_);
  w.boolean(aux_irq_level_);
}
void I8042Controller::load(cpu::ByteReader& r) {
  keyboard_.load(r);
  mouse_.load(r);
  ctr_ = r.u8();
  out_ = r.u8();
  obf_ = r.boolean();
  out_from_keyboard_ = r.boolean();
  const bool has_reply = r.boolean();
  const uint8_t reply = r.u8();
  reply_.reset();
  if (has_reply) reply_ = reply;
  f0_seen_ = r.boolean();
  pending_ = static_cast<Pending>(r.u8_below(static_cast<unsigned>(Pending::kMouse) + 1));
  last_was_command_ = r.boolean();
  system_flag_ = r.boolean();
  output_port_ = r.u8();
  // The IRQ lines are what the buffer and CTR say; a reply waits only behind a full buffer;
  // the keyboard's and the mouse's bytes wait only behind one too, or a disabled interface.
  irq_level_ = r.boolean();
  out_aux_ = r.boolean();
  reply_aux_ = r.boolean();
  aux_irq_level_ = r.boolean();
  if (irq_level_ != (obf_ && !out_aux_ && (ctr_ & kCtrKbdInterrupt)) ||
      aux_irq_level_ != (obf_ && out_aux_ && (ctr_ & kCtrAuxInterrupt)) ||
      (out_aux_ && out_from_keyboard_) || (reply_ && !obf_) ||
      (keyboard_.has_data() && !obf_ && !(ctr_ & kCtrKbdDisabled)) ||
      (mouse_.has_data() && !obf_ && !(ctr_ & kCtrAuxDisabled))) {
    r.fail();
  }
}

void CmosRtc::save(cpu::ByteWriter& w) const {
  w.bytes(ram_);
  w.u8(index_);
  w.boolean(nmi_disabled_);
}
void CmosRtc::load(cpu::ByteReader& r) {
  const auto bytes = r.bytes(ram_.size());
  if (bytes.size() == ram_.size()) std::copy(bytes.begin(), bytes.end(), ram_.begin());
  index_ = r.u8_below(ram_.size());
  nmi_disabled_ = r.boolean();
}

// The items are the configuration's (memory size, signature...); only the cursor is state.
void FwCfg::save(cpu::ByteWriter& w) const {
  w.u16(selector_);
  w.u32(offset_);
}
void FwCfg::load(cpu::ByteReader& r) {
  selector_ = r.u16();
  offset_ = r.u32();
  const std::vector<uint8_t>* it = (selector_ & 0x8000) ? nullptr : item(selector_);
  if (offset_ > (it ? it->size() : 0)) r.fail();
}

void CgaText::save(cpu::ByteWriter& w) const {
  w.u8(index_);
  w.bytes(regs_);
}
void CgaText::load(cpu::ByteReader& r) {
  index_ = r.u8();  // any byte: an index past the registers reads 0xFF (cga_text.cpp)
  const auto bytes = r.bytes(regs_.size());
  if (bytes.size() == regs_.size()) std::copy(bytes.begin(), bytes.end(), regs_.begin());
}

// The writable masks are the bridge's own (fixed at creation); address and registers are state.
void PciHostBridge::save(cpu::ByteWriter& w) const {
  w.u32(address_);
  config_.save(w);
}
void PciHostBridge::load(cpu::ByteReader& r) {
  address_ = r.u32();
  config_.load(r);
}

void Piix3IsaBridge::save(cpu::ByteWriter& w) const {
  config_.save(w);
}
void Piix3IsaBridge::load(cpu::ByteReader& r) {
  config_.load(r);
}

// --- LocalApic -------------------------------------------------------------------------
void LocalApic::save(cpu::ByteWriter& w) const {
  w.u64(base_msr_);
  for (uint32_t v : {id_, tpr_, ldr_, dfr_, svr_, esr_, esr_pending_, icr_low_, icr_high_}) {
    w.u32(v);
  }
  for (uint32_t v : lvt_) w.u32(v);
  for (const auto* bits : {&isr_, &tmr_, &irr_}) {
    for (uint32_t v : *bits) w.u32(v);
  }
  w.u32(timer_initial_);
  w.u32(timer_divide_reg_);
  w.u64(timer_zero_tick_);
  w.boolean(timer_running_);
}

void LocalApic::load(cpu::ByteReader& r) {
  base_msr_ = r.u64();
  for (uint32_t* v :
       {&id_, &tpr_, &ldr_, &dfr_, &svr_, &esr_, &esr_pending_, &icr_low_, &icr_high_}) {
    *v = r.u32();
  }
  for (uint32_t& v : lvt_) v = r.u32();
  for (auto* bits : {&isr_, &tmr_, &irr_}) {
    for (uint32_t& v : *bits) v = r.u32();
  }
  timer_initial_ = r.u32();
  timer_divide_reg_ = r.u32();
  timer_zero_tick_ = r.u64();
  timer_running_ = r.boolean();
}

// --- AtaController ---------------------------------------------------------------------
void BlockImage::save(cpu::ByteWriter& w) const {
  w.u64(reads_);
  w.u64(writes_);
  w.u64(flushes_);
}
void BlockImage::load(cpu::ByteReader& r) {
  reads_ = r.u64();
  writes_ = r.u64();
  flushes_ = r.u64();
}

void AtaController::save(cpu::ByteWriter& w) const {
  for (const Drive& d : drives_) {
    w.boolean(d.image != nullptr);
    if (d.image) d.image->save(w);
    w.u8(d.status);
    w.u8(d.error);
    w.u32(d.multiple);
  }
  w.u8(static_cast<uint8_t>(selected_));
  for (uint8_t v : {features_, sector_count_, lba_low_, lba_mid_, lba_high_, device_, control_}) {
    w.u8(v);
  }
  w.u8(static_cast<uint8_t>(transfer_));
  w.boolean(dma_to_memory_);
  w.u32(static_cast<uint32_t>(buffer_pos_));
  w.u32(static_cast<uint32_t>(buffer_len_));
  w.bytes(std::span<const uint8_t>(buffer_.data(), buffer_len_));
  w.u64(next_lba_);
  w.u32(sectors_left_);
  w.u32(block_sectors_);
  w.boolean(intrq_);
  w.boolean(irq_level_);
  w.u64(commands_);
  w.u64(data_words_);
  w.u64(aborted_);
}

void AtaController::load(cpu::ByteReader& r) {
  for (Drive& d : drives_) {
    // The disks are the configuration's (the fingerprint pins them): the same drives.
    if (r.boolean() != (d.image != nullptr)) r.fail();
    if (d.image && !r.failed()) d.image->load(r);
    d.status = r.u8();
    d.error = r.u8();
    d.multiple = r.u32_at_most(kMaxMultiple);
  }
  selected_ = r.u8_below(2);
  features_ = r.u8();
  sector_count_ = r.u8();
  lba_low_ = r.u8();
  lba_mid_ = r.u8();
  lba_high_ = r.u8();
  device_ = r.u8();
  control_ = r.u8();
  transfer_ = static_cast<Transfer>(r.u8_below(4));
  dma_to_memory_ = r.boolean();
  if (transfer_ == Transfer::kDma && bus_master_ == nullptr) r.fail();
  buffer_pos_ = r.u32_at_most(buffer_.size());
  buffer_len_ = r.u32_at_most(buffer_.size());
  if (buffer_pos_ > buffer_len_ || buffer_len_ % 2 != 0 || buffer_pos_ % 2 != 0) r.fail();
  const auto bytes = r.bytes(buffer_len_);
  if (bytes.size() == buffer_len_) std::copy(bytes.begin(), bytes.end(), buffer_.begin());
  next_lba_ = r.u64();
  sectors_left_ = r.u32_at_most(65536);
  block_sectors_ = r.u32_at_most(kMaxMultiple);
  if (block_sectors_ == 0) r.fail();
  intrq_ = r.boolean();
  irq_level_ = r.boolean();
  commands_ = r.u64();
  data_words_ = r.u64();
  aborted_ = r.u64();
  // A transfer needs the drive it is with.
  if (transfer_ != Transfer::kNone && drives_[selected_].image == nullptr) r.fail();
  if (r.failed()) transfer_ = Transfer::kNone;
}

// --- AtaBusMaster ----------------------------------------------------------------------
void AtaBusMaster::save(cpu::ByteWriter& w) const {
  config_.save(w);
  for (const Channel& c : channels_) {
    w.u8(c.command);
    w.u8(c.status);
    w.u32(c.prd);
    w.u32(c.prd_start);
  }
  w.u64(transfers_);
}

void AtaBusMaster::load(cpu::ByteReader& r) {
  config_.load(r);  // only what software may write can differ from the power-on state
  for (Channel& c : channels_) {
    c.command = r.u8();
    c.status = r.u8();
    c.prd = r.u32();
    c.prd_start = r.u32();
    if ((c.command & ~(kStart | kToMemory)) != 0 || (c.status & 0x98) != 0 || (c.prd & 3) != 0 ||
        (c.prd_start & 3) != 0) {
      r.fail();
    }
  }
  transfers_ = r.u64();
  if (!r.failed()) update_decoding();
}

// --- the console -----------------------------------------------------------------------
void ConsoleOutput::save(cpu::ByteWriter& w) const {
  w.string(captured_);
  w.u64(dropped_);
}
// The output so far comes back without going to the sink: it was the earlier run's.
void ConsoleOutput::load(cpu::ByteReader& r) {
  captured_ = r.string(static_cast<uint32_t>(kCaptureLimit));
  dropped_ = r.u64();
  if (dropped_ != 0 && captured_.size() != kCaptureLimit) r.fail();
}

// The input is the configuration's (the fingerprint pins its bytes): only the position in
// it is state, and only preloaded input (a file) can have one a snapshot can name.
void ConsoleInput::save(cpu::ByteWriter& w) const {
  w.u8(static_cast<uint8_t>(kind_));
  w.u64(bytes_.size());
  w.u64(pos_);
  w.boolean(eof_);
}

void ConsoleInput::load(cpu::ByteReader& r) {
  const auto kind = static_cast<Kind>(r.u8_below(4));
  const uint64_t size = r.u64();
  const uint64_t pos = r.u64();
  const bool eof = r.boolean();
  if (kind != kind_ || (kind_ != Kind::kNone && kind_ != Kind::kPreloaded) ||
      size != bytes_.size() || pos > size) {
    r.fail();
    return;
  }
  pos_ = static_cast<size_t>(pos);
  eof_ = eof;
}

}  // namespace vmlab::machine
