/** A promise that resolves once `count()` has been called `total` times. */
export function countdown(total: number): { count(): void; done: Promise<void> } {
  let left = total;
  let resolve!: () => void;
  const done = new Promise<void>((settle) => {
    resolve = settle;
  });
  if (total <= 0) resolve();
  return {
    count() {
      if (--left === 0) resolve();
    },
    done,
  };
}
