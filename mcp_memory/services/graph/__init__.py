"""The knowledge graph: entities, relations and memory links (`entities`), and their extraction from
memories without a language model (`extraction`)."""
