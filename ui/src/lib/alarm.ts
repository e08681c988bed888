// The alarm for a yellow or red result: beeps made with the Web Audio API (no audio files, the
// desk is offline), alternating 880 Hz and 660 Hz for about two seconds. Red beeps with a
// harsher square wave than yellow. Without audio (no device, a test) it is silent, never an error.

type AudioContextClass = typeof AudioContext;

const BEEP_S = 0.22;
const GAP_S = 0.04;
const BEEPS = 8;

function audioContextClass(): AudioContextClass | null {
  const w = globalThis as typeof globalThis & { webkitAudioContext?: AudioContextClass };
  return w.AudioContext ?? w.webkitAudioContext ?? null;
}

/** Starts the alarm; the returned function stops it early. */
export function playAlarm(colour: 'yellow' | 'red'): () => void {
  let ctx: AudioContext | null = null;
  try {
    const Ctx = audioContextClass();
    if (!Ctx) return () => {};
    ctx = new Ctx();
    const start = ctx.currentTime + 0.02;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, ctx.currentTime);
    gain.connect(ctx.destination);
    const osc = ctx.createOscillator();
    osc.type = colour === 'red' ? 'square' : 'triangle';
    for (let i = 0; i < BEEPS; i += 1) {
      const at = start + i * (BEEP_S + GAP_S);
      osc.frequency.setValueAtTime(i % 2 === 0 ? 880 : 660, at);
      gain.gain.setValueAtTime(colour === 'red' ? 0.18 : 0.3, at);
      gain.gain.setValueAtTime(0, at + BEEP_S);
    }
    osc.connect(gain);
    osc.start(start);
    const end = start + BEEPS * (BEEP_S + GAP_S);
    osc.stop(end);
    const opened = ctx;
    osc.onended = () => {
      void opened.close().catch(() => {});
    };
    // A webview may start the context suspended until a user gesture; a key was just pressed.
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
  } catch {
    // No sound is better than a broken result screen.
  }
  const opened = ctx;
  return () => {
    try {
      if (opened && opened.state !== 'closed') void opened.close().catch(() => {});
    } catch {
      // Already closed.
    }
  };
}
