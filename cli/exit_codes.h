// The exit statuses of `vmlab`, as a Unix tool's: the guest's own status when it stops
// the machine through the exit port, and distinct codes (after sysexits.h where one fits)
// for everything else. docs/cli.md lists them; scripts and lab checkers rely on them, so
// the values never change.
#pragma once

namespace vmlab::cli {

enum ExitCode : int {
  // 0..63: the guest wrote this status to the exit port 0xF4 (a larger value shows as 63).
  kGuestStatusMax = 63,
  kUsage = 64,            // bad command line (EX_USAGE)
  kBadImage = 65,         // not a loadable Multiboot ELF kernel (EX_DATAERR)
  kNoInput = 66,          // a file could not be opened or created (EX_NOINPUT)
  kUnavailable = 69,      // a service vmlab needs is missing: sbatch for --slurm (EX_UNAVAILABLE)
  kInternal = 70,         // a bug in vmlab (EX_SOFTWARE)
  kTripleFault = 71,      // the guest triple-faulted: the virtual processor shut down
  kBudgetExhausted = 72,  // --max-instructions ran out before the guest stopped
  kGuestHung = 73,        // halted with nothing that could wake it (e.g. CLI; HLT)
  kUnsupported = 74,      // the guest used something vmlab does not model
  kGuestReset = 75,       // the guest asked for a reset (i8042 0xFE, port 0x92)
  kNotImplemented = 76,   // a requested mode or feature is not implemented yet
  // --disk images that cannot be used (engine/machine/block_image.h, docs/disk.md).
  kDiskMissing = 80,       // no such file
  kDiskIsDirectory = 81,   // a directory
  kDiskNoPermission = 82,  // no permission to read it
  kDiskBadSize = 83,       // empty, or not a multiple of 512 bytes
  kDiskReadOnly = 84,      // a read-only file without ,readonly
  kDiskNotRegular = 85,    // a FIFO, device or other non-regular file
  // --restore refused the snapshot (engine/snapshot, docs/snapshots.md).
  kSnapshotVersion = 86,   // another snapshot format or vmlab version
  kSnapshotMismatch = 87,  // taken with another kernel, mode, profile, memory, disk, input
  kSnapshotCorrupt = 88,   // not a snapshot, truncated, or its checksum does not match
  kSnapshotDiverged = 89,  // the restored machine is not the one the snapshot holds
  // A live migration's destination received nothing it could run (docs/migration.md).
  kMigrationFailed = 90,
};

}  // namespace vmlab::cli
