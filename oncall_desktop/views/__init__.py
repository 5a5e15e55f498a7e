"""The Qt desktop app: windows, widgets and the Qt models over the core."""
