#include "gui/app_options.h"

#include <QCoreApplication>

#include "engine/machine/machine_config.h"
#include "gui/resources.h"

namespace vmlab::gui {

QString app_usage() {
  return QCoreApplication::translate(
      "AppOptions",
      "usage: vmlab-gui [options]\n"
      "\n"
      "The vmlab window: run the guest OS in any mode and watch its traps, VM exits,\n"
      "hypercalls and translations on a timeline; open what `vmlab run --out DIR --trace`\n"
      "wrote; compare the modes from `vmlab compare --format json`.\n"
      "\n"
      "options:\n"
      "  --open PATH          a run directory (config.json, stats.json, trace.jsonl or\n"
      "                       trace.json, or their .gz from --trace-gzip), a trace\n"
      "                       file on its own (trace.jsonl, trace.json, either .gz), or\n"
      "                       the folder of a `vmlab sweep --out DIR` (the Compare view)\n"
      "  --compare FILE       vmlab compare --format json output for the Compare view\n"
      "  --align PATH         a second run directory (or trace) whose timeline the Aligned\n"
      "                       view shows below the first run's, on the same time axis\n"
      "  --align-upper PATH   a run for the Aligned view's upper row (default: the run\n"
      "                       the other views show)\n"
      "  --run                start the guest live (with --mode, --append, --profile, --kernel)\n"
      "  --mode MODE          native, trap, trap-npt, trap-classic, bt, pv (default native)\n"
      "  --append CMDLINE     the kernel command line, e.g. \"run=syscall iters=100\"\n"
      "  --profile NAME       cost profile (default native-1c)\n"
      "  --kernel FILE        the guest image (default: the guest OS built with vmlab)\n"
      "  --cpu-mhz MHZ        with --run: the modeled clock for the timers (default 1000)\n"
      "  --view VIEW          timeline, events, counters, compare, run, code, memory,\n"
      "                       aligned, migration or screen\n"
      "  --instructions N     with --run: run N instructions, then pause\n"
      "  --steps N            with --run: then press Step N times (N guest instructions)\n"
      "  --screenshot FILE    render the view into FILE (PNG) and exit; with --run, after\n"
      "                       the guest stops\n"
      "  --select N           select event N (its row in the table, from 0)\n"
      "  --memory-show WHICH  the memory view's rows: all, differing (the hardware maps\n"
      "                       them differently) or user (the guest's U bit)\n"
      "  --goto ADDR          the memory view starts at linear address ADDR (hex)\n"
      "  --breakdown UNIT     the compare view's breakdown in events (default) or cycles\n"
      "  --breakdown-of W     the compare view's breakdown of workload W\n"
      "  --sweep-set N        an opened sweep's profile and cost set N (from 0, as listed)\n"
      "  --size WxH           window size (default 1280x820)\n"
      "  --lang LANG          en or sv\n"
      "  -h, --help           this text\n");
}

std::optional<QString> parse_app_options(const QStringList& args, AppOptions& o) {
  o.live.kernel = default_guest_kernel();
  for (qsizetype i = 1; i < args.size(); ++i) {
    const QString& a = args[i];
    auto value = [&](QString& out) -> bool {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    QString v;
    if (a == QStringLiteral("-h") || a == QStringLiteral("--help")) {
      o.help = true;
    } else if (a == QStringLiteral("--run")) {
      o.run = true;
    } else if (a == QStringLiteral("--open") || a == QStringLiteral("--compare") ||
               a == QStringLiteral("--view") || a == QStringLiteral("--screenshot") ||
               a == QStringLiteral("--lang") || a == QStringLiteral("--size") ||
               a == QStringLiteral("--mode") || a == QStringLiteral("--append") ||
               a == QStringLiteral("--profile") || a == QStringLiteral("--kernel") ||
               a == QStringLiteral("--select") || a == QStringLiteral("--instructions") ||
               a == QStringLiteral("--steps") || a == QStringLiteral("--memory-show") ||
               a == QStringLiteral("--goto") || a == QStringLiteral("--breakdown") ||
               a == QStringLiteral("--breakdown-of") || a == QStringLiteral("--align") ||
               a == QStringLiteral("--sweep-set") || a == QStringLiteral("--align-upper") ||
               a == QStringLiteral("--cpu-mhz")) {
      if (!value(v)) return QCoreApplication::translate("AppOptions", "%1 needs a value").arg(a);
      if (a == QStringLiteral("--open")) {
        o.open = v;
      } else if (a == QStringLiteral("--compare")) {
        o.compare = v;
      } else if (a == QStringLiteral("--align")) {
        o.align = v;
      } else if (a == QStringLiteral("--align-upper")) {
        o.align_upper = v;
      } else if (a == QStringLiteral("--screenshot")) {
        o.screenshot = v;
      } else if (a == QStringLiteral("--select")) {
        bool ok = false;
        o.select = v.toLongLong(&ok);
        if (!ok || o.select < 0)
          return QCoreApplication::translate("AppOptions",
                                             "--select takes an event number (got '%1')")
              .arg(v);
      } else if (a == QStringLiteral("--instructions")) {
        bool ok = false;
        o.instructions = v.toLongLong(&ok);
        if (!ok || o.instructions <= 0) {
          return QCoreApplication::translate("AppOptions",
                                             "--instructions takes a positive count (got '%1')")
              .arg(v);
        }
      } else if (a == QStringLiteral("--steps")) {
        bool ok = false;
        o.steps = v.toLongLong(&ok);
        if (!ok || o.steps <= 0) {
          return QCoreApplication::translate("AppOptions",
                                             "--steps takes a positive count (got '%1')")
              .arg(v);
        }
      } else if (a == QStringLiteral("--memory-show")) {
        if (v == QStringLiteral("all")) {
          o.memory_show = PageFilter::all;
        } else if (v == QStringLiteral("differing")) {
          o.memory_show = PageFilter::differing;
        } else if (v == QStringLiteral("user")) {
          o.memory_show = PageFilter::user;
        } else {
          return QCoreApplication::translate(
                     "AppOptions", "--memory-show takes all, differing or user (got '%1')")
              .arg(v);
        }
      } else if (a == QStringLiteral("--breakdown")) {
        if (v != QStringLiteral("events") && v != QStringLiteral("cycles")) {
          return QCoreApplication::translate("AppOptions",
                                             "--breakdown takes events or cycles (got '%1')")
              .arg(v);
        }
        o.breakdown_cycles = v == QStringLiteral("cycles");
      } else if (a == QStringLiteral("--breakdown-of")) {
        o.breakdown_of = v;
      } else if (a == QStringLiteral("--sweep-set")) {
        bool ok = false;
        o.sweep_set = v.toLongLong(&ok);
        if (!ok || o.sweep_set < 0) {
          return QCoreApplication::translate("AppOptions",
                                             "--sweep-set takes a set number, from 0 (got '%1')")
              .arg(v);
        }
      } else if (a == QStringLiteral("--goto")) {
        bool ok = false;
        QString hex = v;
        if (hex.startsWith(QStringLiteral("0x"), Qt::CaseInsensitive)) hex = hex.mid(2);
        const uint32_t linear = hex.toUInt(&ok, 16);
        if (!ok || hex.isEmpty()) {
          return QCoreApplication::translate(
                     "AppOptions", "--goto takes a 32-bit address in hex, e.g. 40000000 (got '%1')")
              .arg(v);
        }
        o.go_to = linear;
      } else if (a == QStringLiteral("--append")) {
        o.live.append = v;
      } else if (a == QStringLiteral("--profile")) {
        o.live.profile = v;
      } else if (a == QStringLiteral("--kernel")) {
        o.live.kernel = v;
      } else if (a == QStringLiteral("--cpu-mhz")) {
        bool ok = false;
        const qulonglong mhz = v.toULongLong(&ok);
        if (!ok || mhz < machine::MachineConfig::kMinCpuMhz ||
            mhz > machine::MachineConfig::kMaxCpuMhz) {
          return QCoreApplication::translate("AppOptions",
                                             "--cpu-mhz takes a clock in MHz from %1 to %2 "
                                             "(got '%3')")
              .arg(machine::MachineConfig::kMinCpuMhz)
              .arg(machine::MachineConfig::kMaxCpuMhz)
              .arg(v);
        }
        o.live.cpu_mhz = static_cast<uint32_t>(mhz);
      } else if (a == QStringLiteral("--lang")) {
        if (v != QStringLiteral("en") && v != QStringLiteral("sv")) {
          return QCoreApplication::translate("AppOptions", "--lang takes en or sv (got '%1')")
              .arg(v);
        }
        o.language = v;
      } else if (a == QStringLiteral("--size")) {
        const QStringList wh = v.split(QLatin1Char('x'));
        bool ok1 = false, ok2 = false;
        if (wh.size() == 2) {
          o.width = wh[0].toInt(&ok1);
          o.height = wh[1].toInt(&ok2);
        }
        if (!ok1 || !ok2 || o.width < 320 || o.height < 240 || o.width > 8192 || o.height > 8192) {
          return QCoreApplication::translate(
                     "AppOptions",
                     "--size takes WIDTHxHEIGHT, from 320x240 to 8192x8192 (got '%1')")
              .arg(v);
        }
      } else if (a == QStringLiteral("--mode")) {
        static const std::pair<const char*, ModeVariant> kModes[] = {
            {"native", ModeVariant::native},
            {"trap", ModeVariant::trap_vt},
            {"trap-npt", ModeVariant::trap_npt},
            {"trap-classic", ModeVariant::trap_classic},
            {"bt", ModeVariant::bt},
            {"pv", ModeVariant::pv}};
        bool found = false;
        for (const auto& [name, mode] : kModes) {
          if (v == QLatin1String(name)) {
            o.live.mode = mode;
            found = true;
          }
        }
        if (!found) {
          return QCoreApplication::translate(
                     "AppOptions",
                     "unknown mode '%1' (modes: native, trap, trap-npt, trap-classic, bt, pv)")
              .arg(v);
        }
      } else if (a == QStringLiteral("--view")) {
        static const std::pair<const char*, MainWindow::View> kViews[] = {
            {"timeline", MainWindow::View::timeline},
            {"events", MainWindow::View::events},
            {"counters", MainWindow::View::counters},
            {"compare", MainWindow::View::compare},
            {"run", MainWindow::View::run},
            {"code", MainWindow::View::code},
            {"memory", MainWindow::View::memory},
            {"aligned", MainWindow::View::aligned},
            {"migration", MainWindow::View::migration},
            {"screen", MainWindow::View::screen}};
        for (const auto& [name, view] : kViews) {
          if (v == QLatin1String(name)) o.view = view;
        }
        if (!o.view) {
          return QCoreApplication::translate("AppOptions",
                                             "unknown view '%1' (views: timeline, events, "
                                             "counters, compare, run, code, memory, aligned, "
                                             "migration, screen)")
              .arg(v);
        }
      }
    } else {
      return QCoreApplication::translate("AppOptions",
                                         "unknown option '%1' (vmlab-gui --help lists them)")
          .arg(a);
    }
  }
  return std::nullopt;
}

}  // namespace vmlab::gui
