#include "gui/cell_run.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include "engine/vmm/core/event.h"
#include "frontend/resources.h"
#include "frontend/variants.h"
#include "frontend/workloads.h"

namespace vmlab::gui {

QString vmlab_executable() {
  const QString env = qEnvironmentVariable("VMLAB_CLI");
  if (!env.isEmpty()) return env;
  const QDir bin(QCoreApplication::applicationDirPath());
  for (const QString& rel : {QStringLiteral("vmlab"), QStringLiteral("../cli/vmlab")}) {
    const QFileInfo f(bin.filePath(rel));
    if (f.isFile() && f.isExecutable()) return f.absoluteFilePath();
  }
  const QString on_path = QStandardPaths::findExecutable(QStringLiteral("vmlab"));
  return on_path.isEmpty() ? QStringLiteral("vmlab") : on_path;
}

QStringList cell_run_arguments(const SweepCell& cell, const QString& kernel, const QString& out,
                               const QString& disk) {
  QStringList a{QStringLiteral("run"), QStringLiteral("--quiet")};
  // The variant's mode and options, as vmlab run spells them (--cpu, --npt).
  const frontend::Variant* v = frontend::find_variant(cell.mode.toStdString());
  if (v != nullptr) {
    const std::string_view mode = vmm::mode_name(v->mode);
    a << QStringLiteral("--mode")
      << QString::fromLatin1(mode.data(), static_cast<qsizetype>(mode.size()));
    if (v->options.cpu == vmm::ModeOptions::Cpu::kClassic) {
      a << QStringLiteral("--cpu") << QStringLiteral("classic");
    } else if (v->options.cpu == vmm::ModeOptions::Cpu::kVt) {
      a << QStringLiteral("--cpu") << QStringLiteral("vt");
    }
    if (v->options.nested_paging) a << QStringLiteral("--npt");
  } else {
    a << QStringLiteral("--mode") << cell.mode;  // vmlab names what it does not know
  }
  a << QStringLiteral("--profile") << cell.profile;
  for (const auto& [key, value] : cell.costs) {
    a << QStringLiteral("--cost") << QStringLiteral("%1=%2").arg(key).arg(value);
  }
  if (!disk.isEmpty()) a << QStringLiteral("--disk") << disk;
  a << QStringLiteral("--out") << out << QStringLiteral("--trace");
  QString append = QStringLiteral("run=%1 iters=%2").arg(cell.workload).arg(cell.iters);
  if (!cell.args.isEmpty()) append += QLatin1Char(' ') + cell.args;
  a << QStringLiteral("--append") << append << kernel;
  return a;
}

QString cell_run_dir(const SweepData& sweep, const SweepCell& cell) {
  return sweep.cell_dir(cell.name) + QStringLiteral("/run");
}

CellRun::CellRun(const SweepData& sweep, const SweepCell& cell, QObject* parent)
    : QObject(parent), out_(cell_run_dir(sweep, cell)), cell_(cell.name) {
  QDir().mkpath(out_);
  // A disk workload on the grid's image gets a copy of its own, as each of the sweep's
  // boots did (the image itself is never written); without one, vmlab run makes a fresh
  // vmlabfs as the sweep's boots had.
  const frontend::Workload* w = frontend::find_workload(cell.workload.toStdString());
  if (w != nullptr && w->needs_disk && !sweep.disk.isEmpty()) {
    disk_copy_ = out_ + QStringLiteral("/disk.img");
    QFile::remove(disk_copy_);
    QFile::copy(sweep.disk, disk_copy_);
  }
  process_.setProcessChannelMode(QProcess::MergedChannels);
  // Without --input vmlab reads stdin: nothing, so the run is deterministic.
  process_.setStandardInputFile(QProcess::nullDevice());
  connect(&process_, &QProcess::finished, this, &CellRun::done);
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) {
      Q_EMIT finished(false,
                      tr("cannot start %1 (%2)").arg(process_.program(), process_.errorString()));
    }
  });
  process_.start(vmlab_executable(),
                 cell_run_arguments(cell, QString::fromStdString(frontend::default_guest_kernel()),
                                    out_, disk_copy_));
}

CellRun::~CellRun() {
  // Gone before its run ended (another cell chosen, the window closed): no finished signal.
  disconnect(&process_, nullptr, this, nullptr);
  if (process_.state() != QProcess::NotRunning) {
    process_.kill();
    process_.waitForFinished(5000);
  }
}

void CellRun::done(int code, QProcess::ExitStatus status) {
  const QString output = QString::fromLocal8Bit(process_.readAll()).trimmed();
  // A run whose guest stopped otherwise than by its exit port still wrote its folder
  // (a failed cell's run shows how it failed): open what is there.
  const bool wrote = QFileInfo(out_ + QStringLiteral("/config.json")).isFile();
  if (status == QProcess::NormalExit && wrote) {
    Q_EMIT finished(true, code == 0 ? QString() : output);
    return;
  }
  Q_EMIT finished(false,
                  output.isEmpty() ? tr("vmlab run ended with status %1").arg(code) : output);
}

}  // namespace vmlab::gui
