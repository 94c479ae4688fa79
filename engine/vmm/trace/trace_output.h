// TraceOutput: the file a trace writer writes its text into, plain or gzip-compressed.
//
// A path ending in ".gz" is written through zlib (RFC 1952 gzip, Debian's zlib1g), so that a
// million-event trace takes tens of megabytes instead of hundreds (docs/performance.md);
// `zcat`, python's gzip module and ui.perfetto.dev read it as it is. Any other path is a
// plain file. Errors are kept and reported once, by close().
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/machine/result.h"

namespace vmlab::vmm {

class TraceOutput {
 public:
  static machine::Result<std::unique_ptr<TraceOutput>> open(const std::string& path);
  static bool is_gzip_path(std::string_view path);

  virtual ~TraceOutput() = default;
  virtual void write(std::string_view text) = 0;
  // Flushes and closes the file; the first write error, if any.
  virtual machine::Result<void> close() = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit TraceOutput(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

}  // namespace vmlab::vmm
