/**
 * Calls `cb` with each event `listen` delivers until the returned function is called (a
 * component's cleanup). Stopped before the listener is in place, it is removed as soon as it is.
 * Outside Tauri (component tests) there may be no listener at all: nothing is heard then.
 */
export function follow<T>(listen: (cb: (value: T) => void) => Promise<() => void>, cb: (value: T) => void): () => void {
  let stopped = false;
  let unlisten: (() => void) | undefined;
  Promise.resolve()
    .then(() =>
      listen((value) => {
        if (!stopped) cb(value);
      }),
    )
    .then(
      (stop) => {
        if (typeof stop !== 'function') return;
        if (stopped) stop();
        else unlisten = stop;
      },
      () => {},
    );
  return () => {
    stopped = true;
    unlisten?.();
  };
}
