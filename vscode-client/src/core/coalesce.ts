/**
 * Runs an async refresh at most once at a time: triggers that arrive while it runs fold into
 * one more run afterwards. Event-driven views (the live screen) use it instead of a timer.
 */
export class Coalescer {
  private running = false;
  private again = false;

  constructor(private readonly run: () => Promise<void>) {}

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.run();
        } catch {
          // the run reports its own failures; the next trigger tries again
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  get busy(): boolean {
    return this.running;
  }
}
