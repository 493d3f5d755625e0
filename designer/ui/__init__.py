"""Views: observe the session, push edits, never compute."""
