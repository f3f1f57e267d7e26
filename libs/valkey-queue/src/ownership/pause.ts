/**
 * A timer-based pause that `wake()` ends early (at shutdown), so loops never outlive the service.
 * @internal
 */
export class Pause {
  private timer?: NodeJS.Timeout;
  private resolve?: () => void;

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  wake(): void {
    clearTimeout(this.timer);
    this.resolve?.();
  }
}
