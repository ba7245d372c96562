"""The web console: server-rendered screens (Spanish) over the public HTTP APIs of
invoicing and accounting. It keeps no data of its own but the signed-in sessions."""
