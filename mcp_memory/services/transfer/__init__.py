"""Moving data in and out: export (`exporting`), import of exports and of the official knowledge-graph
server's file (`importing`, which writes an export's records through `restore`), and markdown notes
or plain JSON lines (`notes`)."""
