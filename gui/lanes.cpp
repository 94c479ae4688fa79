#include "gui/lanes.h"

#include <QtGlobal>

namespace vmlab::gui {

using vmm::EventKind;

Lane lane_of(EventKind kind) {
  switch (kind) {
    case EventKind::trap: return Lane::trap;
    case EventKind::emulated_insn:
    case EventKind::sensitive_no_trap: return Lane::emulated;
    case EventKind::hypercall:
    case EventKind::ring_notify: return Lane::hypercall;
    case EventKind::hidden_fault: return Lane::hidden_fault;
    case EventKind::true_fault: return Lane::true_fault;
    case EventKind::guest_pt_write:
    case EventKind::shadow_update: return Lane::pt_write;
    case EventKind::bt_translate:
    case EventKind::bt_callout:
    case EventKind::bt_chain:
    case EventKind::bt_lookup_hit:
    case EventKind::bt_lookup_miss:
    case EventKind::bt_in_tc:
    case EventKind::bt_adapt:
    case EventKind::bt_flush:
    case EventKind::bt_invalidate: return Lane::bt;
    case EventKind::port_io:
    case EventKind::mmio:
    case EventKind::blk_request: return Lane::port_io;
    case EventKind::exception:
    case EventKind::external_interrupt:
    case EventKind::software_interrupt:
    case EventKind::virq_inject:
    case EventKind::page_fault: return Lane::interrupt;
    case EventKind::cr3_switch:
    case EventKind::tlb_flush:
    case EventKind::invlpg:
    case EventKind::cr_write:
    case EventKind::nested_walk: return Lane::cr3_tlb;
    case EventKind::machine_stop:
    case EventKind::hole_access: return Lane::other;
  }
  return Lane::other;
}

const char* lane_name(Lane lane) {
  static constexpr std::array<const char*, kNumLanes> kNames = {
      QT_TRANSLATE_NOOP("Lane", "Trap / VM exit"),
      QT_TRANSLATE_NOOP("Lane", "Emulated instruction"),
      QT_TRANSLATE_NOOP("Lane", "Hypercall"),
      QT_TRANSLATE_NOOP("Lane", "Hidden fault"),
      QT_TRANSLATE_NOOP("Lane", "True fault"),
      QT_TRANSLATE_NOOP("Lane", "Guest PT write"),
      QT_TRANSLATE_NOOP("Lane", "BT translate / callout"),
      QT_TRANSLATE_NOOP("Lane", "Port / MMIO"),
      QT_TRANSLATE_NOOP("Lane", "Interrupt / exception"),
      QT_TRANSLATE_NOOP("Lane", "CR3 switch / TLB"),
      QT_TRANSLATE_NOOP("Lane", "Other"),
  };
  return kNames[index_of(lane)];
}

uint32_t lane_colour(Lane lane) {
  static constexpr std::array<uint32_t, kNumLanes> kColours = {
      0xD55E00,  // vermillion
      0xE69F00,  // orange
      0x009E73,  // bluish green
      0x56B4E9,  // sky blue
      0xCC79A7,  // reddish purple
      0x0072B2,  // blue
      0x8C564B,  // brown
      0x7F7F7F,  // grey
      0xB8A100,  // dark yellow
      0x6A3D9A,  // purple
      0x333333,  // near black
  };
  return kColours[index_of(lane)];
}

}  // namespace vmlab::gui
