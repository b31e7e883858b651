"""Protocol v1 wire format shared by the KefuDesk client and server."""
