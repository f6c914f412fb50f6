"""faster-whisper: the Silero VAD model ships as ONNX files in `faster_whisper/assets/`, opened by path."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("faster_whisper", includes=["assets/*"])
