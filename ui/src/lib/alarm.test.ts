import { afterEach, describe, expect, it, vi } from 'vitest';
import { playAlarm } from './alarm';

afterEach(() => {
  vi.unstubAllGlobals();
});

function fakeAudio() {
  const log = { frequencies: [] as [number, number][], started: 0, stoppedAt: 0, closed: 0, type: '' };
  class FakeContext {
    currentTime = 0;
    state = 'running';
    destination = {};
    createGain() {
      return { gain: { setValueAtTime: () => {} }, connect: () => {} };
    }
    createOscillator() {
      return {
        set type(t: string) {
          log.type = t;
        },
        frequency: { setValueAtTime: (f: number, at: number) => log.frequencies.push([f, at]) },
        connect: () => {},
        start: () => {
          log.started += 1;
        },
        stop: (at: number) => {
          log.stoppedAt = at;
        },
        onended: null,
      };
    }
    close() {
      log.closed += 1;
      this.state = 'closed';
      return Promise.resolve();
    }
    resume() {
      return Promise.resolve();
    }
  }
  vi.stubGlobal('AudioContext', FakeContext);
  return log;
}

describe('playAlarm', () => {
  it('beeps alternately at 880 and 660 Hz for about two seconds', () => {
    const log = fakeAudio();
    playAlarm('red');
    expect(log.started).toBe(1);
    expect(log.type).toBe('square');
    expect(log.frequencies.map(([f]) => f)).toEqual([880, 660, 880, 660, 880, 660, 880, 660]);
    expect(log.stoppedAt).toBeGreaterThan(1.8);
    expect(log.stoppedAt).toBeLessThan(2.5);
  });

  it('sounds different for yellow', () => {
    const log = fakeAudio();
    playAlarm('yellow');
    expect(log.type).toBe('triangle');
  });

  it('can be stopped early', () => {
    const log = fakeAudio();
    const stop = playAlarm('red');
    stop();
    expect(log.closed).toBe(1);
    stop();
    expect(log.closed).toBe(1);
  });

  it('is silent, never an error, without audio', () => {
    vi.stubGlobal('AudioContext', undefined);
    expect(() => playAlarm('red')()).not.toThrow();
    vi.stubGlobal(
      'AudioContext',
      class {
        constructor() {
          throw new Error('no audio device');
        }
      },
    );
    expect(() => playAlarm('red')()).not.toThrow();
  });
});
