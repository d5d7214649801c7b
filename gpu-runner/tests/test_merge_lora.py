"""Folding a GGUF LoRA into its base GGUF: W' = W + (alpha / r) · B · A, everything else copied."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter, quants

from dougpt_gpu.__main__ import main
from dougpt_gpu.errors import BadInput
from dougpt_gpu.models.merge_lora import merge_lora

RNG = np.random.default_rng(7)
OUT_DIM, IN_DIM, RANK, ALPHA = 64, 96, 4, 8.0


def _base(path: Path) -> dict[str, np.ndarray]:
    weights = {
        "blk.0.attn_q.weight": RNG.standard_normal((OUT_DIM, IN_DIM)).astype(np.float32) * 0.1,
        "blk.0.ffn_up.weight": RNG.standard_normal((OUT_DIM, IN_DIM)).astype(np.float32) * 0.1,
        "output_norm.weight": np.ones(IN_DIM, dtype=np.float32),
    }
    writer = GGUFWriter(str(path), arch="llama")
    writer.add_string("tokenizer.chat_template", "{{ messages }}")
    writer.add_uint32("llama.context_length", 2048)
    writer.add_tensor("blk.0.attn_q.weight", quants.quantize(weights["blk.0.attn_q.weight"], GGMLQuantizationType.Q4_1), raw_dtype=GGMLQuantizationType.Q4_1)
    writer.add_tensor("blk.0.ffn_up.weight", quants.quantize(weights["blk.0.ffn_up.weight"], GGMLQuantizationType.Q8_0), raw_dtype=GGMLQuantizationType.Q8_0)
    writer.add_tensor("output_norm.weight", weights["output_norm.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return weights


def _adapter(path: Path, names: tuple[str, ...] = ("blk.0.attn_q.weight",), kind: str = "adapter") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    pairs = {}
    writer = GGUFWriter(str(path), arch="llama")
    writer.add_string("general.type", kind)
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", ALPHA)
    for name in names:
        a = RNG.standard_normal((RANK, IN_DIM)).astype(np.float32) * 0.05
        b = RNG.standard_normal((OUT_DIM, RANK)).astype(np.float32) * 0.05
        writer.add_tensor(f"{name}.lora_a", a.astype(np.float16))
        writer.add_tensor(f"{name}.lora_b", b.astype(np.float16))
        pairs[name] = (a.astype(np.float16).astype(np.float32), b.astype(np.float16).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return pairs


def _tensors(path: Path) -> dict[str, tuple[GGMLQuantizationType, np.ndarray]]:
    reader = GGUFReader(str(path))
    return {t.name: (t.tensor_type, quants.dequantize(t.data, t.tensor_type)) for t in reader.tensors}


def test_merged_weights_are_base_plus_scaled_delta(tmp_path: Path) -> None:
    _base(tmp_path / "base.gguf")
    pairs = _adapter(tmp_path / "lora.gguf")
    result = merge_lora(tmp_path / "base.gguf", tmp_path / "lora.gguf", tmp_path / "merged.gguf")
    assert result["merged_tensors"] == 1
    base = _tensors(tmp_path / "base.gguf")
    merged = _tensors(tmp_path / "merged.gguf")
    a, b = pairs["blk.0.attn_q.weight"]
    expected = base["blk.0.attn_q.weight"][1] + (ALPHA / RANK) * (b @ a)
    kind, got = merged["blk.0.attn_q.weight"]
    assert kind == GGMLQuantizationType.Q8_0
    # Q8_0 rounds each block of 32 to 1/127 of its largest value.
    assert np.abs(got - expected).max() <= np.abs(expected).max() / 127 + 1e-6
    assert np.abs(got - base["blk.0.attn_q.weight"][1]).max() > 0.01  # the delta is really there
    # Tensors without an adapter pass byte for byte, in their own type.
    assert merged["blk.0.ffn_up.weight"][0] == GGMLQuantizationType.Q8_0
    assert np.array_equal(merged["blk.0.ffn_up.weight"][1], base["blk.0.ffn_up.weight"][1])
    assert np.array_equal(merged["output_norm.weight"][1], base["output_norm.weight"][1])
    reader = GGUFReader(str(tmp_path / "merged.gguf"))
    assert reader.fields["tokenizer.chat_template"].contents() == "{{ messages }}"
    assert reader.fields["llama.context_length"].contents() == 2048
    assert reader.fields["dougpt.merged_lora"].contents() == "lora.gguf"


def test_f32_merge_is_exact(tmp_path: Path) -> None:
    _base(tmp_path / "base.gguf")
    pairs = _adapter(tmp_path / "lora.gguf")
    merge_lora(tmp_path / "base.gguf", tmp_path / "lora.gguf", tmp_path / "merged.gguf", "f32", scale=0.5)
    a, b = pairs["blk.0.attn_q.weight"]
    expected = _tensors(tmp_path / "base.gguf")["blk.0.attn_q.weight"][1] + 0.5 * (ALPHA / RANK) * (b @ a)
    np.testing.assert_allclose(_tensors(tmp_path / "merged.gguf")["blk.0.attn_q.weight"][1], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("names", "kind", "message"),
    [
        (("blk.9.attn_q.weight",), "adapter", "does not have"),
        (("blk.0.attn_q.weight",), "model", "not a GGUF LoRA adapter"),
    ],
)
def test_bad_adapters_are_named(tmp_path: Path, names: tuple[str, ...], kind: str, message: str) -> None:
    _base(tmp_path / "base.gguf")
    _adapter(tmp_path / "lora.gguf", names, kind)
    with pytest.raises(BadInput, match=message):
        merge_lora(tmp_path / "base.gguf", tmp_path / "lora.gguf", tmp_path / "merged.gguf")
    assert not (tmp_path / "merged.gguf").exists()


def test_cli_prints_one_json_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _base(tmp_path / "base.gguf")
    _adapter(tmp_path / "lora.gguf")
    code = main(["models", "--merge-lora", str(tmp_path / "lora.gguf"), "--base", str(tmp_path / "base.gguf"), "--out", str(tmp_path / "m.gguf")])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["merged_tensors"] == 1
    assert main(["models", "--merge-lora", str(tmp_path / "missing.gguf"), "--base", str(tmp_path / "base.gguf"), "--out", str(tmp_path / "x.gguf")]) == 2
    assert "missing.gguf: adapter GGUF not found" in capsys.readouterr().err
