"""Synthesises the alert sounds into resources/sounds/ (H10.1): `python scripts/make_sounds.py`.

Each sound is short (at most 0.8 s), soft (peak 0.55 of full scale, so never clipped), 16-bit
mono at 44.1 kHz, and made only of sines with smooth envelopes, so it stays pleasant over an
eight-hour shift. They differ in pitch and rhythm, so an agent can tell them apart unseen.
"""

from __future__ import annotations

import math
import random
import struct
import sys
import wave
from collections.abc import Callable
from pathlib import Path

RATE = 44_100
PEAK = 0.55
"""Loudest sample as a share of full scale: about -5 dBFS, headroom against clipping."""
MAX_SECONDS = 0.8
TARGET = Path(__file__).resolve().parent.parent / "resources" / "sounds"

Partial = tuple[float, float, float]
"""(frequency Hz, relative amplitude, decay per second)."""


def tone(seconds: float, partials: list[Partial], *, attack_s: float = 0.006) -> list[float]:
    """A struck tone: a few sines, each fading exponentially, with a click-free attack."""
    samples = []
    for i in range(int(seconds * RATE)):
        t = i / RATE
        value = sum(amp * math.exp(-decay * t) * math.sin(2 * math.pi * freq * t)
                    for freq, amp, decay in partials)
        samples.append(value * min(1.0, t / attack_s))
    return samples


def silence(seconds: float) -> list[float]:
    return [0.0] * int(seconds * RATE)


def mix(length_s: float, parts: list[tuple[float, list[float]]]) -> list[float]:
    """Overlays each part starting at its offset (seconds)."""
    out = [0.0] * int(length_s * RATE)
    for offset, part in parts:
        start = int(offset * RATE)
        for i, value in enumerate(part[: len(out) - start]):
            out[start + i] += value
    return out


def chime() -> list[float]:
    """Two soft rising notes (C6, E6): a new conversation."""
    note = lambda f: tone(0.45, [(f, 1.0, 6.0), (2 * f, 0.18, 10.0)])  # noqa: E731
    return mix(0.62, [(0.0, note(1046.5)), (0.14, note(1318.5))])


def ding() -> list[float]:
    """One short, light note (A5): a new message, the most frequent sound."""
    return tone(0.40, [(880.0, 1.0, 9.0), (2640.0, 0.08, 18.0)])


def knock() -> list[float]:
    """Two muffled low taps, like a knock on a door: transferred to me, a handover."""
    rng = random.Random(7)  # the same file on every run
    tap = tone(0.09, [(170.0, 1.0, 45.0), (340.0, 0.35, 60.0)], attack_s=0.002)
    tap = [v + 0.06 * rng.uniform(-1, 1) * math.exp(-80 * i / RATE) for i, v in enumerate(tap)]
    return mix(0.34, [(0.0, tap), (0.17, tap)])


def bell() -> list[float]:
    """A small bell with inharmonic partials (E5): a warning or a notice."""
    return tone(0.80, [(659.3, 1.0, 4.5), (659.3 * 2.76, 0.25, 8.0), (659.3 * 5.4, 0.08, 14.0)])


def alarm() -> list[float]:
    """Three quick alternating notes (B5, G5, B5): a response-time breach; urgent, not harsh."""
    beep = lambda f: tone(0.16, [(f, 1.0, 8.0), (2 * f, 0.12, 14.0)])  # noqa: E731
    return mix(0.70, [(0.0, beep(987.8)), (0.19, beep(784.0)), (0.38, beep(987.8))])


SOUNDS: dict[str, Callable[[], list[float]]] = {
    "chime": chime, "ding": ding, "knock": knock, "bell": bell, "alarm": alarm,
}


def finish(samples: list[float]) -> list[int]:
    """Fades the last 30 ms out, scales the peak to PEAK and converts to 16-bit integers."""
    fade = int(0.03 * RATE)
    count = len(samples)
    shaped = [v * min(1.0, (count - i) / fade) for i, v in enumerate(samples)]
    loudest = max(abs(v) for v in shaped) or 1.0
    return [round(v / loudest * PEAK * 32767) for v in shaped]


def write(path: Path, samples: list[int]) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, make in SOUNDS.items():
        samples = finish(make())
        if len(samples) > MAX_SECONDS * RATE:
            raise SystemExit(f"{name} is longer than {MAX_SECONDS} s")
        write(TARGET / f"{name}.wav", samples)
        print(f"{name}.wav  {len(samples) / RATE:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
