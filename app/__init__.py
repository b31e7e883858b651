"""KefuDesk desktop client."""
