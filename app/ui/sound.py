"""Plays the alert WAVs without extra Qt modules: winsound on Windows, a player on Linux."""

# QtMultimedia would add PySide6-Addons (hundreds of MB) for five short sounds. Instead the
# WAV is scaled to the chosen volume once (cached in a temp folder) and handed to the
# platform: winsound (standard library) on Windows, else the first of paplay / pw-play / aplay
# found on PATH, started without waiting. No player: logged once, silent, never raised.

from __future__ import annotations

import array
import logging
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

log = logging.getLogger(__name__)

LINUX_PLAYERS = (("paplay",), ("pw-play",), ("aplay", "-q"))


def scaled_wav(source: Path, volume: int, folder: Path) -> Path:
    """`source` at `volume` percent (16-bit PCM), written once into `folder`."""
    volume = max(0, min(100, volume))
    target = folder / f"{source.stem}-{volume}.wav"
    if target.exists():
        return target
    with wave.open(str(source), "rb") as reader:
        params = reader.getparams()
        frames = reader.readframes(reader.getnframes())
    if params.sampwidth != 2:
        return source  # only our own 16-bit files are scaled; anything else plays as is
    samples = array.array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    factor = volume / 100
    scaled = array.array("h", (int(s * factor) for s in samples))
    if sys.byteorder == "big":
        scaled.byteswap()
    partial = target.with_suffix(".part")
    with wave.open(str(partial), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(scaled.tobytes())
    partial.replace(target)
    return target


class PlatformSound:
    """`play(path, volume)`; `backend` says what is used ("" when nothing can play)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.gettempdir()) / "kefudesk-sounds"
        self.backend = self._find_backend()
        self._command: tuple[str, ...] = ()
        self._warned = False

    def _find_backend(self) -> str:
        if sys.platform == "win32":
            return "winsound"
        for command in LINUX_PLAYERS:
            found = shutil.which(command[0])
            if found:
                self._command = (found, *command[1:])
                return command[0]
        return ""

    def play(self, path: Path, volume: int) -> bool:
        """Starts playing and returns at once; False when this computer cannot play it."""
        if not self.backend or volume <= 0:
            if not self.backend and not self._warned:
                self._warned = True
                log.warning("alert sounds are off: no sound player on this computer")
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            wav = scaled_wav(path, volume, self.folder)
            if self.backend == "winsound":
                import winsound

                winsound.PlaySound(str(wav), winsound.SND_FILENAME | winsound.SND_ASYNC
                                   | winsound.SND_NODEFAULT)
            else:
                subprocess.Popen([*self._command, str(wav)], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, wave.Error, RuntimeError) as exc:
            log.warning("alert sound %s not played: %s", path.name, type(exc).__name__)
            return False
        return True
