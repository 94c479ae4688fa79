/*
 * The console: a 16550 UART on COM1 (National Semiconductor PC16550D data sheet).
 *
 * Ports 0x3F8-0x3FF, IRQ 4. Output is polled (wait for THRE, write THR): simple,
 * and a console line is short. Input is interrupt driven: the "received data
 * available" interrupt moves bytes into a ring buffer and wakes readers.
 * The PC routes the UART interrupt only when MCR.OUT2 is set.
 */
#include "kernel.h"
#include "proc.h"

#define COM1 0x3F8
#define UART_RBR (COM1 + 0) /* receive buffer (read)                   */
#define UART_THR (COM1 + 0) /* transmit holding register (write)       */
#define UART_DLL (COM1 + 0) /* divisor latch low (when LCR.DLAB = 1)   */
#define UART_IER (COM1 + 1) /* interrupt enable                        */
#define UART_DLM (COM1 + 1) /* divisor latch high                      */
#define UART_FCR (COM1 + 2) /* FIFO control                            */
#define UART_LCR (COM1 + 3) /* line control                            */
#define UART_MCR (COM1 + 4) /* modem control                           */
#define UART_LSR (COM1 + 5) /* line status                             */

#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0B
#define IER_RX_AVAILABLE 0x01
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

#define RX_SIZE 256
static char rx_buf[RX_SIZE];
static u32 rx_head, rx_tail; /* free-running counters */

void uart_init(void) {
  pv->outb(UART_IER, 0);
  pv->outb(UART_LCR, LCR_DLAB);
  pv->outb(UART_DLL, 1); /* 115200 baud */
  pv->outb(UART_DLM, 0);
  pv->outb(UART_LCR, LCR_8N1);
  pv->outb(UART_FCR, FCR_ENABLE_CLEAR);
  pv->outb(UART_MCR, MCR_DTR_RTS_OUT2);
}

void uart_enable_rx_irq(void) {
  pv->outb(UART_IER, IER_RX_AVAILABLE);
}

static void uart_putc(char c) {
  while (!(pv->inb(UART_LSR) & LSR_THR_EMPTY))
    ;
  pv->outb(UART_THR, (u8)c);
}

/* The native console_write. Safe from any context: it masks interrupts. */
void uart_write(const char* buf, u32 len) {
  u32 flags = pv->irq_save();
  for (u32 i = 0; i < len; i++) {
    if (buf[i] == '\n') uart_putc('\r'); /* terminals want CR LF */
    uart_putc(buf[i]);
  }
  pv->irq_restore(flags);
}

/* Flow control: the receive interrupt is off while the input ring is full (rx_held), so
 * the bytes not taken stay in the UART's FIFO, and behind it in the line (the machine moves
 * input into the FIFO only as it has room); uart_read turns it back on once it has taken
 * bytes out. Nothing typed or pasted is lost, however long the shell is busy. */
static bool rx_held;

void uart_intr(void) {
  while (rx_head - rx_tail < RX_SIZE && (pv->inb(UART_LSR) & LSR_DATA_READY))
    rx_buf[rx_head++ % RX_SIZE] = (char)pv->inb(UART_RBR);
  if (rx_head - rx_tail >= RX_SIZE && !rx_held) {
    rx_held = true;
    pv->outb(UART_IER, 0);
  }
  wakeup(&rx_head);
}

u32 console_rx_room(void) {
  return RX_SIZE - (rx_head - rx_tail);
}

void console_rx(const char* buf, u32 n) {
  for (u32 i = 0; i < n && rx_head - rx_tail < RX_SIZE; i++) rx_buf[rx_head++ % RX_SIZE] = buf[i];
  wakeup(&rx_head);
}

/* Under PV: the console ring's front end (pv_ops_paravirt.c), which moves what its ring
 * holds into rx_buf as room frees up; natively 0. */
void (*console_refill)(void);

int uart_read(char* buf, u32 len) {
  while (rx_head == rx_tail) sleep_on(&rx_head);
  u32 n = 0;
  while (n < len && rx_tail != rx_head) buf[n++] = rx_buf[rx_tail++ % RX_SIZE];
  if (rx_held) {
    const u32 flags = pv->irq_save();
    rx_held = false;
    pv->outb(UART_IER, IER_RX_AVAILABLE); /* the waiting bytes interrupt again */
    pv->irq_restore(flags);
  }
  if (console_refill) console_refill();
  return (int)n;
}
