"""The articles staff API (editor tokens): drafts, edits, workflow, revisions."""
