"""Write `oncall_desktop/resources/alarm.wav`: the station's alarm, a short two-tone beep played looped.

Run it again only to change the sound; its output is committed. 16-bit mono PCM at 22.05 kHz: two
tones of 880 Hz and 660 Hz, 0.18 s each with 10 ms fades (no clicks), then 0.24 s of silence, so the
loop is a steady, insistent "beep-boop … beep-boop".
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
TONE = 0.18
FADE = 0.010
PAUSE = 0.24
AMPLITUDE = 0.6
OUTPUT = Path(__file__).resolve().parent.parent / "oncall_desktop" / "resources" / "alarm.wav"


def tone(frequency: float, seconds: float) -> list[float]:
    count = int(RATE * seconds)
    fade = int(RATE * FADE)
    samples = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - 1 - i) / fade)
        samples.append(AMPLITUDE * envelope * math.sin(2 * math.pi * frequency * i / RATE))
    return samples


def main() -> None:
    samples = tone(880.0, TONE) + tone(660.0, TONE) + [0.0] * int(RATE * PAUSE)
    frames = b"".join(struct.pack("<h", round(s * 32767)) for s in samples)
    OUTPUT.parent.mkdir(exist_ok=True)
    with wave.open(str(OUTPUT), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    print(f"wrote {OUTPUT} ({len(samples) / RATE:.2f} s)")


if __name__ == "__main__":
    main()
