"""Screen state and commands as plain Python: no Flet here, so every rule a screen shows is testable
with plain pytest. Views (client/views) only bind these to controls."""
