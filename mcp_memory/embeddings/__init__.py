"""Embeddings: the model (bundled default or any fastembed model) and the service that loads it in the
background and runs it off the event loop.

Beside storage, under the services; may import only the foundations.
"""

from mcp_memory.embeddings.model import Embedder, load_embedder, verify_default_model
from mcp_memory.embeddings.service import EmbeddingService, ModelState

__all__ = ["Embedder", "EmbeddingService", "ModelState", "load_embedder", "verify_default_model"]
