// The snapshot files' byte encoding: ByteWriter and ByteReader of engine/cpu/state_codec.h,
// where every layer that saves its own state can reach them.
#pragma once

#include "engine/cpu/state_codec.h"

namespace vmlab::snapshot {
using cpu::ByteReader;
using cpu::ByteWriter;
}  // namespace vmlab::snapshot
