"""The bundled model run with ONNX Runtime and `tokenizers` directly, exactly as fastembed runs it,
without importing fastembed.

Importing fastembed costs about 1.2 s on these machines (it brings huggingface_hub, httpx, requests
and its image and sparse models) of the 2.1 s a model process needs to be ready; ONNX Runtime and
tokenizers, which do the work, cost 0.3 s. The bundled model needs nothing else fastembed does: its
files are local and checked, and the steps are few, each the same as fastembed's for a custom model
with mean pooling and normalisation (`fastembed.text.onnx_text_model`, `custom_text_embedding`,
`common.preprocessor_utils.load_tokenizer` for these tokenizer files):

1. the tokenizer from `tokenizer.json`, truncating on the right at `max_tokens`, the special tokens
   of `special_tokens_map.json` registered, padding on the right to the batch's longest text with
   `[PAD]` (id 0);
2. one inference with `input_ids`, `attention_mask` and all-zero `token_type_ids` (int64); output 0;
3. the mean over the tokens the attention mask marks (summed in float64), L2-normalised, float32.

`tests/test_model_memory.py` checks that the vectors equal fastembed's, bit for bit, on the same files. Other
models (`MCP_MEMORY_EMBEDDING_MODEL` set to a fastembed name) still load through fastembed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DirectModel"]


class DirectModel:
    """`embed(texts, batch_size)` yielding one float32 vector per text, as fastembed's
    `TextEmbedding.embed` does."""

    def __init__(
        self, model_file: Path, tokenizer_dir: Path, *, max_tokens: int, threads: int, arena: bool
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_tokens, direction="right")
        specials = json.loads((tokenizer_dir / "special_tokens_map.json").read_text())
        tokenizer.add_special_tokens([str(t) for t in specials.values()])
        config = json.loads((tokenizer_dir / "tokenizer_config.json").read_text())
        pad_token = str(config["pad_token"])
        pad_id = tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise ValueError(f"the tokenizer in {tokenizer_dir} has no id for its pad token {pad_token!r}")
        tokenizer.enable_padding(direction="right", pad_id=pad_id, pad_type_id=0, pad_token=pad_token)
        self.tokenizer = tokenizer

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
        options.enable_cpu_mem_arena = arena
        self.session = ort.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {node.name for node in self.session.get_inputs()}

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> Iterator[Any]:
        """The vectors of `texts`, in order, `batch_size` texts per inference."""
        for start in range(0, len(texts), max(1, batch_size)):
            yield from self._batch(list(texts[start : start + batch_size]))

    def _batch(self, texts: list[str]) -> Any:
        import numpy as np

        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        tokens = self.session.run(None, feed)[0]
        summed = np.sum(tokens, axis=1, where=mask[:, :, np.newaxis].astype(bool), dtype=np.float64)
        pooled = summed / np.maximum(np.sum(mask, axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(tokens.dtype, copy=False)
