/*
 * The block ring's front end (blkfront.c; docs/pv-abi.md, "Block ring"): the PV guest's
 * disk driver, behind the same seam as the ATA driver (blk.h: blkfront_ops).
 */
#ifndef VMLAB_GUEST_BLKFRONT_H
#define VMLAB_GUEST_BLKFRONT_H

#include "pv_abi.h"

/* Takes the ring, the grant table and the disk's size from the start-info page (at
 * boot; a domain without a disk has none, and the probe then finds no disk). */
void blkfront_setup(const struct pv_start_info* si);

#endif
