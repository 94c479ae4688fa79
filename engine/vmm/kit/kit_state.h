// Saved state of the monitor kit's parts that modes share (docs/snapshots.md, "Loading a
// snapshot"): the virtual CPU and the P2M's device frame. The shadow MMU and the monitor
// frames save themselves (ShadowMmu::save, MonitorFrames::save); all of them are defined in
// kit_state.cpp. Loaders fail the reader on a value out of range.
#pragma once

#include "engine/cpu/state_codec.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vcpu.h"

namespace vmlab::vmm {

void save_vcpu(const VirtualCpu& v, cpu::ByteWriter& w);
void load_vcpu(VirtualCpu& v, cpu::ByteReader& r);
void save_p2m_device(const P2m& p2m, cpu::ByteWriter& w);
void load_p2m_device(P2m& p2m, cpu::ByteReader& r);

}  // namespace vmlab::vmm
