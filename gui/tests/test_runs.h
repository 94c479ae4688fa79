// Helpers for the GUI tests: real run directories made by the real `vmlab run` (no
// fixtures that could drift from what the CLI writes).
#pragma once

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace vmlab::gui::test {

// Runs `vmlab run --out DIR --trace ARGS... KERNEL`; returns false with the output on failure.
inline bool make_run(const QString& dir, const QStringList& args, QString* output = nullptr) {
  QProcess p;
  QStringList all{QStringLiteral("run"), QStringLiteral("--out"), dir, QStringLiteral("--trace"),
                  QStringLiteral("--quiet")};
  all << args << QStringLiteral(VMLAB_TEST_KERNEL);
  p.setProcessChannelMode(QProcess::MergedChannels);
  // Without --input, vmlab reads stdin (docs/cli.md, "The console"): /dev/null keeps the
  // run deterministic (QProcess's default is a pipe, which vmlab would stream).
  p.setStandardInputFile(QProcess::nullDevice());
  p.start(QStringLiteral(VMLAB_CLI), all);
  if (!p.waitForFinished(240000)) return false;
  if (output != nullptr) *output = QString::fromLocal8Bit(p.readAll());
  return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

inline QJsonObject read_json(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

inline void write_file(const QString& file, const QByteArray& bytes) {
  QFile f(file);
  if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) f.write(bytes);
}

}  // namespace vmlab::gui::test
