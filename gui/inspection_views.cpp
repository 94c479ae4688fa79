#include "gui/inspection_views.h"

#include <QColor>
#include <QComboBox>
#include <QCoreApplication>
#include <QFont>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace vmlab::gui {

namespace {

QString hex8(uint32_t v) {
  return QStringLiteral("%1").arg(v, 8, 16, QLatin1Char('0'));
}

QFont mono() {
  QFont f(QStringLiteral("DejaVu Sans Mono"));
  f.setStyleHint(QFont::Monospace);
  return f;
}

QString paging_words(vmm::RealPaging p) {
  switch (p) {
    case vmm::RealPaging::kGuestTables:
      return QCoreApplication::translate("MemoryView", "the guest's own tables (native)");
    case vmm::RealPaging::kShadow:
      return QCoreApplication::translate("MemoryView", "shadow tables the monitor builds");
    case vmm::RealPaging::kNested:
      return QCoreApplication::translate("MemoryView", "the guest's tables, then the nested table");
    case vmm::RealPaging::kDirect:
      return QCoreApplication::translate("MemoryView",
                                         "the guest's tables, holding machine frames (direct)");
  }
  return {};
}

}  // namespace

void PageTableModel::set_rows(std::vector<vmm::PageRow> rows, vmm::RealPaging paging) {
  beginResetModel();
  rows_ = std::move(rows);
  paging_ = paging;
  endResetModel();
}

int PageTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int PageTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kNumColumns;
}

size_t PageTableModel::differing() const {
  size_t n = 0;
  for (const auto& r : rows_) n += r.differs ? 1 : 0;
  return n;
}

QVariant PageTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount() || index.column() >= kNumColumns) return {};
  const vmm::PageRow& r = rows_[static_cast<size_t>(index.row())];
  if (role == Qt::BackgroundRole && r.differs) return QColor(0xFF, 0xE8, 0xC0);
  if (role == Qt::ToolTipRole && r.differs) {
    return tr(
        "The hardware's mapping is not the guest's: a shadow entry not filled yet, a "
        "write-protected page-table page, or a frame elsewhere.");
  }
  if (role == Qt::FontRole) return mono();
  if (role != Qt::DisplayRole) return {};
  auto rights = [](bool w, bool u) {
    return QString(w ? QLatin1Char('W') : QLatin1Char('-')) +
           QString(u ? QLatin1Char('U') : QLatin1Char('S'));
  };
  switch (index.column()) {
    case kLinear: return hex8(r.linear);
    case kGuestPde: return hex8(r.guest_pde);
    case kGuestPte: return hex8(r.guest_pte);
    case kGuestAddress: return r.guest_address ? hex8(*r.guest_address) : tr("not present");
    case kRealPde: return hex8(r.real_pde);
    case kRealPte: return hex8(r.real_pte);
    case kMachineAddress: return r.machine_address ? hex8(*r.machine_address) : tr("faults");
    case kRights:
      return QStringLiteral("%1 / %2%3")
          .arg(rights((r.flags & vmm::PageRow::kGuestWritable) != 0,
                      (r.flags & vmm::PageRow::kGuestUser) != 0),
               // No rights where the hardware has no mapping (a shadow entry not yet
               // filled): an em dash, not "-S", which would read as a supervisor page.
               r.machine_address ? rights((r.flags & vmm::PageRow::kRealWritable) != 0,
                                          (r.flags & vmm::PageRow::kRealUser) != 0)
                                 : QString(QChar(0x2014)),
               r.differs ? tr("  differs") : QString());
    default: return {};
  }
}

QVariant PageTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
  const bool nested = paging_ == vmm::RealPaging::kNested;
  switch (section) {
    case kLinear: return tr("Linear page");
    case kGuestPde: return tr("Guest PDE");
    case kGuestPte: return tr("Guest PTE");
    case kGuestAddress: return tr("Guest maps to");
    case kRealPde: return nested ? tr("Nested PDE") : tr("Hardware PDE");
    case kRealPte: return nested ? tr("Nested PTE") : tr("Hardware PTE");
    case kMachineAddress: return tr("Machine address");
    case kRights: return tr("Rights guest / hardware");
    default: return {};
  }
}

void PageFilterModel::set_filter(PageFilter filter) {
  filter_ = filter;
  invalidateFilter();
}

bool PageFilterModel::filterAcceptsRow(int source_row, const QModelIndex& source_parent) const {
  if (source_parent.isValid()) return false;
  const auto* pages = static_cast<const PageTableModel*>(sourceModel());
  const vmm::PageRow& r = pages->row(source_row);
  switch (filter_) {
    case PageFilter::all: return true;
    case PageFilter::differing: return r.differs;
    case PageFilter::user: return (r.flags & vmm::PageRow::kGuestUser) != 0;
  }
  return true;
}

int PageFilterModel::row_at_or_after(uint32_t linear) const {
  const auto* pages = static_cast<const PageTableModel*>(sourceModel());
  // Rows are in ascending linear order, and so are the shown ones: a binary search.
  int lo = 0, hi = rowCount();
  if (hi == 0) return -1;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (pages->row(mapToSource(index(mid, 0)).row()).linear < (linear & ~0xFFFu)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return std::min(lo, rowCount() - 1);
}

CodeView::CodeView(QWidget* parent) : QWidget(parent) {
  registers_ =
      new QLabel(tr("The code view shows a live run: start one in the Run tab and "
                    "pause or step it."));
  registers_->setWordWrap(true);
  registers_->setFont(mono());
  registers_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  code_ = new QPlainTextEdit;
  translation_ = new QPlainTextEdit;
  for (QPlainTextEdit* e : {code_, translation_}) {
    e->setReadOnly(true);
    e->setFont(mono());
    e->setLineWrapMode(QPlainTextEdit::NoWrap);
  }
  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(code_);
  split->addWidget(translation_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(registers_);
  layout->addWidget(split, 1);
}

QString CodeView::code_text() const {
  return code_->toPlainText();
}

QString CodeView::translation_text() const {
  return translation_->toPlainText();
}

void CodeView::show_snapshot(const std::shared_ptr<const InspectionSnapshot>& s) {
  if (!s) return;
  const vmm::GuestCpuView& c = s->cpu;
  const cpu::CpuState& h = c.hardware;
  registers_->setText(
      tr("Guest EIP %1  CPL %2  IF %3  EFLAGS %4  CR0 %5  CR3 %6  CR4 %7%8\n"
         "EAX %9  EBX %10  ECX %11  EDX %12  ESI %13  EDI %14  EBP %15  ESP %16")
          .arg(hex8(c.eip))
          .arg(c.cpl)
          .arg(c.interrupts_enabled ? 1 : 0)
          .arg(hex8(c.eflags), hex8(c.cr0), hex8(c.cr3), hex8(c.cr4),
               c.deprivileged ? tr("  (virtual: the kernel runs deprivileged)") : QString())
          .arg(hex8(h.gpr[0]), hex8(h.gpr[3]), hex8(h.gpr[1]), hex8(h.gpr[2]), hex8(h.gpr[6]),
               hex8(h.gpr[7]), hex8(h.gpr[5]), hex8(h.gpr[4])));
  QString code = tr("; guest code from EIP (Capstone)\n");
  for (const CodeLine& l : s->code) {
    code += QStringLiteral("%1 %2  %3  %4\n")
                .arg(l.address == c.eip ? QStringLiteral("=>") : QStringLiteral("  "),
                     hex8(l.address), l.bytes.leftJustified(24), l.text);
  }
  if (s->code.empty()) code += tr("(EIP is not mapped)\n");
  code_->setPlainText(code);

  QString tc;
  if (!s->translation) {
    tc =
        tr("; no translation cache in this mode (bt shows the guest block and its "
           "translation here)\n");
  } else {
    const vmm::TranslationDetail& t = *s->translation;
    // Two lines, so that a narrow pane shows both ranges whole.
    tc = tr("; translation %1: guest %2-%3, guest instructions: %4\n"
            ";   -> TC %5-%6, translated instructions: %7, callouts: %8\n")
             .arg(t.fragment.index)
             .arg(hex8(t.fragment.guest_start),
                  hex8(t.fragment.guest_start + t.fragment.guest_bytes))
             .arg(t.fragment.guest_insns)
             .arg(hex8(t.fragment.tc_start), hex8(t.fragment.tc_end))
             .arg(t.fragment.translated_insns)
             .arg(t.fragment.callouts);
    for (const vmm::TranslatedInsn& i : t.insns) {
      const QString how = QString::fromLatin1(i.how.data(), static_cast<qsizetype>(i.how.size()));
      if (i.guest_len != 0) {
        const auto g = disassemble(i.guest_bytes.data(), i.guest_len, i.guest, 1);
        tc +=
            QStringLiteral("\n%1 %2  %3  [%4]\n")
                .arg(i.guest == c.eip ? QStringLiteral("=>") : QStringLiteral("  "), hex8(i.guest),
                     g.empty() ? QStringLiteral("?") : g[0].text.leftJustified(28), how);
      } else {
        tc += QStringLiteral("\n   exit stub -> %1  [%2]\n").arg(hex8(i.guest), how);
      }
      for (const CodeLine& l : disassemble(i.tc_bytes.data(), i.tc_bytes.size(), i.tc, 16)) {
        tc += QStringLiteral("      TC %1  %2\n").arg(hex8(l.address), l.text);
      }
    }
    if (!t.callouts.empty()) tc += tr("\n; callouts into the monitor\n");
    for (const vmm::CalloutSite& k : t.callouts) {
      tc += QStringLiteral("   TC %1  %2  guest %3%4\n")
                .arg(hex8(k.return_address),
                     QString::fromLatin1(k.kind.data(), static_cast<qsizetype>(k.kind.size())),
                     hex8(k.guest_eip), k.continuation ? tr(" (continuation)") : QString());
    }
  }
  translation_->setPlainText(tc);
}

MemoryView::MemoryView(QWidget* parent)
    : QWidget(parent), model_(new PageTableModel(this)), filter_(new PageFilterModel(this)) {
  heading_ =
      new QLabel(tr("The memory view shows a live run: start one in the Run tab and "
                    "pause or step it."));
  heading_->setWordWrap(true);
  heading_->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
  heading_->setMinimumHeight(heading_->fontMetrics().lineSpacing() * 3);
  show_ = new QComboBox;
  show_->addItem(tr("all mapped pages"), int(PageFilter::all));
  show_->addItem(tr("only pages the hardware maps differently"), int(PageFilter::differing));
  show_->addItem(tr("only user pages (the guest's U bit)"), int(PageFilter::user));
  go_to_ = new QLineEdit;
  go_to_->setPlaceholderText(tr("go to linear address (hex), e.g. 40000000"));
  go_to_->setClearButtonEnabled(true);
  filter_->setSourceModel(model_);
  table_ = new QTableView;
  table_->setModel(filter_);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(20);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  for (int c = 0; c < PageTableModel::kRights; ++c) table_->setColumnWidth(c, 112);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Show:")));
  bar->addWidget(show_);
  bar->addWidget(go_to_, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(heading_);
  layout->addLayout(bar);
  layout->addWidget(table_, 1);
  connect(show_, &QComboBox::currentIndexChanged, this,
          [this] { filter_->set_filter(static_cast<PageFilter>(show_->currentData().toInt())); });
  connect(go_to_, &QLineEdit::returnPressed, this, [this] {
    bool ok = false;
    QString text = go_to_->text().trimmed();
    if (text.startsWith(QStringLiteral("0x"), Qt::CaseInsensitive)) text = text.mid(2);
    const uint32_t linear = text.toUInt(&ok, 16);
    if (ok) go_to(linear);
  });
}

void MemoryView::set_filter(PageFilter filter) {
  show_->setCurrentIndex(show_->findData(int(filter)));
  filter_->set_filter(filter);
}

void MemoryView::go_to(uint32_t linear) {
  pending_go_to_ = linear;
  apply_go_to();
}

void MemoryView::apply_go_to() {
  if (!pending_go_to_) return;
  const int row = filter_->row_at_or_after(*pending_go_to_);
  if (row < 0) return;  // no rows yet: the next snapshot applies it
  const QModelIndex index = filter_->index(row, 0);
  table_->selectionModel()->setCurrentIndex(
      index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  table_->scrollTo(index, QAbstractItemView::PositionAtTop);
}

std::optional<uint32_t> MemoryView::selected_page() const {
  const QModelIndex current = table_->selectionModel()->currentIndex();
  if (!current.isValid()) return std::nullopt;
  return model_->row(filter_->mapToSource(current).row()).linear;
}

void MemoryView::show_snapshot(const std::shared_ptr<const InspectionSnapshot>& s) {
  if (!s) return;
  model_->set_rows(s->pages, s->paging);
  QString p2m;
  for (const vmm::P2mRange& r : s->p2m) {
    p2m += QStringLiteral("  %1-%2 -> %3")
               .arg(hex8(r.first_gfn << 12), hex8((r.first_gfn + r.count) << 12),
                    hex8(r.first_mfn << 12));
  }
  heading_->setText(tr("The hardware walks %1. %2 mapped pages shown (at most %3), %4 of them "
                       "mapped differently by the hardware (marked). P2M (guest-physical -> "
                       "machine):%5")
                        .arg(paging_words(s->paging))
                        .arg(s->pages.size())
                        .arg(InspectionSnapshot::kMaxPages)
                        .arg(model_->differing())
                        .arg(p2m));
  apply_go_to();
}

}  // namespace vmlab::gui
