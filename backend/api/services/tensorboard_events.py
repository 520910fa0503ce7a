"""TensorBoard event files, written without TensorFlow or torch (the API process imports neither).

An event file is a TFRecord stream of `Event` protocol buffers: each record is its length (uint64, little
endian), a masked CRC-32C of the length, the bytes, a masked CRC-32C of the bytes. The few messages needed
(Event, Summary with scalar and image values, and the HParams plugin's experiment, session start and
session end) are encoded here by field number, from tensorboard's .proto files (event.proto,
summary.proto, plugins/hparams/plugin_data.proto and api.proto, google/protobuf/struct.proto).
tests/db/test_downloads_api.py reads them back with tensorboard's own EventAccumulator.
"""

from __future__ import annotations

import struct
from typing import Any

_CRC32C_TABLE: list[int] = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# -- protobuf wire format -------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 as two's complement
    out = bytearray()
    while True:
        bits, n = n & 0x7F, n >> 7
        out.append(bits | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _double_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", value)


def _float_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<f", value)


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _str(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode())


def _event(wall_time: float, step: int, body: bytes) -> bytes:
    return _double_field(1, wall_time) + _int_field(2, step) + body


def file_version_event(wall_time: float) -> bytes:
    return record(_event(wall_time, 0, _str(3, "brain.Event:2")))


def scalars_event(wall_time: float, step: int, values: dict[str, float]) -> bytes:
    """Event.summary (5) = Summary{value (1): Value{tag (1), simple_value (2)}}."""
    summary = b"".join(_bytes_field(1, _str(1, tag) + _float_field(2, float(v))) for tag, v in values.items())
    return record(_event(wall_time, step, _bytes_field(5, summary)))


def _struct_value(value: Any) -> bytes:
    """google.protobuf.Value: number_value (2), string_value (3), bool_value (4)."""
    if isinstance(value, bool):
        return _int_field(4, int(value))
    if isinstance(value, int | float):
        return _double_field(2, float(value))
    return _str(3, value if isinstance(value, str) else repr(value))


def hparams_event(wall_time: float, hparams: dict[str, Any], group: str) -> bytes:
    """The HParams plugin's session start: Summary.Value{tag "_hparams_/session_start_info", metadata (9) =
    SummaryMetadata{plugin_data (1) = PluginData{plugin_name (1) "hparams", content (2) =
    HParamsPluginData{version (1) 0, session_start_info (3) = SessionStartInfo{hparams (1): map<string,
    Value>, group_name (4), start_time_secs (5)}}}}}."""
    entries = b"".join(_bytes_field(1, _str(1, k) + _bytes_field(2, _struct_value(v)))
                       for k, v in sorted(hparams.items()))
    start = entries + _str(4, group) + _double_field(5, wall_time)
    return _hparams_summary(wall_time, "_hparams_/session_start_info", _bytes_field(3, start))


def image_event(wall_time: float, step: int, tag: str, encoded: bytes, width: int, height: int,
                description: str = "") -> bytes:
    """Summary.Value{tag, image (4) = Summary.Image{height (1), width (2), colorspace (3) = 3 (RGB),
    encoded_image_string (4)}, metadata (9) = SummaryMetadata{summary_description (3)}}."""
    image = _int_field(1, height) + _int_field(2, width) + _int_field(3, 3) + _bytes_field(4, encoded)
    value = _str(1, tag) + _bytes_field(4, image)
    if description:
        value += _bytes_field(9, _str(3, description))
    return record(_event(wall_time, step, _bytes_field(5, _bytes_field(1, value))))


def _hparams_summary(wall_time: float, tag: str, content: bytes) -> bytes:
    """An HParams plugin summary: Summary.Value{tag, metadata (9) = SummaryMetadata{plugin_data (1) =
    PluginData{plugin_name (1) "hparams", content (2) = HParamsPluginData{version (1) 0, ...content}}}}."""
    metadata = _bytes_field(1, _str(1, "hparams") + _bytes_field(2, _int_field(1, 0) + content))
    value = _str(1, tag) + _bytes_field(9, metadata)
    return record(_event(wall_time, 0, _bytes_field(5, _bytes_field(1, value))))


# tensorboard.hparams.DataType and Status (plugins/hparams/api.proto).
_DATA_TYPE_STRING, _DATA_TYPE_BOOL, _DATA_TYPE_FLOAT64 = 1, 2, 3
STATUS = {"success": 1, "failure": 2, "running": 3}


def hparams_experiment_event(wall_time: float, hparams: dict[str, Any], metrics: list[tuple[str, str]]) -> bytes:
    """HParamsPluginData.experiment (2) = Experiment{hparam_infos (4): HParamInfo{name (1), type (4)},
    metric_infos (5): MetricInfo{name (1) = MetricName{tag (2)}, description (4)}}: the columns of the
    HParams table, so that it lists the metrics without guessing them from the scalars."""
    infos = b""
    for name, value in sorted(hparams.items()):
        kind = (_DATA_TYPE_BOOL if isinstance(value, bool) else
                _DATA_TYPE_FLOAT64 if isinstance(value, int | float) else _DATA_TYPE_STRING)
        infos += _bytes_field(4, _str(1, name) + _int_field(4, kind))
    for tag, description in metrics:
        infos += _bytes_field(5, _bytes_field(1, _str(2, tag)) + _str(4, description))
    return _hparams_summary(wall_time, "_hparams_/experiment", _bytes_field(2, infos))


def hparams_session_end_event(wall_time: float, status: str) -> bytes:
    """HParamsPluginData.session_end_info (4) = SessionEndInfo{status (1), end_time_secs (2)}."""
    end = _int_field(1, STATUS[status]) + _double_field(2, wall_time)
    return _hparams_summary(wall_time, "_hparams_/session_end_info", _bytes_field(4, end))
