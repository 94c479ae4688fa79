// The paravirtual ABI between the monitor and the guest: hypercall numbers, argument
// structures, the start-info and shared-info layouts, the console ring, error codes.
//
// docs/pv-abi.md is the reference; guest/kernel/pv_abi.h is the guest's copy of the same
// numbers (tests/pv/pv_vs_native.py checks that the two agree). Hypercall numbers and
// command values are Xen's public ones (xen/include/public/xen.h, as quoted in
// /work/shared/references/papers.md section 2f), so that a student can put this next to
// Xen's interface and see the same calls; the structures are simplified to 32-bit fields
// where Xen uses 64-bit ones.
#pragma once

#include <cstdint>

#include "engine/vmm/core/hypervisor_hole.h"

namespace vmlab::modes::paravirt::abi {

// The entry protocol (docs/pv-abi.md, "Boot"): EAX holds this at the kernel's entry and
// the start-info page begins with it ("PLMV"), as guest/kernel/multiboot.h reserves.
inline constexpr uint32_t kBootMagic = 0x564D4C50;
// The one ABI version this monitor offers.
inline constexpr uint32_t kAbiVersion = 1;
// The ELF note type of a PV-aware kernel's note (name "vmlab", descriptor: the ABI version
// it speaks), as guest/kernel/pv_abi.h defines PV_NOTE_TYPE_ABI.
inline constexpr uint32_t kNoteTypeAbi = 1;

// The hypercall instruction: INT 0x82, as Xen on 32-bit x86 (TRAP_INSTR).
inline constexpr uint8_t kHypercallVector = 0x82;
// The guest's fast system-call vector, delivered straight through the real IDT.
inline constexpr uint8_t kSyscallVector = 0x80;
// Each hypercall-page entry is 32 bytes: `mov $n, %eax; int $0x82; ret` (Xen's layout).
inline constexpr uint32_t kHypercallStride = 32;

// Hypercall numbers (Xen's __HYPERVISOR_*).
enum Hypercall : uint32_t {
  kSetTrapTable = 0,
  kMmuUpdate = 1,
  kStackSwitch = 3,
  kSetCallbacks = 4,
  kUpdateVaMapping = 14,
  kSetTimerOp = 15,
  kXenVersion = 17,
  kConsoleIo = 18,
  kMmuextOp = 26,
  kSchedOp = 29,
  kEventChannelOp = 32,
  kPhysdevOp = 33,
};
inline constexpr uint32_t kHypercallPageEntries = 64;  // numbers 0..63 have a stub

// Error codes: hypercalls return -errno (Linux/Xen values).
enum Errno : int32_t {
  kEPERM = 1,
  kEFAULT = 14,
  kEBUSY = 16,
  kEINVAL = 22,
  kENOSYS = 38,
};

// xen_version commands.
inline constexpr uint32_t kVersionGet = 0;      // returns the offered ABI version
inline constexpr uint32_t kVersionRequest = 1;  // arg = version the guest speaks: 0 or -EINVAL

// console_io commands (Xen's CONSOLEIO_write).
inline constexpr uint32_t kConsoleWrite = 0;

// mmu_update: an array of {ptr, val}; ptr's low two bits are the command.
inline constexpr uint32_t kMmuNormalPtUpdate = 0;
inline constexpr uint32_t kMmuMachphysUpdate = 1;  // not offered: -ENOSYS
inline constexpr uint32_t kMmuUpdateSize = 8;      // u32 ptr, u32 val
inline constexpr uint32_t kMaxBatch = 2048;        // at most this many requests per call

// mmuext_op: an array of {cmd, arg1, arg2} (12 bytes). Xen's MMUEXT_* numbers.
enum MmuextCmd : uint32_t {
  kPinL1Table = 0,
  kPinL2Table = 1,
  kUnpinTable = 4,
  kNewBaseptr = 5,
  kTlbFlushLocal = 6,
  kInvlpgLocal = 7,
};
inline constexpr uint32_t kMmuextOpSize = 12;

// update_va_mapping flags (Xen's UVMF_*).
inline constexpr uint32_t kUvmfTlbFlush = 1;
inline constexpr uint32_t kUvmfInvlpg = 2;

// sched_op commands (Xen's SCHEDOP_*). shutdown's argument is the exit status here.
inline constexpr uint32_t kSchedYield = 0;
inline constexpr uint32_t kSchedBlock = 1;
inline constexpr uint32_t kSchedShutdown = 2;

// event_channel_op commands (Xen's EVTCHNOP_send).
inline constexpr uint32_t kEvtchnSend = 4;

// physdev_op: vmlab's own commands for the port I/O a PV guest may still ask for.
inline constexpr uint32_t kPhysdevPortRead = 100;   // arg = port; only port 0x80
inline constexpr uint32_t kPhysdevPortWrite = 101;  // arg = port, value; only port 0x80
inline constexpr uint16_t kPostPort = 0x80;

// Event-channel ports (fixed, named in the start-info page).
inline constexpr uint32_t kConsolePort = 1;    // guest -> monitor: console ring has output
inline constexpr uint32_t kTimerPort = 2;      // monitor -> guest: the set_timer_op deadline
inline constexpr uint32_t kBlkPort = 3;        // both ways: the block ring (blk_back.h)
inline constexpr uint32_t kBlk1Port = 4;       // both ways: the second disk's block ring
inline constexpr uint32_t kMaxBlkDevices = 2;  // virtual disks (vbd 0 and 1), as the two ATA units
inline constexpr uint32_t blk_port(uint32_t vbd) {
  return vbd == 0 ? kBlkPort : kBlk1Port;
}
inline constexpr uint32_t kNumPorts = 32;

// trap_info (set_trap_table): u8 vector, u8 flags, u16 cs, u32 address; 8 bytes; the
// table ends at an entry whose address is 0. flags bits 0-1: the DPL a software INT must
// satisfy; bit 2: mask events on entry (an interrupt gate; Xen's TI_SET_IF).
inline constexpr uint32_t kTrapInfoSize = 8;
inline constexpr uint8_t kTrapFlagDplMask = 3;
inline constexpr uint8_t kTrapFlagMaskEvents = 4;

// The start-info page (virtual address in ESI at entry). Byte offsets.
namespace start_info {
inline constexpr uint32_t kMagic = 0;
inline constexpr uint32_t kAbiVersion = 4;
inline constexpr uint32_t kNrPages = 8;
inline constexpr uint32_t kSharedInfo = 12;     // virtual address
inline constexpr uint32_t kHypercallPage = 16;  // virtual address
inline constexpr uint32_t kConsoleRing = 20;    // virtual address
inline constexpr uint32_t kConsolePortOff = 24;
inline constexpr uint32_t kTimerPortOff = 28;
inline constexpr uint32_t kP2m = 32;  // virtual address of u32[nr_pages]: pfn -> mfn
inline constexpr uint32_t kM2p = 36;  // virtual address of u32[m2p_entries]: mfn -> pfn
inline constexpr uint32_t kM2pEntries = 40;
inline constexpr uint32_t kPtBase = 44;  // virtual address of the bootstrap page directory
inline constexpr uint32_t kNrPtFrames = 48;
inline constexpr uint32_t kFirstFreePfn = 52;
inline constexpr uint32_t kTscKhz = 56;
inline constexpr uint32_t kFlags = 60;
inline constexpr uint32_t kCmdline = 64;
inline constexpr uint32_t kCmdlineSize = 1024;
// The block device (docs/pv-abi.md, "Block ring"); all 0 when the domain has no disk.
inline constexpr uint32_t kBlkRing = 1088;       // virtual address of the shared ring page
inline constexpr uint32_t kGrantTable = 1092;    // virtual address of the grant table page
inline constexpr uint32_t kGrantEntries = 1096;  // entries in it
inline constexpr uint32_t kBlkPortOff = 1100;
inline constexpr uint32_t kBlkSectorsLo = 1104;  // the disk's size in 512-byte sectors
inline constexpr uint32_t kBlkSectorsHi = 1108;
inline constexpr uint32_t kBlkInfo = 1112;  // bit 0: readonly (Xen's VDISK_READONLY role)
// The second virtual disk (vbd 1, handle 1): its own ring and port, the same grant table;
// all 0 when the domain has fewer than two disks.
inline constexpr uint32_t kBlk1Ring = 1116;
inline constexpr uint32_t kBlk1PortOff = 1120;
inline constexpr uint32_t kBlk1SectorsLo = 1124;
inline constexpr uint32_t kBlk1SectorsHi = 1128;
inline constexpr uint32_t kBlk1Info = 1132;
}  // namespace start_info

// The shared-info page. Byte offsets (Xen: vcpu_info then the event bitmaps).
namespace shared_info {
inline constexpr uint32_t kUpcallPending = 0;  // u8
inline constexpr uint32_t kUpcallMask = 1;     // u8: the guest's virtual interrupt flag (1 = off)
inline constexpr uint32_t kCr2 = 4;            // u32: faulting address of the last #PF
inline constexpr uint32_t kEvtchnPending = 8;  // u32: one bit per port
inline constexpr uint32_t kEvtchnMask = 12;    // u32: one bit per port
}  // namespace shared_info

// The console ring page (Xen's xencons_interface).
namespace console_ring {
inline constexpr uint32_t kIn = 0;
inline constexpr uint32_t kInSize = 1024;
inline constexpr uint32_t kOut = 1024;
inline constexpr uint32_t kOutSize = 2048;
inline constexpr uint32_t kInCons = 3072;
inline constexpr uint32_t kInProd = 3076;
inline constexpr uint32_t kOutCons = 3080;
inline constexpr uint32_t kOutProd = 3084;
}  // namespace console_ring

// The block ring page (Xen's public io/blkif.h and io/ring.h, as interfaces: the field
// order and the op, status and index rules are Xen's; the fields are 32-bit here). The
// header holds the free-running indexes, then 32 slots, each a request or, once answered,
// its response.
namespace blk {
inline constexpr uint32_t kReqProd = 0;    // u32: written by the front end
inline constexpr uint32_t kReqEvent = 4;   // u32: the back end wants a notification at this
inline constexpr uint32_t kRspProd = 8;    // u32: written by the back end
inline constexpr uint32_t kRspEvent = 12;  // u32: the front end wants a notification at this
inline constexpr uint32_t kSlots = 64;     // the first slot
inline constexpr uint32_t kSlotSize = 104;
inline constexpr uint32_t kRingSize = 32;  // slots (a power of two, as __RING_SIZE makes it)
// A request: u8 operation, u8 nr_segments, u16 handle, u32 id, u64 sector_number, then
// nr_segments segments of {u32 gref, u8 first_sect, u8 last_sect, u16 pad}.
inline constexpr uint32_t kReqOperation = 0;
inline constexpr uint32_t kReqNrSegments = 1;
inline constexpr uint32_t kReqId = 4;
inline constexpr uint32_t kReqSector = 8;
inline constexpr uint32_t kReqSegments = 16;
inline constexpr uint32_t kSegmentSize = 8;
inline constexpr uint32_t kMaxSegments = 11;  // BLKIF_MAX_SEGMENTS_PER_REQUEST
inline constexpr uint32_t kSectorsPerPage = 8;
// A response: u32 id, u8 operation, u8 pad, i16 status.
inline constexpr uint32_t kRspId = 0;
inline constexpr uint32_t kRspOperation = 4;
inline constexpr uint32_t kRspStatus = 6;
// Operations (BLKIF_OP_*).
inline constexpr uint8_t kOpRead = 0;
inline constexpr uint8_t kOpWrite = 1;
inline constexpr uint8_t kOpFlush = 3;  // BLKIF_OP_FLUSH_DISKCACHE
// Statuses (BLKIF_RSP_*).
inline constexpr int16_t kRspOkay = 0;
inline constexpr int16_t kRspError = -1;
inline constexpr int16_t kRspNotSupported = -2;
}  // namespace blk

// The grant table: one page of entries {u16 flags, u16 domid, u32 frame} (Xen's
// grant_entry_v1); frame is a guest frame number, checked against the P2M.
namespace grant {
inline constexpr uint32_t kEntrySize = 8;
inline constexpr uint32_t kEntries = 4096 / kEntrySize;
inline constexpr uint32_t kFlags = 0;
inline constexpr uint32_t kDomid = 2;
inline constexpr uint32_t kFrame = 4;
inline constexpr uint16_t kPermitAccess = 1;  // GTF_permit_access
inline constexpr uint16_t kReadonly = 4;      // GTF_readonly: the back end may only read
inline constexpr uint16_t kBackendDomid = 0;  // the monitor's back end is domain 0
}  // namespace grant

// The guest's address space as the monitor builds it.
inline constexpr uint32_t kKernBase = 0xC0000000;
inline constexpr uint32_t kHypervisorHole = vmm::hole::kBase;  // engine/vmm/core/hypervisor_hole.h
inline constexpr uint32_t kFirstHoleSlot = vmm::hole::kFirstPde;  // page-directory slot 1008
inline constexpr uint32_t kMaxDirectMapBytes = 512u << 20;        // the guest maps at most this

// The monitor's GDT (the same layout as the guest's gdt.c, so the guest's selectors work).
inline constexpr uint16_t kRing1Cs = 0x09;  // index 1, RPL 1 (Xen's FLAT_RING1_CS role)
inline constexpr uint16_t kRing1Ds = 0x11;  // index 2, RPL 1
inline constexpr uint16_t kUserCs = 0x1B;   // index 3, RPL 3
inline constexpr uint16_t kUserDs = 0x23;   // index 4, RPL 3
inline constexpr uint16_t kTssSel = 0x28;   // index 5
inline constexpr uint32_t kGdtEntries = 6;

}  // namespace vmlab::modes::paravirt::abi
