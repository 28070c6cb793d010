"""IR -> C++ source files for a compiled app module (rendered from the templates/ folder)."""
