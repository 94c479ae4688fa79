#include "cli/exit_status.h"

#include <cerrno>
#include <iostream>

#include "cli/exit_codes.h"

namespace vmlab::cli {

int fail(int code, const std::string& message) {
  std::cerr << "vmlab: " << message << "\n";
  return code;
}

int exit_code_for(const machine::Error& e) {
  switch (e.code) {
    case ENOENT:
    case EACCES:
    case EISDIR:
    case ENODEV:  // not a regular file (engine/machine/host_file.h)
    case EFBIG:
    case ENXIO:
    case ENOSPC:
    case EIO: return kNoInput;
    case ENOEXEC: return kBadImage;
    case EINVAL: return kUsage;
    case ENOSYS: return kNotImplemented;
    default: return kBadImage;
  }
}

int disk_exit_code_for(const machine::Error& e) {
  switch (e.code) {
    case ENOENT: return kDiskMissing;
    case EISDIR: return kDiskIsDirectory;
    case EACCES: return kDiskNoPermission;
    case EINVAL: return kDiskBadSize;
    case EROFS: return kDiskReadOnly;
    default: return kDiskNotRegular;
  }
}

int exit_code_for(const machine::RunResult& r) {
  using machine::StopReason;
  switch (r.reason) {
    case StopReason::kExitPort: {
      const uint32_t v = r.exit_value.value_or(0);
      return v > kGuestStatusMax ? kGuestStatusMax : static_cast<int>(v);
    }
    case StopReason::kBudgetExhausted: return kBudgetExhausted;
    case StopReason::kHaltedInterruptsDisabled:
    case StopReason::kHaltedNothingToWake: return kGuestHung;
    case StopReason::kTripleFault: return kTripleFault;
    case StopReason::kUnsupported: return kUnsupported;
    case StopReason::kResetRequested: return kGuestReset;
    case StopReason::kStopRequested: return kInternal;
  }
  return kInternal;
}

}  // namespace vmlab::cli
