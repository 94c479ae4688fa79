/*
 * The paravirtual ABI, guest side: the numbers and layouts the monitor and the
 * guest agree on. docs/pv-abi.md is the reference; the monitor's copy is
 * modes/paravirt/pv_abi.h (tests/pv/pv_vs_native.py checks the two agree).
 * Hypercall and command numbers are Xen's public ones.
 */
#ifndef VMLAB_GUEST_PV_ABI_H
#define VMLAB_GUEST_PV_ABI_H

#define PV_ABI_VERSION 1
/* The ELF note that marks a kernel able to boot under --mode pv (as Xen's domain builder
 * looks for the XEN_ELFNOTE_* notes): name "vmlab", this type, the ABI version. boot.S
 * emits it. */
#define PV_NOTE_TYPE_ABI 1
#define PV_HYPERCALL_STRIDE 32 /* hypercall page: `mov $n,%eax; int $0x82; ret` */

/* Hypercall numbers (Xen's __HYPERVISOR_*). */
#define HYPERVISOR_set_trap_table 0
#define HYPERVISOR_mmu_update 1
#define HYPERVISOR_stack_switch 3
#define HYPERVISOR_set_callbacks 4
#define HYPERVISOR_update_va_mapping 14
#define HYPERVISOR_set_timer_op 15
#define HYPERVISOR_xen_version 17
#define HYPERVISOR_console_io 18
#define HYPERVISOR_mmuext_op 26
#define HYPERVISOR_sched_op 29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_physdev_op 33

/* Errors come back as -errno. */
#define PV_EPERM 1
#define PV_EFAULT 14
#define PV_EBUSY 16
#define PV_EINVAL 22
#define PV_ENOSYS 38

#define XENVER_get 0
#define XENVER_request 1
#define CONSOLEIO_write 0
#define MMU_NORMAL_PT_UPDATE 0
#define MMUEXT_PIN_L1_TABLE 0
#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define UVMF_TLB_FLUSH 1
#define UVMF_INVLPG 2
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define EVTCHNOP_send 4
#define PHYSDEVOP_port_read 100
#define PHYSDEVOP_port_write 101

/* The block ring (Xen's io/blkif.h as an interface; docs/pv-abi.md, "Block ring"). */
#define BLKIF_RING_SIZE 32
#define BLKIF_MAX_SEGMENTS_PER_REQUEST 11
#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_RSP_OKAY 0
#define BLKIF_RSP_ERROR (-1)
#define BLKIF_RSP_EOPNOTSUPP (-2)
#define BLKIF_INFO_READONLY 1
/* Grant-table entry flags (Xen's GTF_*); the back end is domain 0. */
#define GTF_permit_access 1
#define GTF_readonly 4

/* trap_info flags: bits 0-1 DPL, bit 2 mask events on entry (an interrupt gate). */
#define TI_DPL(d) ((d)&3)
#define TI_MASK_EVENTS 4

#define PV_RING1_CS 0x09
#define PV_RING1_DS 0x11

#ifndef __ASSEMBLER__
#include "../common/types.h"

struct pv_start_info {
  u32 magic; /* PV_BOOT_MAGIC */
  u32 abi_version;
  u32 nr_pages;
  u32 shared_info;    /* virtual addresses ... */
  u32 hypercall_page;
  u32 console_ring;
  u32 console_port;
  u32 timer_port;
  u32 p2m; /* u32[nr_pages]: pfn -> mfn */
  u32 m2p; /* u32[m2p_entries]: mfn -> pfn */
  u32 m2p_entries;
  u32 pt_base; /* the bootstrap page directory */
  u32 nr_pt_frames;
  u32 first_free_pfn;
  u32 tsc_khz;
  u32 flags;
  char cmdline[1024];
  /* The block device; all 0 without a disk. */
  u32 blk_ring;     /* virtual address of the shared ring page */
  u32 grant_table;  /* virtual address of the grant-table page */
  u32 grant_entries;
  u32 blk_port;
  u32 blk_sectors_lo, blk_sectors_hi;
  u32 blk_info; /* BLKIF_INFO_READONLY */
  /* The second disk (vbd 1): its own ring and port, the same grant table; all 0 without. */
  u32 blk1_ring;
  u32 blk1_port;
  u32 blk1_sectors_lo, blk1_sectors_hi;
  u32 blk1_info;
};

struct pv_shared_info {
  volatile u8 upcall_pending;
  volatile u8 upcall_mask; /* the virtual interrupt flag: 1 = events off */
  u8 pad[2];
  volatile u32 cr2;
  volatile u32 evtchn_pending;
  volatile u32 evtchn_mask;
};

struct pv_console_ring {
  char in[1024];
  char out[2048];
  volatile u32 in_cons, in_prod;
  volatile u32 out_cons, out_prod;
};

struct blkif_segment {
  u32 gref;
  u8 first_sect, last_sect; /* sectors 0-7 of the granted page */
  u16 pad;
};

struct blkif_request {
  u8 operation;
  u8 nr_segments;
  u16 handle;
  u32 id;
  u64 sector_number;
  struct blkif_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct blkif_response {
  u32 id;
  u8 operation;
  u8 pad;
  int16_t status;
};

union blkif_slot {
  struct blkif_request req;
  struct blkif_response rsp;
};

struct blkif_sring {
  volatile u32 req_prod, req_event;
  volatile u32 rsp_prod, rsp_event;
  u8 pad[48];
  union blkif_slot ring[BLKIF_RING_SIZE];
};

struct grant_entry {
  volatile u16 flags;
  u16 domid;
  u32 frame; /* guest frame number */
};

struct pv_trap_info {
  u8 vector;
  u8 flags;
  u16 cs;
  u32 address;
};

struct pv_mmu_update {
  u32 ptr; /* machine address of the entry | command */
  u32 val;
};

struct pv_mmuext_op {
  u32 cmd;
  u32 arg1; /* mfn, or linear address for INVLPG */
  u32 arg2;
};
#endif

#endif
