#include "engine/machine/pic_pair.h"

#include <utility>

namespace vmlab::machine {

PicPair::PicPair(std::function<void()> on_intr_change)
    : on_intr_change_(std::move(on_intr_change)),
      master_([this] {
        if (on_intr_change_) on_intr_change_();
      }),
      slave_([this] { slave_changed(); }) {}

void PicPair::slave_changed() {
  master_.set_cascade_input(kCascadeIrq, slave_.int_output());
}

void PicPair::set_irq(unsigned irq, bool high) {
  if (irq < 8) {
    master_.set_irq(irq, high);
  } else {
    slave_.set_irq(irq - 8, high);
  }
}

uint8_t PicPair::acknowledge() {
  bool spurious = false;
  const uint8_t level = master_.acknowledge(spurious);
  if (spurious) {
    ++spurious_;
    return master_.vector_for(7);
  }
  if (level != kCascadeIrq) return master_.vector_for(level);
  const uint8_t slave_level = slave_.acknowledge(spurious);
  if (spurious) ++spurious_;
  return slave_.vector_for(slave_level);
}

bool PicPair::can_deliver(unsigned irq) const {
  if (irq < 8) return master_.can_deliver(irq);
  return slave_.can_deliver(irq - 8) && master_.can_deliver(kCascadeIrq);
}

}  // namespace vmlab::machine
