// TraceFileReader: the lines of a trace file, plain or gzip-compressed (`vmlab run
// --trace-gzip` writes trace.jsonl.gz and trace.json.gz; docs/trace-format.md). A file
// whose first bytes are gzip's magic (RFC 1952: 1f 8b) is decompressed through zlib
// whatever its name; a name ending in ".gz" must be gzip. Damaged or truncated compressed
// data ends the reading with an error naming the file and the last whole line read; the
// cut-off line before a truncation is never handed out as if it were whole.
#pragma once

#include <QString>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/machine/result.h"

namespace vmlab::gui {

class TraceFileReader {
 public:
  // A line longer than this is no trace line (vmlab's are a few hundred bytes); reading
  // stops with an error instead of growing without bound.
  static constexpr size_t kMaxLine = size_t{1} << 20;

  static machine::Result<std::unique_ptr<TraceFileReader>> open(const QString& file);
  ~TraceFileReader();
  TraceFileReader(const TraceFileReader&) = delete;
  TraceFileReader& operator=(const TraceFileReader&) = delete;

  // The next line, without its '\n'. False at the end of the file or on an error (then
  // error() says what is wrong).
  bool next(std::string& line);
  const QString& error() const { return error_; }
  // The share of the file's bytes (compressed bytes for gzip) read so far, 0..1.
  double progress() const;
  bool compressed() const { return compressed_; }
  uint64_t lines() const { return lines_; }

 private:
  TraceFileReader() = default;
  bool fill();

  QString file_;
  void* gz_ = nullptr;  // zlib's gzFile (reads plain files through unchanged)
  bool compressed_ = false;
  bool eof_ = false;
  double bytes_ = 1;
  std::string buffer_;
  size_t start_ = 0;  // the first unread byte of buffer_
  uint64_t lines_ = 0;
  QString error_;
};

// True when the file starts with gzip's magic bytes.
bool is_gzip_file(const QString& file);

}  // namespace vmlab::gui
