"""Small real videos made with PyAV, for the tests of video uploads (consent videos)."""

import io
from fractions import Fraction

import av
import numpy as np

# A container's muxer and the codecs a browser or a phone would put in it.
FORMATS = {
    "webm": ("webm", "libvpx", "libopus", 48_000),
    "mp4": ("mp4", "libx264", "aac", 44_100),
    "mkv-h264": ("matroska", "libx264", "aac", 44_100),
}


def clip(
    *,
    seconds: float = 3.0,
    size: tuple[int, int] = (320, 240),
    fps: int = 10,
    kind: str = "webm",
    audio: bool = True,
    picture: bool = True,
) -> bytes:
    """A video of ``seconds`` of moving colour (and a tone), encoded as ``kind``; with
    ``picture=False``, the tone alone (a sound file in a video's container)."""
    muxer, video_codec, audio_codec, rate = FORMATS[kind]
    width, height = size
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=muxer) as container:
        video = container.add_stream(video_codec, rate=fps) if picture else None
        if video is not None:
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream(audio_codec, rate=rate) if audio else None
        if sound is not None:
            sound.layout = "mono"
        frames = round(seconds * fps) if video is not None else 0
        for index in range(frames):
            pixels = np.zeros((height, width, 3), dtype=np.uint8)
            pixels[:, :, 0] = (index * 7) % 256
            pixels[: height // 2, : (index * width) // frames + 1, 1] = 200
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
        if video is not None:
            container.mux(video.encode())
        if sound is not None:
            samples_per_frame = sound.codec_context.frame_size or 1024
            total = round(seconds * rate)
            t = np.arange(total) / rate
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, total, samples_per_frame):
                chunk = tone[start : start + samples_per_frame]
                if len(chunk) < samples_per_frame:
                    chunk = np.pad(chunk, (0, samples_per_frame - len(chunk)))
                frame = av.AudioFrame.from_ndarray(
                    chunk.reshape(1, -1), format="fltp", layout="mono"
                )
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                container.mux(sound.encode(frame))
            container.mux(sound.encode())
    return buffer.getvalue()
