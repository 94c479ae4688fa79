#include "modes/paravirt/direct_paging.h"

#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {

DirectPaging::DirectPaging(MachineMemory& memory) : memory_(memory), frames_(memory.frames()) {}

void DirectPaging::set_owned(uint32_t mfn, bool owned) {
  if (mfn < frames_.size()) frames_[mfn].owned = owned;
}

int32_t DirectPaging::set_permanent_writable(uint32_t mfn) {
  if (!owned(mfn)) return -abi::kEPERM;
  if (frames_[mfn].permanent) return 0;  // one permanent reference is enough
  if (const int32_t r = get_type(mfn, Type::writable); r != 0) return r;
  frames_[mfn].permanent = true;
  return 0;
}

// --- Types and their counts -------------------------------------------------------------

int32_t DirectPaging::get_type(uint32_t mfn, Type type) {
  if (!owned(mfn)) return -abi::kEPERM;
  Frame& f = frames_[mfn];
  if (f.type_count > 0) {
    // The types are exclusive: this is the rule that keeps page tables read-only.
    if (f.type != type) return -abi::kEINVAL;
    ++f.type_count;
    return 0;
  }
  f.type = type;
  f.type_count = 1;
  if (type == Type::l1 || type == Type::l2) {
    // The frame claims its new type before its entries are checked, so a table that
    // maps itself writable, or a directory that names itself as a page table, fails.
    if (const int32_t r = validate_table(mfn, type); r != 0) {
      f.type = Type::none;
      f.type_count = 0;
      return r;
    }
    // A writable mapping dropped since the last full flush may still sit in the TLB.
    if (f.writable_dropped_epoch == flush_epoch_) flush_needed_ = true;
  }
  return 0;
}

void DirectPaging::put_type(uint32_t mfn) {
  Frame& f = frames_[mfn];
  if (f.type_count == 0) return;
  if (--f.type_count > 0) return;
  if (f.type == Type::l1 || f.type == Type::l2) {
    devalidate_table(mfn, f.type);
  } else if (f.type == Type::writable) {
    f.writable_dropped_epoch = flush_epoch_;
  }
  f.type = Type::none;
}

// --- Entries ------------------------------------------------------------------------------

int32_t DirectPaging::get_entry_refs(Type level, uint32_t index, uint32_t value) {
  if (!(value & kPresent)) return 0;
  const uint32_t target = value >> 12;
  if (level == Type::l2) {
    // The hypervisor hole is the monitor's in every address space (Xen 32-bit).
    if (index >= abi::kFirstHoleSlot) return -abi::kEPERM;
    // No 4 MiB pages for a PV guest, and no global bit (the disallow mask).
    if (value & kDisallowMask) return -abi::kEINVAL;
    if (!owned(target)) return -abi::kEPERM;
    return get_type(target, Type::l1);
  }
  if (value & kDisallowMask) return -abi::kEINVAL;
  if (!owned(target)) return -abi::kEPERM;
  // A read-only mapping needs no type: the guest may read its own page tables.
  return (value & kWritable) ? get_type(target, Type::writable) : 0;
}

void DirectPaging::put_entry_refs(Type level, uint32_t index, uint32_t value) {
  if (!(value & kPresent)) return;
  if (level == Type::l2) {
    if (index < abi::kFirstHoleSlot) put_type(value >> 12);
  } else if (value & kWritable) {
    put_type(value >> 12);
  }
}

bool DirectPaging::same_refs(Type level, uint32_t a, uint32_t b) {
  const bool pa = (a & kPresent) != 0, pb = (b & kPresent) != 0;
  if (!pa || !pb) return pa == pb;
  if ((a >> 12) != (b >> 12)) return false;
  if (level == Type::l2) return !(b & kLargePage);
  return (a & kWritable) == (b & kWritable);
}

int32_t DirectPaging::validate_table(uint32_t mfn, Type level) {
  const uint32_t base = mfn * MachineMemory::kPageSize;
  const uint32_t guest_slots = level == Type::l2 ? abi::kFirstHoleSlot : kEntries;
  for (uint32_t i = 0; i < guest_slots; ++i) {
    const int32_t r = get_entry_refs(level, i, memory_.read32(base + i * 4));
    if (r != 0) {
      for (uint32_t j = 0; j < i; ++j) put_entry_refs(level, j, memory_.read32(base + j * 4));
      return r;
    }
  }
  stats_.entries_validated += guest_slots;
  ++stats_.tables_validated;
  if (level == Type::l2) {
    for (uint32_t i = abi::kFirstHoleSlot; i < kEntries; ++i) {
      memory_.write32(base + i * 4, hole_entries_[i - abi::kFirstHoleSlot]);
    }
  }
  return 0;
}

void DirectPaging::devalidate_table(uint32_t mfn, Type level) {
  const uint32_t base = mfn * MachineMemory::kPageSize;
  const uint32_t guest_slots = level == Type::l2 ? abi::kFirstHoleSlot : kEntries;
  for (uint32_t i = 0; i < guest_slots; ++i) {
    const uint32_t old = memory_.read32(base + i * 4);
    note_replaced(level, old);
    put_entry_refs(level, i, old);
  }
  // The hole's entries are the monitor's: they do not stay behind in a frame the guest
  // may map writable again.
  if (level == Type::l2) {
    for (uint32_t i = abi::kFirstHoleSlot; i < kEntries; ++i) memory_.write32(base + i * 4, 0);
  }
}

// --- The operations -----------------------------------------------------------------------

// Journey stop 25: every entry a hypercall writes is validated here (docs/journey.md).
int32_t DirectPaging::update_entry(uint32_t entry_ma, uint32_t value) {
  if (entry_ma & 3) return refuse(-abi::kEINVAL);
  const uint32_t mfn = entry_ma >> 12;
  if (!owned(mfn)) return refuse(-abi::kEPERM);
  const Frame& f = frames_[mfn];
  if (f.type_count == 0 || (f.type != Type::l1 && f.type != Type::l2)) {
    return refuse(-abi::kEINVAL);  // not a page table: the guest writes it directly
  }
  const Type level = f.type;
  const uint32_t index = (entry_ma & (MachineMemory::kPageSize - 1)) >> 2;
  if (level == Type::l2 && index >= abi::kFirstHoleSlot) return refuse(-abi::kEPERM);
  // The disallow mask holds even when the entry keeps its frame and access.
  if ((value & kPresent) && (value & kDisallowMask)) return refuse(-abi::kEINVAL);
  const uint32_t old = memory_.read32(entry_ma);
  note_replaced(level, old);
  if (!same_refs(level, old, value)) {
    // New references first: if they cannot be had, nothing has changed.
    if (const int32_t r = get_entry_refs(level, index, value); r != 0) return refuse(r);
    memory_.write32(entry_ma, value);
    put_entry_refs(level, index, old);
  } else {
    memory_.write32(entry_ma, value);
  }
  ++stats_.updates;
  return 0;
}

int32_t DirectPaging::pin(uint32_t mfn, Type level) {
  if (level != Type::l1 && level != Type::l2) return refuse(-abi::kEINVAL);
  if (!owned(mfn)) return refuse(-abi::kEPERM);
  if (frames_[mfn].pinned) return refuse(-abi::kEINVAL);
  if (const int32_t r = get_type(mfn, level); r != 0) return refuse(r);
  frames_[mfn].pinned = true;
  return 0;
}

int32_t DirectPaging::unpin(uint32_t mfn) {
  if (!owned(mfn)) return refuse(-abi::kEPERM);
  Frame& f = frames_[mfn];
  if (!f.pinned) return refuse(-abi::kEINVAL);
  // The page directory the processor is using stays pinned while it is in CR3.
  if (has_baseptr_ && mfn == baseptr_) return refuse(-abi::kEBUSY);
  f.pinned = false;
  put_type(mfn);
  return 0;
}

int32_t DirectPaging::new_baseptr(uint32_t mfn) {
  if (!owned(mfn)) return refuse(-abi::kEPERM);
  if (const int32_t r = get_type(mfn, Type::l2); r != 0) return refuse(r);
  if (has_baseptr_) put_type(baseptr_);
  baseptr_ = mfn;
  has_baseptr_ = true;
  return 0;
}

}  // namespace vmlab::modes::paravirt
