"""Finding memories: hybrid keyword and vector search (`hybrid`), the context block for a prompt
(`context`), similar memories and the timeline (`browse`)."""
