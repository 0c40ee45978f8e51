/**
 * One progress line on stderr: rewritten in place on a terminal, printed at most every few seconds
 * otherwise (CI logs stay short but show the run is alive).
 */
class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastLine = '';
  private lastPrintedAt = 0;
  private readonly startedAt = Date.now();

  update(line: string): void {
    const stamped = `[${this.elapsed()}] ${line}`;
    if (this.tty) {
      const columns = process.stderr.columns || 120;
      process.stderr.write(`\r\x1b[2K${stamped.slice(0, columns - 1)}`);
      this.lastLine = stamped;
      return;
    }
    if (Date.now() - this.lastPrintedAt >= 5000) {
      process.stderr.write(`${stamped}\n`);
      this.lastPrintedAt = Date.now();
    }
  }

  /** A line that stays (a finished step). */
  log(line: string): void {
    const stamped = `[${this.elapsed()}] ${line}`;
    if (this.tty && this.lastLine !== '') process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${stamped}\n`);
    this.lastLine = '';
    this.lastPrintedAt = Date.now();
  }

  private elapsed(): string {
    const seconds = Math.floor((Date.now() - this.startedAt) / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  }
}

export const progress = new Progress();
