#include "engine/machine/io_bus.h"

#include <algorithm>
#include <cstdio>

namespace vmlab::machine {

namespace {

uint32_t all_ones(unsigned size) {
  return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

std::string hex16(uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

}  // namespace

IoBus::IoBus() : port_map_(0x10000, 0) {}

Result<void> IoBus::attach(uint16_t base, uint32_t count, IoDevice& device, std::string name,
                           uint16_t first_offset) {
  if (count == 0 || uint32_t{base} + count > 0x10000) {
    return Error{"cannot attach " + name + ": port range " + hex16(base) + "+" +
                     std::to_string(count) + " is empty or runs past port 0xFFFF",
                 EINVAL};
  }
  for (uint32_t p = base; p < base + count; ++p) {
    if (port_map_[p] != 0) {
      const Range& other = ranges_[port_map_[p] - 1];
      return Error{"cannot attach " + name + " at ports " + hex16(base) + "-" +
                       hex16(base + count - 1) + ": port " + hex16(p) + " already belongs to " +
                       other.name,
                   EBUSY};
    }
  }
  // A slot a detached range left is used again, so that moving a BAR does not grow the list.
  size_t slot = 0;
  while (slot < ranges_.size() && ranges_[slot].device != nullptr) ++slot;
  if (slot == ranges_.size()) ranges_.push_back({});
  ranges_[slot] = Range{base, count, first_offset, &device, std::move(name)};
  const auto index = static_cast<uint16_t>(slot + 1);
  for (uint32_t p = base; p < base + count; ++p) port_map_[p] = index;
  return {};
}

void IoBus::detach(uint16_t base, const IoDevice& device) {
  const uint16_t index = port_map_[base];
  if (index == 0) return;
  Range& r = ranges_[index - 1];
  if (r.device != &device || r.base != base) return;
  for (uint32_t p = base; p < base + r.count; ++p) port_map_[p] = 0;
  r.device = nullptr;
  r.count = 0;
}

uint32_t IoBus::read(uint16_t port, unsigned size) {
  const uint16_t index = port_map_[port];
  uint32_t value;
  if (index == 0) {
    value = all_ones(size);
    record_unassigned(port);
  } else {
    const Range& r = ranges_[index - 1];
    value = r.device->io_read(static_cast<uint16_t>(port - r.base + r.first_offset), size) &
            all_ones(size);
  }
  if (observer_ != nullptr) {
    observer_->on_io(
        IoAccess{port, static_cast<uint8_t>(size), value, IoDirection::kRead, index != 0});
  }
  return value;
}

void IoBus::write(uint16_t port, unsigned size, uint32_t value) {
  value &= all_ones(size);
  const uint16_t index = port_map_[port];
  if (index == 0) {
    record_unassigned(port);
  } else {
    const Range& r = ranges_[index - 1];
    r.device->io_write(static_cast<uint16_t>(port - r.base + r.first_offset), size, value);
  }
  if (observer_ != nullptr) {
    observer_->on_io(
        IoAccess{port, static_cast<uint8_t>(size), value, IoDirection::kWrite, index != 0});
  }
}

void IoBus::record_unassigned(uint16_t port) {
  recent_[unassigned_count_ % kRecentUnassigned] = port;
  ++unassigned_count_;
}

std::vector<uint16_t> IoBus::recent_unassigned_ports() const {
  const size_t n = std::min<uint64_t>(unassigned_count_, kRecentUnassigned);
  std::vector<uint16_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(recent_[(unassigned_count_ - n + i) % kRecentUnassigned]);
  }
  return out;
}

}  // namespace vmlab::machine
